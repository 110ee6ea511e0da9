#!/usr/bin/env bash
# Where a single broker's acks=all latency tail comes from (bench/e2e/latency_tail.py): one broker, `gregor perf
# produce` of 1 KiB records at a fixed rate (50 MiB/s), and variants that each change one suspect against "base"
# (GC settings of the broker or the producer, tiered JIT, data on tmpfs, broker and producer pinned to different
# cores, both niced, linger.ms, batch.size, more partitions; the same load from librdkafka), in turns over N rounds.
# Prints every run, the medians per variant and each one's p99 over base's in the same round.
#
#   bench/e2e/latency-tail.sh [--dll DLL] [--rounds N] [--seconds S] [--rate-mib R] [--partitions N]
#       [--variants a,b,...] [--counters] [--baseline-dll DLL] [--warmup-records N]
#
# --counters samples both processes with dotnet-counters (GC pause time, JIT time; installed into $work/tools
# from the NuGet feed when missing). Each run starts a fresh broker on a fresh data dir under $TMPDIR (/tmp).
# --baseline-dll adds variant baseline-client: the producer from another build (e.g. main's), the broker from this one.
# --warmup-records: the first N records are sent but left out of the latency figures (perf produce's option).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
extra=()
counters=false
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll=$2; shift ;;
    --rounds|--seconds|--rate-mib|--partitions|--variants|--baseline-dll|--warmup-records) extra+=("$1" "$2"); shift ;;
    --counters) counters=true; extra+=("$1") ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-latency-tail.XXXXXX")
keep=false
trap '$keep || rm -rf "$work"' EXIT
if $counters; then
  export DOTNET_COUNTERS=${DOTNET_COUNTERS:-$(command -v dotnet-counters || true)}
  if [ -z "$DOTNET_COUNTERS" ]; then
    dotnet tool install --tool-path "$work/tools" dotnet-counters >/dev/null
    export DOTNET_COUNTERS=$work/tools/dotnet-counters
  fi
fi
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! /usr/bin/python3 bench/e2e/latency_tail.py --dll "$dll" --work "$work" ${extra[@]+"${extra[@]}"}; then
  keep=true
  echo "failed; logs in $work" >&2
  exit 1
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
