#!/usr/bin/env bash
# Replication's cost, measured in one run on a cluster of three combined nodes on 127.0.0.1
# (bench/e2e/replication_throughput.py): `gregor perf produce` throughput for 100 B and 1 KiB records with
# RF=3, min.insync.replicas=2, acks=all next to RF=1 acks=1, an idempotent producer next to a plain one, and
# send-to-acknowledgement latency percentiles at a fixed rate (50 MiB/s of 1 KiB records) with acks=all on RF=1
# and RF=3. The configurations take turns over N rounds; prints every run, the medians and the per-round ratios.
#
#   bench/e2e/replication-throughput.sh [--dll DLL] [--rounds N] [--seconds S] [--latency-seconds S]
#       [--rate-mib R] [--partitions N] [--only all|throughput|latency] [--broker-cpus LIST] [--client-cpus LIST]
#       [--producer-props name=value]... [--baseline-dll DLL] [--warmup-records N]
#
# --dll defaults to src/Gregor.Cli's Release build (built when missing); --rounds to 3, --seconds to 6,
# --latency-seconds to 10, --partitions to 3. --broker-cpus / --client-cpus pin with taskset. --baseline-dll adds
# RF=3 acks=all runs whose producer is another build's, against the same brokers, for the client's before/after
# ratio; --warmup-records leaves a latency run's first N records out of its percentiles. The cluster's data
# goes to $TMPDIR (default /tmp; TMPDIR=/dev/shm puts it on tmpfs); logs and data are kept when a run fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll=$2; shift ;;
    --rounds|--seconds|--latency-seconds|--rate-mib|--partitions|--only|--broker-cpus|--client-cpus|--producer-props|--baseline-dll|--warmup-records)
      extra+=("$1" "$2"); shift ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-replication.XXXXXX")
keep=false
trap '$keep || rm -rf "$work"' EXIT
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); data in $work"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! /usr/bin/python3 bench/e2e/replication_throughput.py --dll "$dll" --work "$work" ${extra[@]+"${extra[@]}"}; then
  keep=true
  echo "failed; logs and data in $work" >&2
  exit 1
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
