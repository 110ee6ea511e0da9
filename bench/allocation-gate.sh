#!/usr/bin/env bash
# The allocation gate: runs every benchmark in the HotPath category under BenchmarkDotNet's
# memory diagnoser and fails if any allocates managed memory per operation. It takes 256
# operations per benchmark because the diagnoser reports 0 when the total allocated stays
# under its allocation quantum (a few KB), which would hide a small leak in a short run.
# Prints one line per benchmark and "N passed, N failed"; exit status 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
artifacts=${ARTIFACTS:-.test-output/allocation-gate}
rm -rf "$artifacts"
mkdir -p "$(dirname "$artifacts")"
dotnet run -c Release --project bench/Gregor.Benchmarks -- \
  --anyCategories HotPath --launchCount 1 --warmupCount 1 --iterationCount 1 --invocationCount 256 --unrollFactor 1 --exporters csv --artifacts "$artifacts" >"$artifacts.log" 2>&1
status=$?
passed=0; failed=0
for csv in "$artifacts"/results/*-report.csv; do
  [ -f "$csv" ] || continue
  class=$(basename "$csv" | sed -E 's/^Gregor\.Benchmarks\.(.*)-report\.csv$/\1/')
  # Allocated must be the last column (values such as "1,055.9 us" are quoted and hold commas,
  # so columns are not counted from the left); a baseline's ratio column would follow it.
  if [ "$(head -1 "$csv" | awk -F, '{print $NF}')" != "Allocated" ]; then
    echo "  FAIL  $class: the last column of $csv is not Allocated"; failed=$((failed + 1)); continue
  fi
  while IFS= read -r row; do
    name=$(cut -d, -f1 <<<"$row")
    allocated=$(awk -F, '{print $NF}' <<<"$row")
    params=$(awk -F, -v h="$(head -1 "$csv")" 'BEGIN{n=split(h,c,",")} {for(i=1;i<=n;i++) if(c[i]=="Mean") m=i; out=""; for(i=m-1;i>0 && c[i]!="WarmupCount";i--) out=c[i]"="$i" "out; print out}' <<<"$row")
    if [ "$allocated" = "0 B" ] || [ "$allocated" = "-" ]; then
      echo "  ok    $class.$name $params allocated $allocated"; passed=$((passed + 1))
    else
      echo "  FAIL  $class.$name $params allocated $allocated per operation (budget 0 B)"; failed=$((failed + 1))
    fi
  done < <(tail -n +2 "$csv")
done
if [ "$status" -ne 0 ] || [ $((passed + failed)) -eq 0 ]; then
  echo "  FAIL  the benchmarks did not run (see $artifacts.log)"; failed=$((failed + 1))
fi
echo "allocation gate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
