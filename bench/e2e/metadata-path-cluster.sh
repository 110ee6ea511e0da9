#!/usr/bin/env bash
# The metadata path in a cluster of three broker+controller nodes (bench/e2e/metadata_path_cluster.py): CreateTopics of
# 1,000-partition topics and of one-partition topics sent to the active controller's broker (handled in place) and to
# another broker (forwarded), alternating within each round; a fresh cluster per round. Prints each round and the
# medians over rounds, with forwarded/in-place ratios (the baseline is the in-place path of the same round).
#
#   bench/e2e/metadata-path-cluster.sh [--dll DLL] [--rounds N] [--partitions N]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
rounds=3
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --partitions) extra+=("$1" "$2"); shift ;;
    *) sed -n '2,7p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-metadata-path-cluster.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results.jsonl
for round in $(seq 1 "$rounds"); do
  /usr/bin/python3 bench/e2e/metadata_path_cluster.py --dll "$dll" --work "$work" --round "$round" \
    ${extra[@]+"${extra[@]}"} 2>/dev/null | tee -a "$results"
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("medians over %d rounds:" % len(rows))
for key in ("big_in_place_ms", "big_forwarded_ms", "big_forwarded_over_in_place",
            "small_in_place_ms", "small_forwarded_ms", "small_forwarded_over_in_place"):
    values = [r[key] for r in rows]
    print("  %-30s %8.2f   (per round: %s)" % (key, statistics.median(values), ", ".join(str(v) for v in values)))
PY
