#!/usr/bin/env bash
# The allocation gate: runs every benchmark in the HotPath category under BenchmarkDotNet's memory
# diagnoser and fails any that allocates managed memory per invocation of its method.
#
# What is gated is the AllocatedPerInvocation column (bench/Gregor.Benchmarks): the diagnoser's raw
# total over the measured invocations divided by their number. Its own Allocated column is per
# operation, rounded to whole bytes, and 0 whenever the total stays under the allocation quantum
# (~8 KB); for a benchmark of thousands of records per invocation (OperationsPerInvoke) that hides
# hundreds of bytes per invocation. The budget is less than one object per invocation (24 B, the
# smallest object on 64-bit .NET): the measurement itself costs a fixed few hundred bytes to ~5 KB
# per run whatever the invocation count (measured: 64 B to 5.4 KB at 256 and at 512 invocations),
# so 1024 invocations keep that under 6 B per invocation.
#
# A benchmark with no measurement (it threw, or did not build), a HotPath benchmark missing from the
# results, or a run that failed or hung is a failure. Prints one line per benchmark case and
# "allocation gate: N passed, N failed"; exit status 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
artifacts=${ARTIFACTS:-.test-output/allocation-gate}
invocations=${GATE_INVOCATIONS:-1024}
budget=24
rm -rf "$artifacts"
mkdir -p "$(dirname "$artifacts")"

fail_run() {
  echo "  FAIL  $1 (see $artifacts.log)"
  echo "allocation gate: 0 passed, 1 failed"
  exit 1
}

dotnet build -c Release bench/Gregor.Benchmarks >"$artifacts.build.log" 2>&1 || fail_run "the benchmarks did not build"
expected=$(dotnet run -c Release --no-build --project bench/Gregor.Benchmarks -- --list flat --anyCategories HotPath 2>/dev/null \
  | grep -E '^Gregor\.Benchmarks\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$')
[ -n "$expected" ] || fail_run "no HotPath benchmark listed"

# The benchmark project's own build can take minutes on a loaded machine: BenchmarkDotNet's default
# build timeout (2 min) was seen to expire, which leaves its benchmarks unmeasured.
timeout --kill-after=30 3600 dotnet run -c Release --no-build --project bench/Gregor.Benchmarks -- \
  --anyCategories HotPath --launchCount 1 --warmupCount 1 --iterationCount 1 --invocationCount "$invocations" \
  --unrollFactor 1 --buildTimeout 1200 --exporters csv --artifacts "$artifacts" >"$artifacts.log" 2>&1
status=$?

/usr/bin/python3 - "$artifacts/results" "$budget" "$status" "$expected" <<'EOF'
import csv, glob, os, sys

results, budget, status, expected = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
passed, failed, seen = 0, 0, set()
for path in sorted(glob.glob(os.path.join(results, "*-report.csv"))):
    cls = os.path.basename(path)[len("Gregor.Benchmarks."):-len("-report.csv")]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        name = "%s.%s" % (cls, row["Method"])
        seen.add("Gregor.Benchmarks." + name)
        # The parameters come after the job's columns (WarmupCount is the last of those) and before Mean.
        columns = list(row)
        start = columns.index("WarmupCount") + 1 if "WarmupCount" in columns else 0
        end = columns.index("Mean") if "Mean" in columns else start
        params = "".join(" %s=%s" % (c, row[c]) for c in columns[start:end])
        value = row.get("AllocatedPerInvocation", "-")
        try:
            per_invocation = float(value)
        except ValueError:
            print("  FAIL  %s%s: no measurement (%s): it threw or was not run" % (name, params, value or "empty"))
            failed += 1
            continue
        if per_invocation < budget:
            print("  ok    %s%s allocated %.2f B per invocation" % (name, params, per_invocation))
            passed += 1
        else:
            print("  FAIL  %s%s allocated %.2f B per invocation (budget: under %d B, one object)" % (name, params, per_invocation, budget))
            failed += 1
for name in expected:
    if name not in seen:
        print("  FAIL  %s: not in the results (did it build?)" % name[len("Gregor.Benchmarks."):])
        failed += 1
if status != 0:
    print("  FAIL  the benchmark run exited %d%s" % (status, " (killed: it ran for an hour)" if status in (124, 137) else ""))
    failed += 1
print("allocation gate: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
