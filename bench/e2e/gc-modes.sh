#!/usr/bin/env bash
# The broker under each garbage-collector configuration, in turns in the same run: RSS when idle, RSS at
# its peak and throughput under bench/Gregor.ProduceLoad (1 KiB records in 1 MB requests from 3
# connections, acks=1), the broker's CPU seconds per GB received, and RSS 30 s after the load stopped.
# Each configuration is a copy of the Release build with its runtimeconfig.json changed, nothing else.
#
#   bench/e2e/gc-modes.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
rounds=3
[ "${1:-}" = "--rounds" ] && rounds=$2
build=$repo/src/Gregor.Cli/bin/Release/net10.0
loadgen_dll=$repo/bench/Gregor.ProduceLoad/bin/Release/net10.0/Gregor.ProduceLoad.dll
[ -f "$build/gregor.dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
[ -f "$loadgen_dll" ] || dotnet build bench/Gregor.ProduceLoad -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-gc.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# name | configProperties to set (JSON members)
modes=(
  'workstation-concurrent|"System.GC.Server": false, "System.GC.Concurrent": true'
  'workstation|"System.GC.Server": false, "System.GC.Concurrent": false'
  'workstation-conserve|"System.GC.Server": false, "System.GC.Concurrent": true, "System.GC.ConserveMemory": 5'
  'server-datas|"System.GC.Server": true, "System.GC.Concurrent": true'
  'server-no-datas|"System.GC.Server": true, "System.GC.Concurrent": true, "System.GC.DynamicAdaptationMode": 0'
)
for mode in "${modes[@]}"; do
  name=${mode%%|*}
  cp -r "$build" "$work/$name"
  /usr/bin/python3 - "$work/$name/gregor.runtimeconfig.json" "{${mode#*|}}" <<'PY'
import json, sys
path, extra = sys.argv[1], json.loads(sys.argv[2])
config = json.load(open(path))
properties = config["runtimeOptions"].setdefault("configProperties", {})
for key in [k for k in properties if k.startswith("System.GC.")]:
    del properties[key]
properties.update(extra)
json.dump(config, open(path, "w"), indent=2)
PY
done

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mib() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
create_topic() { /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": "127.0.0.1:" + sys.argv[1], "log_level": 3})
for f in admin.create_topics([NewTopic(sys.argv[2], 3, 1)]).values():
    f.result(30)
PY
}
printf '%-24s %5s %9s %9s %10s %10s %10s\n' mode round "idle MiB" "peak MiB" "msgs/s" "cpu s/GB" "after MiB"
for round in $(seq 1 "$rounds"); do
  for mode in "${modes[@]}"; do
    name=${mode%%|*}
    port=$(free_port)
    rm -rf "$work/data"
    dotnet "$work/$name/gregor.dll" server --set log.dirs="$work/data" --set listeners=PLAINTEXT://127.0.0.1:"$port" >"$work/broker.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
      /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break
      sleep 0.2
    done
    create_topic "$port" load
    sleep 5
    idle=$(rss_mib "$pid")
    peak=$idle
    ( while kill -0 "$pid" 2>/dev/null; do rss_mib "$pid"; sleep 0.2; done ) >"$work/rss" 2>/dev/null &
    sampler=$!
    before=$(cpu_seconds "$pid")
    result=$(dotnet "$loadgen_dll" --bootstrap 127.0.0.1:"$port" --topic load --records 500000 --record-size 1024 --connections 3)
    after_cpu=$(cpu_seconds "$pid")
    kill "$sampler"; wait "$sampler" 2>/dev/null || true
    peak=$(sort -n "$work/rss" | tail -1)
    sleep 30
    after=$(rss_mib "$pid")
    msgs=$(sed -E 's/.*msgs_per_s=([0-9]+).*/\1/' <<<"$result")
    printf '%-24s %5d %9d %9d %10d %10.2f %10d\n' "$name" "$round" "$idle" "$peak" "$msgs" \
      "$(awk -v a="$before" -v b="$after_cpu" 'BEGIN {print (b - a) / (1500000 * 1024 / 1e9)}')" "$after"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=
  done
done
echo "machine: $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
