#!/usr/bin/env bash
# Runs one built (Release) test project and judges the run by more than its summary line, which a
# run can print with only the tests that finished before the host died or hung. Prints the failures
# with their reasons and ends with "result: N passed, N failed, N skipped". On top of the failed
# tests, one failure each for:
#   - a host that crashed or aborted (an exception on a raw thread, FailFast, an exit mid-run);
#   - a single test running longer than the hang limit: VSTest's blame collector kills the host
#     and names the test that was running;
#   - the whole project outliving its limit (a hang the collector missed): killed;
#   - dotnet test exiting non-zero, or no summary, for any other reason.
#
#   scripts/test-project.sh PROJECT.csproj LOG [PROJECT_LIMIT_SECONDS [TEST_LIMIT_SECONDS]]
set -uo pipefail
project=$1
log=$2
project_limit=${3:-900}
test_limit=${4:-300}
results="$(dirname "$log")/TestResults-$(basename "$project" .csproj)"
rm -rf "$results"

started=$SECONDS
timeout --kill-after=30 "$project_limit" \
  dotnet test "$project" -c Release --no-build --nologo --results-directory "$results" \
    --blame-hang-timeout "${test_limit}s" --blame-hang-dump-type none 2>&1 \
  | tee "$log" | { grep -E "^\s*(Failed|Passed|Skipped) [A-Za-z]|Failed!|Passed!|error" || true; }
status=${PIPESTATUS[0]}
seconds=$((SECONDS - started))

passed=0; failed=0; skipped=0
line=$(grep -E "(Passed|Failed)! *-" "$log" | tail -1)
if [ -n "$line" ]; then
  failed=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
  passed=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  skipped=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  if [ "$failed" -ne 0 ]; then
    grep -E -A6 "^\s*Failed [A-Za-z]" "$log" | grep -v "^\s*at " || true   # why, without the stack
  fi
fi

# The reason for a run that did not end as a test run should, if there is one.
why=""
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  why="still running after ${project_limit}s: killed (a hang); the last lines it wrote:"$'\n'"$(tail -n 5 "$log")"
elif grep -q "Test Run Aborted" "$log"; then
  why=$(grep -E "aborted|inactivity time|Unhandled exception|Process terminated" "$log" | head -n 4)
  running=$(sed -n '/The test running when the crash occurred/,/This test may, or may not/p' "$log" | sed '1d;$d' | grep -v '^\s*$')
  [ -n "$running" ] && why+=$'\n'"running then: $(paste -sd ' ' <<<"$running")"
elif [ -z "$line" ]; then
  why="no test summary (exit $status)"
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  why="dotnet test exited $status with no test failed"
fi
name=$(basename "$project" .csproj)
if [ -n "$why" ]; then
  failed=$((failed + 1))
  echo "$name: FAILED as a run after ${seconds}s: $why (log: $log)"
fi
echo "$name: ${seconds}s"
echo "result: $passed passed, $failed failed, $skipped skipped"
