#!/usr/bin/env bash
# Produce throughput of two broker builds, measured in turns in the same run (A B A B ...) so that the
# load of a shared machine falls on both alike: bench/Gregor.ProduceLoad resends pre-built Produce requests
# (5 in flight per connection, acks=1), so the broker, not a client library, is what is measured.
#
#   bench/e2e/produce-before-after.sh BEFORE_DLL [AFTER_DLL] [--rounds N] [--only WORKLOAD-PATTERN]
#
# AFTER_DLL defaults to this tree's Release build of src/Gregor.Cli. Workloads: 1 KiB records in 1 MB
# requests (the size librdkafka and the Java client send by default) from 1 and 3 connections, 100 B
# records in 1 MB requests, and 1 KiB records in 8 MB requests (message.max.bytes raised to 16 MiB on
# both brokers): large requests are the ones received in growing buffers. Prints each round, then the
# median of each build and the ratio after/before, of throughput and of the broker's CPU seconds per GB
# received (the steadier figure on a machine others load: it does not count time spent waiting for a CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
before_dll=${1:?usage: $0 BEFORE_DLL [AFTER_DLL] [--rounds N]}
shift
after_dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
rounds=7
only='*'
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) after_dll=$1; shift ;;
  esac
done
loadgen_dll=$repo/bench/Gregor.ProduceLoad/bin/Release/net10.0/Gregor.ProduceLoad.dll
[ -f "$loadgen_dll" ] || dotnet build bench/Gregor.ProduceLoad -c Release -v q -nologo >/dev/null
[ -f "$after_dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-produce-ab.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
create_topic() { /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": "127.0.0.1:" + sys.argv[1], "log_level": 3})
for f in admin.create_topics([NewTopic(sys.argv[2], int(sys.argv[3]), 1)]).values():
    f.result(30)
PY
}
start_broker() { # name dll -> sets port_<name> and pid_<name>
  local name=$1 dll=$2 port
  port=$(free_port)
  dotnet "$dll" server --set log.dirs="$work/$name" --set listeners=PLAINTEXT://127.0.0.1:"$port" \
    --set message.max.bytes=16777216 >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break
    sleep 0.2
  done
  printf -v "port_$name" '%s' "$port"
  printf -v "pid_$name" '%s' "${pids[-1]}"
}
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
start_broker before "$before_dll"
start_broker after "$after_dll"

# name: record size, records per connection, connections, request bytes
workloads=("1KiB-1MB-x1 1024 1000000 1 1000000" "1KiB-1MB-x3 1024 400000 3 1000000" "100B-1MB-x1 100 4000000 1 1000000"
           "1KiB-8MB-x1 1024 1000000 1 8000000")
selected=()
for workload in "${workloads[@]}"; do
  # shellcheck disable=SC2053 # the pattern is meant to glob
  [[ ${workload%% *} == $only ]] && selected+=("$workload")
done
workloads=("${selected[@]}")
run() { # build workload round -> msgs/s MB/s broker-cpu-s-per-GB
  local build=$1 name size records connections request port pid topic before after result
  read -r name size records connections request <<<"$2"
  port_var="port_$build"; port=${!port_var}
  pid_var="pid_$build"; pid=${!pid_var}
  topic="$name-r$3"
  create_topic "$port" "$topic" "$connections"
  before=$(cpu_seconds "$pid")
  result=$(dotnet "$loadgen_dll" --bootstrap 127.0.0.1:"$port" --topic "$topic" --records "$records" --record-size "$size" \
    --connections "$connections" --batch-bytes "$request" | sed -E 's/.*msgs_per_s=([0-9]+).*mb_per_s=([0-9.]+).*/\1 \2/')
  after=$(cpu_seconds "$pid")
  echo "$result $(awk -v a="$before" -v b="$after" -v bytes="$((records * connections * size))" 'BEGIN {printf "%.2f", (b - a) / (bytes / 1e9)}')"
}
echo "== warm-up (untimed)"
for build in before after; do run "$build" "warm 1024 100000 1 1000000" 0 >/dev/null; done

declare -A results cpus
for workload in "${workloads[@]}"; do
  name=${workload%% *}
  for round in $(seq 1 "$rounds"); do
    for build in before after; do
      read -r msgs mb cpu < <(run "$build" "$workload" "$round")
      results[$name.$build]+="$msgs "
      cpus[$name.$build]+="$cpu "
      printf '%-14s round %d %-7s %10s msgs/s %8s MB/s %6s broker cpu s/GB\n' "$name" "$round" "$build" "$msgs" "$mb" "$cpu"
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== medians of $rounds rounds (msgs/s); machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %12s %12s %8s %14s %14s %8s\n' workload "msgs/s before" after ratio "cpu s/GB before" after ratio
for workload in "${workloads[@]}"; do
  name=${workload%% *}
  b=$(median <<<"${results[$name.before]}"); a=$(median <<<"${results[$name.after]}")
  cb=$(median <<<"${cpus[$name.before]}"); ca=$(median <<<"${cpus[$name.after]}")
  printf '%-14s %12.0f %12.0f %8.2f %14.2f %14.2f %8.2f\n' "$name" "$b" "$a" "$(awk "BEGIN {print $a / $b}")" \
    "$cb" "$ca" "$(awk "BEGIN {print $ca / $cb}")"
done
