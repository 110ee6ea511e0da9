#!/usr/bin/env bash
# Runs the whole test suite: build (warnings are errors), every test project, and prints
# one closing line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

out=.test-output
rm -rf "$out" && mkdir -p "$out"

if ! dotnet build Gregor.slnx -c Release 2>&1 | tee "$out/build.log" | grep -E "error|Warn|Elapsed" ; then :; fi
if ! grep -q "Build succeeded" "$out/build.log"; then
  echo "build failed (see $out/build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi

# Some unit tests drive kcat too, so the real clients are installed before any test runs.
if ! scripts/install-clients.sh 2>&1 | tee "$out/install-clients.log"; then
  echo "installing the interop clients failed (see $out/install-clients.log)"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  log="$out/$name.log"
  dotnet test "$proj" -c Release --no-build --nologo 2>&1 | tee "$log" | grep -E "^\s*(Failed|Passed|Skipped) [A-Za-z]|Failed!|Passed!|error" || true
  line=$(grep -E "(Passed|Failed)! *-" "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "$name: no test summary (see $log)"
    failed=$((failed + 1)); status=1; continue
  fi
  f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -ne 0 ]; then
    status=1
    grep -E -A6 "^\s*Failed [A-Za-z]" "$log" | grep -v "^\s*at " || true   # why, without the stack
  fi
done

# Hot paths allocate nothing per operation: checked by BenchmarkDotNet, counted like tests.
bench/allocation-gate.sh | tee "$out/allocation-gate.txt"
line=$(grep -E "^allocation gate:" "$out/allocation-gate.txt" | tail -1)
p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))

# Real Kafka clients against a fresh broker built above, counted like tests.
tests/interop/run.sh --dll src/Gregor.Cli/bin/Release/net10.0/gregor.dll | tee "$out/interop.txt"
line=$(grep -E "^interop: [0-9]+ passed, [0-9]+ failed" "$out/interop.txt" | tail -1)
p=$(sed -E 's/^interop: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
