#!/usr/bin/env bash
# End-to-end throughput of a single-node Gregor broker driven by kcat (librdkafka), next to the
# baseline a user might pick instead — Redis Streams (XADD pipelined by redis-benchmark, AOF
# everysec) — and the disk's sequential write bandwidth, all measured in the same run.
#
#   bench/e2e/broker-vs-redis.sh [--quick]
#
# Workloads (as issue 3 asks): 2,000,000 records of 100 bytes and 200,000 of 1 KiB, each to a
# topic of 1 and of 6 partitions; kcat produces (acks=1) then consumes them from the beginning.
# --quick divides the counts by ten for a smoke run. Needs kcat, redis-server, redis-benchmark
# (Debian: kcat redis-server redis-tools) and a Release build of src/Gregor.Cli.
# The CPU seconds of the client and of the broker are printed for every phase: a client near one
# full core while the broker idles means the client is the bottleneck, not the broker.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
scale=1
[ "${1:-}" = "--quick" ] && scale=10
count_small=$((2000000 / scale))
count_large=$((200000 / scale))

for tool in kcat redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install kcat redis-server redis-tools" >&2; exit 2; }
done
gregor_dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
[ -f "$gregor_dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-e2e.XXXXXX")
broker_pid=
redis_port=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  [ -n "$redis_port" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

calc() { awk "BEGIN {print $*}"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user+system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# Lines of printable random bytes, each exactly $2 bytes long: what kcat sends, one record a line.
make_input() { /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import base64, os, sys
path, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = 4096
with open(path, "wb") as f:
    done = 0
    while done < count:
        n = min(chunk, count - done)
        raw = base64.b64encode(os.urandom(size * n * 3 // 4 + 3))
        f.write(b"".join(raw[i * size:(i + 1) * size] + b"\n" for i in range(n)))
        done += n
PY
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(df -PT "$work" | awk 'NR==2 {print $2}') under $work"
echo "== kcat $(kcat -V 2>&1 | grep -o 'Version [0-9.]*' | head -1) ($(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1)), $(redis-server --version | awk '{print $1, $2, $3}')"
echo "== sequential write bandwidth (dd, 1 GiB, median of 3)"
bench/disk-write-bandwidth.sh "$work" 1024 3

input_small=$work/in-100.txt
input_large=$work/in-1024.txt
make_input "$input_small" 100 "$count_small"
make_input "$input_large" 1024 "$count_large"

echo "== Redis Streams baseline: redis-benchmark XADD, pipeline 64, 8 connections, appendonly yes, appendfsync everysec"
redis_port=$(free_port)
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save '' \
  --dir "$work/redis" --daemonize yes --logfile "$work/redis/log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
printf '%-34s %12s %10s\n' "workload" "msgs/s" "MB/s"
for size in 100 1024; do
  count=$count_small; [ "$size" = 1024 ] && count=$count_large
  value=$(head -c "$size" "$( [ "$size" = 100 ] && echo "$input_small" || echo "$input_large")")
  rps=$(redis-benchmark -p "$redis_port" -n "$count" -P 64 -c 8 --csv XADD "stream-$size" '*' v "$value" \
        | awk -F'"' 'NR==2 {print $4}')
  printf '%-34s %12.0f %10.1f\n' "XADD ${count} x ${size} B" "$rps" "$(calc "$rps * $size / 1000000")"
done
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
redis_port=

echo "== Gregor: kcat produce (acks=1) then consume from the beginning"
port=$(free_port)
dotnet "$gregor_dll" server --set log.dirs="$work/gregor" --set listeners=PLAINTEXT://127.0.0.1:"$port" \
  --set num.partitions=1 >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do kcat -b 127.0.0.1:"$port" -L -m 1 >/dev/null 2>&1 && break; sleep 0.2; done
create_topic() { /usr/bin/python3 - "$port" "$1" "$2" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": "127.0.0.1:" + sys.argv[1]})
for f in admin.create_topics([NewTopic(sys.argv[2], int(sys.argv[3]), 1)]).values():
    f.result(30)
PY
}
producer_opts=(-X acks=1 -X linger.ms=5 -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000
               -X queue.buffering.max.kbytes=1048576 -X message.max.bytes=1000000)
# A short fetch.wait.max.ms: kcat -e stops at the first empty fetch at the log end, which would
# otherwise wait out the default 500 ms long poll and count it as consume time.
consumer_opts=(-X fetch.message.max.bytes=1048576 -X queued.max.messages.kbytes=262144 -X fetch.wait.max.ms=10)
printf '%-30s %-8s %12s %10s %10s %12s %12s\n' "workload" "phase" "msgs/s" "MB/s" "seconds" "kcat cpu s" "broker cpu s"
for size in 100 1024; do
  count=$count_small; input=$input_small
  [ "$size" = 1024 ] && { count=$count_large; input=$input_large; }
  for partitions in 1 6; do
    topic="bench-${size}-p${partitions}"
    create_topic "$topic" "$partitions"
    for phase in produce consume; do
      before=$(cpu_seconds "$broker_pid")
      start=$(date +%s.%N)
      if [ "$phase" = produce ]; then
        /usr/bin/time -f '%U %S' -o "$work/time" kcat -P -q -b 127.0.0.1:"$port" -t "$topic" "${producer_opts[@]}" -l "$input"
      else
        got=$( { /usr/bin/time -f '%U %S' -o "$work/time" kcat -C -q -b 127.0.0.1:"$port" -t "$topic" -o beginning -e \
                 "${consumer_opts[@]}" -f '\n' ; } | wc -l)
        [ "$got" -eq "$count" ] || { echo "consumed $got of $count from $topic" >&2; exit 1; }
      fi
      end=$(date +%s.%N)
      after=$(cpu_seconds "$broker_pid")
      read -r user sys <"$work/time"
      secs=$(calc "$end - $start")
      printf '%-30s %-8s %12.0f %10.1f %10.2f %12.2f %12.2f\n' "${count} x ${size} B, ${partitions} part." "$phase" \
        "$(calc "$count / $secs")" "$(calc "$count * $size / $secs / 1000000")" "$secs" \
        "$(calc "$user + $sys")" "$(calc "$after - $before")"
    done
  done
done
echo "== broker data: $(du -sh "$work/gregor" | cut -f1)"
