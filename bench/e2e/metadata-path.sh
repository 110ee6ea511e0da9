#!/usr/bin/env bash
# The metadata path before and after, in the same run: CreateTopics of one 1,000-partition topic and of 100
# one-partition topics (one request each) against a fresh single-node broker of each build, rounds alternating.
# Prints each round and the medians, and the after/before ratios (below 1 is faster).
#
#   bench/e2e/metadata-path.sh [--before DLL] [--after DLL] [--rounds N] [--partitions N]
#
# --before defaults to the build of main before issue 12's work (/work/baseline/cli/gregor.dll when present: its
# metadata log is a bare partition log), --after to src/Gregor.Cli's Release build (the log is a Raft quorum of one).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
before=/work/baseline/cli/gregor.dll
after=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
rounds=5
partitions=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift ;;
    --after) after=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --partitions) partitions=$2; shift ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$after" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-metadata-path.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results.jsonl
for round in $(seq 1 "$rounds"); do
  for label in before after; do
    dll=$before; [ "$label" = after ] && dll=$after
    /usr/bin/python3 bench/e2e/metadata_path.py --dll "$dll" --label "$label" --work "$work" --round "$round" \
      --partitions "$partitions" | tee -a "$results"
  done
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def median(build, key):
    return statistics.median(r[key] for r in rows if r["build"] == build)
for key in ("big_topic_ms", "small_topic_ms"):
    b, a = median("before", key), median("after", key)
    ratios = sorted(round(x[key] / y[key], 2) for x in rows if x["build"] == "after" for y in rows
                    if y["build"] == "before" and y["round"] == x["round"])
    print("%s: before %.1f, after %.1f (medians), after/before per round %s" % (key, b, a, ratios))
PY
