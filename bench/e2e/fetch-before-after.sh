#!/usr/bin/env bash
# Consumer throughput and the broker's CPU per GB served, for two builds of the broker in the same run:
# kcat (librdkafka) and gregor perf consume (Gregor.Client) read whole topics of 100 B and 1 KiB records
# with 1 and 6 partitions from each broker in turn (before, after, before, after, ...), so both builds
# meet the same machine.
#
#   bench/e2e/fetch-before-after.sh --before REV|gregor.dll [--after REV|gregor.dll] [--rounds N] [--quick]
#
# A REV is built (Release) from a detached worktree of this repository; --after defaults to this
# checkout's Release build. Records: 3,000,000 of 100 B and 600,000 of 1 KiB per topic (--quick divides
# by ten), written once per broker by kcat (acks=1, no compression, keyless values of exactly that size)
# and read back whole, from the beginning, by every consumer run: the log stays in the page cache, so
# the runs measure the fetch path, not the disk.
#
# Consumers (defaults otherwise):
#   kcat -C -e -q -o beginning -f '%p\n'       one short line per record to /dev/null
#   gregor perf consume --num-records N        its own clock, from subscribing to the last record
# Reported per run: records/s, MB/s of record values, the consumer's wall seconds, the broker's CPU seconds
# during the run and that per GB of log bytes served (GB = 10^9). Then per workload the medians of each
# build and of the pairs' ratios after/before.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
scale=1
rounds=3
before=
after=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift ;;
    --after) after=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --quick) scale=10 ;;
    *) echo "usage: $0 --before REV|DLL [--after REV|DLL] [--rounds N] [--quick]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$before" ] || { echo "usage: $0 --before REV|DLL [--after REV|DLL] [--rounds N] [--quick]" >&2; exit 2; }
command -v kcat >/dev/null || { echo "missing kcat: apt-get install kcat (or scripts/install-clients.sh)" >&2; exit 2; }
count_small=$((3000000 / scale))
count_large=$((600000 / scale))

work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-fetch-bench.XXXXXX")
pids=()
worktrees=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  for tree in "${worktrees[@]}"; do git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

