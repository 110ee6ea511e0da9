#!/usr/bin/env bash
# The long fault run of issue 13: the `mixed` scenario of the fault harness (tests/fault) for at least 100 cycles
# (fault, hold, heal, settle), seeded, with every producer kind (confluent-kafka for Python, Confluent.Kafka 2.16,
# Gregor.Client). Prints each cycle, the JSON summary and the one-line counts; the summary is also written to
# ${TMPDIR:-/tmp}/gregor-fault-long-run-<seed>.json (record the figures in docs/reliability.md); a failed run keeps its
# nodes' and clients' logs in ${TMPDIR:-/tmp}/gregor-fault-long-run-<seed>/.
#
#   bench/reliability/fault-long-run.sh [--cycles N] [--seed S] [--rf R] [--min-isr M] [--nodes N] [run.py options]
#
# Defaults: 100 cycles, a random seed (printed, so a run can be replayed), RF 3, min.insync.replicas 2, 3 nodes.
# Needs root (network namespaces). Exit status: run.py's (0 no anomaly, 1 anomalies, 2 not runnable, 3 harness
# error). Builds src/Gregor.Cli (Release) first unless --dll is given.
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles=100
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
rf=3
min_isr=2
dll=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles=$2; shift ;;
    --seed) seed=$2; shift ;;
    --rf) rf=$2; shift ;;
    --min-isr) min_isr=$2; shift ;;
    --dll) dll=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) extra+=("$1") ;;
  esac
  shift
done
if [ "$cycles" -lt 100 ]; then echo "fault-long-run: fewer than 100 cycles ($cycles) is not the long run" >&2; fi
if [ -z "$dll" ]; then
  dotnet build src/Gregor.Cli -c Release --nologo -v quiet >/dev/null
  dll=src/Gregor.Cli/bin/Release/net10.0/gregor.dll
fi
echo "fault-long-run: $(date -u +%FT%TZ), machine $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"
exec /usr/bin/python3 tests/fault/run.py --scenario mixed --cycles "$cycles" --seed "$seed" --rf "$rf" \
  --min-isr "$min_isr" --producers python,confluent-dotnet,gregor-client --dll "$dll" \
  --json "${TMPDIR:-/tmp}/gregor-fault-long-run-$seed.json" --keep-failed "${TMPDIR:-/tmp}/gregor-fault-long-run-$seed" \
  ${extra[@]+"${extra[@]}"}
