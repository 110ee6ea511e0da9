#!/usr/bin/env bash
# The managed producer (gregor perf produce, Gregor.Client) against librdkafka (kcat -P) on the same
# single-node broker in the same run: 100 B and 1 KiB records, topics of 1 and 6 partitions, the two
# clients alternating (kcat, gregor, kcat, gregor, ...) so that both meet the same machine.
#
#   bench/e2e/producer-vs-kcat.sh [--quick] [--rounds N]
#
# Counts: 5,000,000 records of 100 B and 1,000,000 of 1 KiB per run (--quick divides them by ten), a few
# seconds each, so that the .NET JIT's warm-up (a few tenths of a CPU second, counted in gregor's figures)
# does not decide the result; --rounds pairs per workload (default 3). Needs kcat (Debian: kcat) and a
# Release build of src/Gregor.Cli (built if missing).
#
# Both clients send the same records: keyless, values of exactly the record size (kcat: the lines of
# a file of random printable bytes, one record a line; gregor: a random payload of that size), no
# compression, acks=1, and both wait for every acknowledgement (kcat flushes before it exits, perf
# produce flushes before it stops its clock). Each run gets a fresh topic, whose record count and
# log bytes per record are checked afterwards and printed, then the topic is deleted.
#
# Producer settings, librdkafka's name = Gregor.Client's (Kafka's) name:
#   linger.ms=5                                      wait up to 5 ms to fill a batch (both defaults)
#   batch.size=1000000                               batches up to 1 MB (librdkafka's default; Kafka's is 16 KiB)
#   message.max.bytes = max.request.size = 1000000   requests up to 1 MB
#   queue.buffering.max.kbytes=1048576 = buffer.memory=1073741824   1 GiB of records may wait for the broker
# kcat only, so that nothing but bytes limits its queue and batches (Gregor.Client has no count limits):
#   batch.num.messages=1000000          (default 10000) batch.size, not a record count, closes a batch
#   queue.buffering.max.messages=1000000 (default 100000) the whole run may be queued at once
# Left at their defaults: librdkafka may have many requests and several batches of one partition in
# flight (max.in.flight=1000000, no idempotence, so retries could reorder); Gregor.Client keeps at
# most one batch per partition in flight (max.in.flight.requests.per.connection=5 counts requests of
# different partitions), so its retries never reorder.
#
# Reported per run: records/s and MB/s (10^6 bytes of record values per second), wall seconds, CPU
# seconds of the client and of the broker during the run. kcat's seconds are its whole process
# (start, connect, read the file, send, flush; its start is a few ms); gregor's are its own
# measurement from the first send to the last acknowledgement, which leaves out the .NET runtime's
# start (its process seconds and CPU are printed too). Then per workload the ratio Gregor/kcat of
# each pair and the median of the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
scale=1
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) scale=10 ;;
    --rounds) rounds=$2; shift ;;
    *) echo "usage: $0 [--quick] [--rounds N]" >&2; exit 2 ;;
  esac
  shift
done
count_small=$((5000000 / scale))
count_large=$((1000000 / scale))

command -v kcat >/dev/null || { echo "missing kcat: apt-get install kcat (or scripts/install-clients.sh)" >&2; exit 2; }
gregor_dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
[ -f "$gregor_dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-producer-vs-kcat.XXXXXX")
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