calc() { awk "BEGIN {print $*}"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
json_field() { /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }

# A gregor.dll for a revision or a path: a revision is built from a detached worktree.
resolve() {
  local what=$1 name=$2
  if [ -f "$what" ]; then echo "$what"; return; fi
  local tree=$work/src-$name
  git -C "$repo" worktree add --detach "$tree" "$what" >/dev/null 2>&1
  worktrees+=("$tree")
  dotnet build "$tree/src/Gregor.Cli" -c Release -v q -nologo >"$work/build-$name.log" 2>&1 \
    || { echo "building $what failed (see $work/build-$name.log)" >&2; exit 1; }
  echo "$tree/src/Gregor.Cli/bin/Release/net10.0/gregor.dll"
}
[ -f "$after" ] || [ "$after" != "$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
before_dll=$(resolve "$before" before)
after_dll=$(resolve "$after" after)

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== before: $before; after: $after; kcat $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1); .NET $(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}')"

declare -A port pid dll
dll[before]=$before_dll
dll[after]=$after_dll
for build in before after; do
  port[$build]=$(free_port)
  dotnet "${dll[$build]}" server --set log.dirs="$work/data-$build" --set listeners=PLAINTEXT://127.0.0.1:"${port[$build]}" >"$work/broker-$build.log" 2>&1 &
  pid[$build]=$!
  pids+=("${pid[$build]}")
done
for build in before after; do
  for _ in $(seq 150); do kcat -b 127.0.0.1:"${port[$build]}" -L -m 1 >/dev/null 2>&1 && break; sleep 0.2; done
done

make_input() { /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import base64, os, sys
path, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "wb") as f:
    done = 0
    while done < count:
        n = min(4096, count - done)
        raw = base64.b64encode(os.urandom(size * n * 3 // 4 + 3))
        f.write(b"".join(raw[i * size:(i + 1) * size] + b"\n" for i in range(n)))
        done += n
PY
}
make_input "$work/in-100" 100 "$count_small"
make_input "$work/in-1024" 1024 "$count_large"

# The same topics on both brokers: t<size>-<partitions>.
for build in before after; do
  for size in 100 1024; do
    for partitions in 1 6; do
      topic=t$size-$partitions
      dotnet "$after_dll" topic create "$topic" --partitions "$partitions" --bootstrap 127.0.0.1:"${port[$build]}" >/dev/null
      kcat -P -q -b 127.0.0.1:"${port[$build]}" -t "$topic" -X acks=1 -X linger.ms=5 -X batch.size=1000000 \
        -X queue.buffering.max.kbytes=1048576 -X queue.buffering.max.messages=1000000 -l "$work/in-$size"
    done
  done
done
log_bytes() { cat "$work/data-$1/$2"-*/*.log | wc -c; }

# One run: prints "records/s MB/s seconds broker-cpu broker-cpu-per-GB".
run() {
  local build=$1 client=$2 size=$3 partitions=$4 count=$5 topic=t$3-$4 b0 b1 start end secs lines
  b0=$(cpu_seconds "${pid[$build]}")
  start=$(date +%s.%N)
  if [ "$client" = kcat ]; then
    lines=$(kcat -C -e -q -o beginning -f '%p\n' -b 127.0.0.1:"${port[$build]}" -t "$topic" | wc -l)
    end=$(date +%s.%N)
    [ "$lines" -eq "$count" ] || { echo "kcat read $lines of $count records from $build/$topic" >&2; exit 1; }
    secs=$(calc "$end - $start")
  else
    dotnet "$after_dll" perf consume "$topic" --num-records "$count" -o json --bootstrap 127.0.0.1:"${port[$build]}" >"$work/perf.json"
    [ "$(json_field "$work/perf.json" records)" -eq "$count" ] || { echo "gregor read too few records from $build/$topic" >&2; exit 1; }
    secs=$(json_field "$work/perf.json" elapsedSeconds)
  fi
  b1=$(cpu_seconds "${pid[$build]}")
  local cpu gb
  cpu=$(calc "$b1 - $b0")
  gb=$(calc "$(log_bytes "$build" "$topic") / 1000000000")
  echo "$(calc "$count / $secs") $(calc "$count * $size / $secs / 1000000") $secs $cpu $(calc "$cpu / $gb")"
}

# Warm-up: each broker's JIT and page cache, each client once.
for build in before after; do
  run "$build" kcat 100 1 "$count_small" >/dev/null
  run "$build" gregor 1024 6 "$count_large" >/dev/null
done

printf '\n%-26s %-6s %5s %-6s %10s %7s %7s %10s %12s\n' workload client round build "records/s" "MB/s" seconds "broker cpu" "cpu s / GB"
summary=()
for client in kcat gregor; do
  for size in 100 1024; do
    count=$count_small; [ "$size" = 1024 ] && count=$count_large
    for partitions in 1 6; do
      workload="$count x $size B, $partitions p."
      rates_b=""; rates_a=""; cpu_b=""; cpu_a=""; ratios=""; cpu_ratios=""
      for round in $(seq "$rounds"); do
        for build in before after; do
          run "$build" "$client" "$size" "$partitions" "$count" >"$work/run"
          read -r rate mb secs cpu per_gb <"$work/run"
          printf '%-26s %-6s %5s %-6s %10.0f %7.1f %7.2f %10.2f %12.2f\n' "$workload" "$client" "$round" "$build" "$rate" "$mb" "$secs" "$cpu" "$per_gb"
          if [ "$build" = before ]; then rates_b+="$rate "; cpu_b+="$per_gb "; b_rate=$rate; b_cpu=$per_gb
          else rates_a+="$rate "; cpu_a+="$per_gb "; ratios+="$(calc "$rate / $b_rate") "; cpu_ratios+="$(calc "$per_gb / $b_cpu") "; fi
        done
      done
      summary+=("$(printf '%-26s %-6s %11.0f %11.0f %6.2f %9.2f %9.2f %6.2f' "$workload" "$client" \
        "$(echo "$rates_b" | median)" "$(echo "$rates_a" | median)" "$(echo "$ratios" | median)" \
        "$(echo "$cpu_b" | median)" "$(echo "$cpu_a" | median)" "$(echo "$cpu_ratios" | median)")")
    done
  done
done

printf '\n%-26s %-6s %11s %11s %6s %9s %9s %6s\n' workload client "rec/s bef." "rec/s aft." ratio "cpu/GB b." "cpu/GB a." ratio
printf '%s\n' "${summary[@]}"
echo "== medians of each build's runs and of the pairs' ratios (after/before); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
