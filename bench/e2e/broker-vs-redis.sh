#!/usr/bin/env bash
# End-to-end throughput of a single-node Gregor broker driven by kcat (librdkafka), next to the
# baseline a user might pick instead — Redis Streams (XADD pipelined by redis-benchmark, AOF
# everysec) — and the disk's sequential write bandwidth, all measured in the same run.
#
#   bench/e2e/broker-vs-redis.sh [--quick]
#
# Workloads (as issue 3 asks): 2,000,000 records of 100 bytes and 200,000 of 1 KiB, each to a
# topic of 1 and of 6 partitions; kcat produces (acks=1) then consumes them from the beginning.
# Then the 1 KiB records again from 1, 2 and 3 kcat producers at once, each to its own partition; and
# last the broker alone, fed by bench/Gregor.ProduceLoad, which resends pre-built requests and so costs
# next to nothing per record (what the broker can take when the client is not the limit).
# --quick divides the counts by ten for a smoke run. Needs kcat, redis-server, redis-benchmark
# (Debian: kcat redis-server redis-tools) and a Release build of src/Gregor.Cli.
#
# The broker is warmed up first (WARMUP_SECONDS, default 20: untimed produce and consume to a topic
# deleted afterwards), so the figures are of its steady state rather than of the JIT compiler, which
# recompiles a fresh .NET process's hot code over its first seconds of load.
# For every phase the CPU seconds of kcat and of the broker are printed, and for kcat's busiest thread
# the share of the phase it was on a CPU and the share it was runnable but waiting for one: together near
# 100% means that thread never waited for the broker, so the client (or the CPUs it shares) is the limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
scale=1
[ "${1:-}" = "--quick" ] && scale=10
count_small=$((2000000 / scale))
count_large=$((200000 / scale))
warmup_seconds=${WARMUP_SECONDS:-$((20 / scale))}

for tool in kcat redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install kcat redis-server redis-tools" >&2; exit 2; }
done
# GREGOR_DLL runs another build of the broker (to compare two builds in the same conditions).
gregor_dll=${GREGOR_DLL:-$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll}
[ -f "$gregor_dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
loadgen_dll=$repo/bench/Gregor.ProduceLoad/bin/Release/net10.0/Gregor.ProduceLoad.dll
[ -f "$loadgen_dll" ] || dotnet build bench/Gregor.ProduceLoad -c Release -v q -nologo >/dev/null
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
# The broker's CPU seconds so far as "total kernel" (the kernel's share is mostly copying into the page cache).
broker_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz, $15 / hz}' "/proc/$broker_pid/stat"; }
# "total (kernel)" used between two broker_cpu readings.
cpu_used() { awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%5.2f (%4.2f)", y[1] - x[1], y[2] - x[2]}'; }
# Until background job $1 (/usr/bin/time running kcat) ends, samples every 50 ms how long each of kcat's
# threads has run and has waited, runnable, for a CPU (/proc/PID/task/TID/schedstat); prints both, in
# seconds, for the thread that ran longest (what happens in its last 50 ms is missed). A thread that ran
# or waited for a CPU all the time never waited for the broker.
busiest_thread() {
  local parent=$1 kcat_pid="" task sample
  local -A sampled=()
  while kill -0 "$parent" 2>/dev/null; do
    [ -n "$kcat_pid" ] || kcat_pid=$(pgrep -P "$parent" -x kcat | head -1 || true)
    if [ -n "$kcat_pid" ]; then
      for task in /proc/"$kcat_pid"/task/*; do
        sample=$(cat "$task/schedstat" 2>/dev/null || true)
        [ -n "$sample" ] && sampled[${task##*/}]=$sample
      done
    fi
    sleep 0.05
  done
  printf '%s\n' "0 0 0" "${sampled[@]}" | sort -n | tail -1 | awk '{print $1 / 1e9, $2 / 1e9}'
}
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

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(df -PT "$work" | awk 'NR==2 {print $2}') under $work, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== broker $gregor_dll"
echo "== kcat $(kcat -V 2>&1 | grep -o 'Version [0-9.]*' | head -1) ($(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1)), $(redis-server --version | awk '{print $1, $2, $3}')"
echo "== sequential write bandwidth (dd, 1 GiB, median of 3)"
bench/disk-write-bandwidth.sh "$work" 1024 3
# On a virtual machine whose host lends memory lazily (and takes back what the guest leaves free), the
# page cache takes new data fast only into memory freed moments ago; dd's second and third runs above
# reuse what the first freed. Fifteen 200 MiB files in a row show both rates: what a sustained writer
# of new data (a broker) gets once recently freed memory is used up is the rate of the last chunks.
echo "== page cache taking new data: dd 15 x 200 MiB to new files, no sync, MB/s per file"
for i in $(seq 15); do
  LC_ALL=C dd if=/dev/zero of="$work/fill-$i" bs=1M count=200 2>&1 |
    awk '/copied/ {for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) s = $(i - 1); printf "%.0f ", $1 / s / 1e6}'