calc() { awk "BEGIN {print $*}"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user+system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
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
json_field() { /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }

port=$(free_port)
bootstrap=127.0.0.1:$port
gregor() { dotnet "$gregor_dll" "$@" --bootstrap "$bootstrap"; }
kcat_props=(acks=1 linger.ms=5 batch.size=1000000 message.max.bytes=1000000 queue.buffering.max.kbytes=1048576
            batch.num.messages=1000000 queue.buffering.max.messages=1000000)
gregor_props=(linger.ms=5 batch.size=1000000 max.request.size=1000000 buffer.memory=1073741824)
kcat_opts=()
for p in "${kcat_props[@]}"; do kcat_opts+=(-X "$p"); done
gregor_opts=(--acks 1 -o json)
for p in "${gregor_props[@]}"; do gregor_opts+=(--producer-props "$p"); done

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average $(loadavg)"
echo "== kcat $(kcat -V 2>&1 | grep -o 'Version [0-9.]*' | head -1 | cut -d' ' -f2) (librdkafka $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1 | cut -d' ' -f2)), .NET $(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}'), Gregor at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes')"
echo "== kcat: ${kcat_props[*]}"
echo "== gregor perf produce: acks=1 ${gregor_props[*]}"

input_small=$work/in-100.txt
input_large=$work/in-1024.txt
make_input "$input_small" 100 "$count_small"
make_input "$input_large" 1024 "$count_large"

dotnet "$gregor_dll" server --set log.dirs="$work/data" --set listeners=PLAINTEXT://"$bootstrap" >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 150); do kcat -b "$bootstrap" -L -m 1 >/dev/null 2>&1 && break; sleep 0.2; done

topic_seq=0
new_topic() {
  topic_seq=$((topic_seq + 1))
  local topic="bench-$topic_seq"
  gregor topic create "$topic" --partitions "$1" >/dev/null
  echo "$topic"
}
# Records in the topic and bytes of its log segments per record: the same for both clients when
# they wrote the same records (batch headers differ a little with the number of batches).
check_topic() {
  local topic=$1 expected=$2 records bytes
  records=$(gregor offsets "$topic" -o json | /usr/bin/python3 -c 'import json, sys; print(sum(p["latest"] - p["earliest"] for p in json.load(sys.stdin)))')
  [ "$records" -eq "$expected" ] || { echo "$topic holds $records records, not $expected" >&2; exit 1; }
  bytes=$(cat "$work/data/$topic"-*/*.log | wc -c)
  gregor topic delete "$topic" >/dev/null
  calc "$bytes / $records"
}

# One run: prints "msgs/s MB/s seconds client-cpu broker-cpu log-bytes-per-record process-seconds process-cpu".
run_kcat() {
  local size=$1 count=$2 input=$3 partitions=$4 topic before start end after user sys secs per
  topic=$(new_topic "$partitions")
  before=$(cpu_seconds "$broker_pid")
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" kcat -P -q -b "$bootstrap" -t "$topic" "${kcat_opts[@]}" -l "$input"
  end=$(date +%s.%N)
  after=$(cpu_seconds "$broker_pid")
  read -r user sys <"$work/time"
  secs=$(calc "$end - $start")
  per=$(check_topic "$topic" "$count")
  echo "$(calc "$count / $secs") $(calc "$count * $size / $secs / 1000000") $secs $(calc "$user + $sys") $(calc "$after - $before") $per $secs $(calc "$user + $sys")"
}
run_gregor() {
  local size=$1 count=$2 partitions=$3 topic before start end after user sys secs per
  topic=$(new_topic "$partitions")
  before=$(cpu_seconds "$broker_pid")
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" dotnet "$gregor_dll" perf produce "$topic" --bootstrap "$bootstrap" \
    --num-records "$count" --record-size "$size" "${gregor_opts[@]}" >"$work/perf.json"
  end=$(date +%s.%N)
  after=$(cpu_seconds "$broker_pid")
  read -r user sys <"$work/time"
  [ "$(json_field "$work/perf.json" failed)" = 0 ] || { echo "gregor perf produce: records failed" >&2; exit 1; }
  secs=$(json_field "$work/perf.json" elapsedSeconds)
  per=$(check_topic "$topic" "$count")
  echo "$(calc "$count / $secs") $(calc "$count * $size / $secs / 1000000") $secs $(json_field "$work/perf.json" cpuSeconds) $(calc "$after - $before") $per $(calc "$end - $start") $(calc "$user + $sys")"
}

# Warm the broker up (its JIT and page cache), so that neither client's first run pays for it.
for size in 100 1024; do
  input=$input_small; [ "$size" = 1024 ] && input=$input_large
  run_kcat "$size" "$(wc -l <"$input")" "$input" 1 >/dev/null
done

printf '\n%-22s %5s %-6s %10s %7s %7s %9s %9s %6s %17s %9s\n' "workload" "round" "client" "msgs/s" "MB/s" "seconds" "client cpu" "broker cpu" "B/rec" "process s (cpu s)" "load"
summary=()
for size in 100 1024; do
  count=$count_small; input=$input_small
  [ "$size" = 1024 ] && { count=$count_large; input=$input_large; }
  for partitions in 1 6; do
    workload="$count x $size B, $partitions p."
    ratios=""; kcat_rates=""; gregor_rates=""
    for round in $(seq "$rounds"); do
      run_kcat "$size" "$count" "$input" "$partitions" >"$work/run"
      read -r k_rate k_mb k_secs k_cpu k_broker k_per k_psecs k_pcpu <"$work/run"
      printf '%-22s %5s %-6s %10.0f %7.1f %7.2f %9.2f %9.2f %6.1f %17s %9s\n' "$workload" "$round" kcat "$k_rate" "$k_mb" "$k_secs" "$k_cpu" "$k_broker" "$k_per" "-" "$(loadavg | cut -d' ' -f1)"
      run_gregor "$size" "$count" "$partitions" >"$work/run"
      read -r g_rate g_mb g_secs g_cpu g_broker g_per g_psecs g_pcpu <"$work/run"
      printf '%-22s %5s %-6s %10.0f %7.1f %7.2f %9.2f %9.2f %6.1f %17s %9s\n' "$workload" "$round" gregor "$g_rate" "$g_mb" "$g_secs" "$g_cpu" "$g_broker" "$g_per" "$(printf '%.2f (%.2f)' "$g_psecs" "$g_pcpu")" "$(loadavg | cut -d' ' -f1)"
      ratios+="$(calc "$g_rate / $k_rate") "
      kcat_rates+="$k_rate "; gregor_rates+="$g_rate "
    done
    summary+=("$(printf '%-22s %12.0f %12.0f   %-26s %6.2f' "$workload" "$(echo "$kcat_rates" | median)" "$(echo "$gregor_rates" | median)" "$(for r in $ratios; do printf '%.2f ' "$r"; done)" "$(echo "$ratios" | median)")")
  done
done

printf '\n%-22s %12s %12s   %-26s %6s\n' "workload" "kcat msgs/s" "gregor msgs/s" "gregor/kcat per pair" "median"
printf '%s\n' "${summary[@]}"
echo "== (medians of each client's runs, and of the pairs' ratios); load average at the end $(loadavg)"
