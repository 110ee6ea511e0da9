#!/usr/bin/env bash
# Start-up time and memory of one broker holding many partitions, before and after, in the same run.
#
#   bench/e2e/many-partitions.sh [--before DLL] [--after DLL] [--partitions "10000 50000"] [--per-topic N] [--nofile N]
#
# For each build and partition count (fresh data dir each): start the broker, create the partitions with
# CreateTopics (topics of --per-topic partitions, default 1000), produce one 100-byte record into every
# partition (confluent-kafka, acks=1), stop it with SIGTERM, start it again on the same data and wait until
# Metadata lists every partition with a leader. See bench/e2e/many_partitions.py for what each figure is.
# --before defaults to the build of main before issue 11's work (/work/baseline/cli/gregor.dll when present),
# --after to src/Gregor.Cli's Release build (built if missing). --nofile starts the brokers under
# `prlimit --nofile=N:N` (default: the limits this shell has). Runs one broker at a time on 127.0.0.1.
# A build that fails part-way is measured as far as it gets: its JSON says what failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
before=/work/baseline/cli/gregor.dll
after=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
counts="10000 50000"
per_topic=1000
nofile=0
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift ;;
    --after) after=$2; shift ;;
    --partitions) counts=$2; shift ;;
    --per-topic) per_topic=$2; shift ;;
    --nofile) nofile=$2; shift ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$after" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-many-partitions.XXXXXX")
run_pid=
# The measuring script stops its broker when it ends (SIGTERM included); wait for that before removing its data.
trap '[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid"; rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), open files $(ulimit -Sn)/$(ulimit -Hn), vm.max_map_count $(cat /proc/sys/vm/max_map_count), load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results.jsonl
for count in $counts; do
  for build in before after; do
    dll=$before
    [ "$build" = after ] && dll=$after
    [ -f "$dll" ] || { echo "skip $build: no $dll" >&2; continue; }
    /usr/bin/python3 bench/e2e/many_partitions.py "$dll" "$count" "$work/$build-$count" \
      --per-topic "$per_topic" --nofile "$nofile" --label "$build" >>"$results" 2>"$work/$build-$count.err" &
    run_pid=$!
    wait "$run_pid" || true
    run_pid=
    tail -1 "$results"
    rm -rf "$work/$build-$count/data"
  done
done

/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def show(value, unit=""):
    return "-" if value is None else ("%.1f%s" % (value, unit) if isinstance(value, float) else "%s%s" % (value, unit))
print()
print("| partitions | build | logs created (failed) | create s | RSS MiB | fds | stop s | restart: answers s | all served s | logs loaded (ms) | RSS after restart MiB (settled) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s (%s) | %s (%s) |" % (
        r["partitions"], r["label"], show(r.get("logs_created")), show(r.get("logs_failed")), show(r.get("create_s")), show(r.get("rss_mib")),
        show(r.get("fds")), show(r.get("stop_s")), show(r.get("start_answer_s")), show(r.get("start_ready_s")), show(r.get("loaded_logs")),
        show(r.get("loaded_ms")), show(r.get("rss_after_start_mib")), show(r.get("rss_settled_mib"))))
print()
for count in sorted({r["partitions"] for r in rows}):
    pair = {r["label"]: r for r in rows if r["partitions"] == count}
    b, a = pair.get("before"), pair.get("after")
    if not a or not b:
        continue
    if b.get("served_after_start") == count and a.get("served_after_start") == count:
        print("%d partitions, after/before: restart to all served %.2f, logs loaded ms %.2f, RSS after restart %.2f" % (
            count, a["start_ready_s"] / b["start_ready_s"], a["loaded_ms"] / b["loaded_ms"], a["rss_after_start_mib"] / b["rss_after_start_mib"]))
    else:
        print("%d partitions: no ratio, not both builds served every partition after the restart (before %s, after %s)" % (
            count, b.get("served_after_start"), a.get("served_after_start")))
    for label, r in (("before", b), ("after", a)):
        for key in ("errors", "first_run_ended", "restart_ended"):
            if r.get(key):
                print("  %s %s: %s" % (label, key, r[key]))
PY