done
echo
rm -f "$work"/fill-*

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
# admin create TOPIC PARTITIONS | admin delete TOPIC | admin records TOPIC (prints the sum of its partitions' end offsets)
admin() { /usr/bin/python3 - "$port" "$@" <<'PY'
import sys
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap = "127.0.0.1:" + sys.argv[1]
action, topic = sys.argv[2], sys.argv[3]
if action == "records":
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count", "log_level": 3})
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    print(sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions))
    consumer.close()
    sys.exit(0)
admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
futures = admin.create_topics([NewTopic(topic, int(sys.argv[4]), 1)]) if action == "create" else admin.delete_topics([topic])
for f in futures.values():
    f.result(30)
PY
}
# What a user tuning librdkafka for throughput would set: the defaults already fill 1 MB batches
# (batch.size, message.max.bytes) under a backlog, so linger.ms hardly matters; the queue may hold a
# whole workload; no compression, as random records do not compress and codecs only cost client CPU.
producer_opts=(-X acks=1 -X linger.ms=5 -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000
               -X queue.buffering.max.kbytes=1048576 -X message.max.bytes=1000000)
# A short fetch.wait.max.ms: kcat -e stops at the first empty fetch at the log end, which would
# otherwise wait out the default 500 ms long poll and count it as consume time. queued.min.messages:
# at the default 100,000, 100-byte records fill librdkafka's prefetch queue after 10 MB and its fetcher
# pauses until kcat drains it (2,000,000 x 100 B took 0.86-4.2 s; with 1,000,000, 0.84-0.91 s).
consumer_opts=(-X fetch.message.max.bytes=1048576 -X queued.max.messages.kbytes=262144 -X queued.min.messages=1000000
               -X fetch.wait.max.ms=10)

echo "== warm-up: ${warmup_seconds} s of untimed produce and consume"
admin create warm-up 1
head -n $((count_small / 10)) "$input_small" >"$work/warm-100.txt"
head -n $((count_large / 10)) "$input_large" >"$work/warm-1024.txt"
warm_until=$(($(date +%s) + warmup_seconds))
while [ "$(date +%s)" -lt "$warm_until" ]; do
  kcat -P -q -b 127.0.0.1:"$port" -t warm-up "${producer_opts[@]}" -l "$work/warm-100.txt"
  kcat -P -q -b 127.0.0.1:"$port" -t warm-up "${producer_opts[@]}" -l "$work/warm-1024.txt"
  kcat -C -q -b 127.0.0.1:"$port" -t warm-up -o beginning -e "${consumer_opts[@]}" -f '\n' >/dev/null
done
admin delete warm-up
rm -f "$work/warm-100.txt" "$work/warm-1024.txt"

# One timed phase (produce or consume) of $5 records of $4 bytes on topic $2; prints its result line.
run_phase() {
  local phase=$1 topic=$2 partitions=$3 size=$4 count=$5 input=$6 before start end after user sys secs job ran waited got
  before=$(broker_cpu)
  start=$(date +%s.%N)
  if [ "$phase" = produce ]; then
    /usr/bin/time -f '%U %S' -o "$work/time" kcat -P -q -b 127.0.0.1:"$port" -t "$topic" "${producer_opts[@]}" -l "$input" &
  else
    /usr/bin/time -f '%U %S' -o "$work/time" kcat -C -q -b 127.0.0.1:"$port" -t "$topic" -o beginning -e \
      "${consumer_opts[@]}" -f '\n' >"$work/consumed" &
  fi
  job=$!
  read -r ran waited < <(busiest_thread "$job")
  wait "$job"
  end=$(date +%s.%N)
  after=$(broker_cpu)
  if [ "$phase" = consume ]; then
    got=$(wc -l <"$work/consumed")
    [ "$got" -eq "$count" ] || { echo "consumed $got of $count from $topic" >&2; exit 1; }
  fi
  read -r user sys <"$work/time"
  secs=$(calc "$end - $start")
  printf '%-28s %-8s %10.0f %8.1f %8.2f %10.2f %19s %9.0f%% + %3.0f%%\n' "${count} x ${size} B, ${partitions} part." "$phase" \
    "$(calc "$count / $secs")" "$(calc "$count * $size / $secs / 1000000")" "$secs" \
    "$(calc "$user + $sys")" "$(cpu_used "$before" "$after")" "$(calc "100 * $ran / $secs")" "$(calc "100 * $waited / $secs")"
}

printf '%-28s %-8s %10s %8s %8s %10s %19s %17s\n' "workload" "phase" "msgs/s" "MB/s" "seconds" "kcat cpu s" "broker cpu s (kernel)" "kcat thread run+wait"
for size in 100 1024; do
  count=$count_small; input=$input_small
  [ "$size" = 1024 ] && { count=$count_large; input=$input_large; }
  for partitions in 1 6; do
    topic="bench-${size}-p${partitions}"
    admin create "$topic" "$partitions"
    run_phase produce "$topic" "$partitions" "$size" "$count" "$input"
    run_phase consume "$topic" "$partitions" "$size" "$count" "$input"
  done
done

echo "== parallel producers: each kcat sends all ${count_large} x 1024 B records to its own partition of one topic"
printf '%-28s %10s %8s %8s %10s %19s\n' "producers" "msgs/s" "MB/s" "seconds" "kcat cpu s" "broker cpu s (kernel)"
for producers in 1 2 3; do
  topic="bench-parallel-${producers}"
  admin create "$topic" 3
  before=$(broker_cpu)
  start=$(date +%s.%N)
  pids=()
  for ((i = 0; i < producers; i++)); do
    /usr/bin/time -f '%U %S' -o "$work/time.$i" kcat -P -q -b 127.0.0.1:"$port" -t "$topic" -p "$i" "${producer_opts[@]}" -l "$input_large" &
    pids+=($!)
  done
  wait "${pids[@]}"
  end=$(date +%s.%N)
  after=$(broker_cpu)
  secs=$(calc "$end - $start")
  total=$((count_large * producers))
  printf '%-28s %10.0f %8.1f %8.2f %10.2f %19s\n' "$producers" "$(calc "$total / $secs")" "$(calc "$total * 1024 / $secs / 1000000")" \
    "$secs" "$(cat "$work"/time.* | awk '{s += $1 + $2} END {print s}')" "$(cpu_used "$before" "$after")"
  rm -f "$work"/time.*
done
echo "== the broker alone: bench/Gregor.ProduceLoad resends pre-built 1 MB Produce requests (5 in flight), a client"
echo "   that costs next to nothing per record, to each connection's own partition"
printf '%-34s %10s %8s %8s %10s %19s\n' "workload" "msgs/s" "MB/s" "seconds" "load cpu s" "broker cpu s (kernel)"
for spec in "100 $count_small 1" "1024 $count_large 1" "1024 $count_large 3"; do
  read -r size count connections <<<"$spec"
  topic="bench-load-${size}-c${connections}"
  admin create "$topic" "$connections"
  before=$(broker_cpu)
  result=$(dotnet "$loadgen_dll" --bootstrap 127.0.0.1:"$port" --topic "$topic" --records "$count" --record-size "$size" --connections "$connections")
  after=$(broker_cpu)
  stored=$(admin records "$topic")
  [ "$stored" -eq $((count * connections)) ] || { echo "$topic holds $stored records, not $((count * connections))" >&2; exit 1; }
  field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$result"; }
  printf '%-34s %10.0f %8.1f %8.2f %10.2f %19s\n' "${connections} x ${count} x ${size} B" "$(field msgs_per_s)" "$(field mb_per_s)" \
    "$(field seconds)" "$(field client_cpu_s)" "$(cpu_used "$before" "$after")"
done
echo "== broker data: $(du -sh "$work/gregor" | cut -f1); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
