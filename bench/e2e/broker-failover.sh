#!/usr/bin/env bash
# Broker failover times in a cluster of three combined nodes (broker and controller), over N rounds, each on a fresh
# cluster (bench/e2e/broker_failover.py): kill -9 of a broker that is not the active controller -> its partitions
# show leader -1 (session expiry); its restart -> they are led again; SIGTERM of such a broker -> its partitions show
# leader -1 (controlled shutdown) and the process exits. Prints each round and the medians.
#
#   bench/e2e/broker-failover.sh [--dll DLL] [--rounds N] [--partitions N] [--session-ms MS] [--heartbeat-ms MS]
#
# --dll defaults to src/Gregor.Cli's Release build (built when missing); --rounds to 5; --partitions to 9; the
# session timeout and heartbeat interval to the broker's defaults (broker.session.timeout.ms 9000,
# broker.heartbeat.interval.ms 2000). Logs and data of a failed round are kept (the path is printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
rounds=5
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --partitions|--session-ms|--heartbeat-ms) extra+=("$1" "$2"); shift ;;
    *) sed -n '2,11p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-broker-failover.XXXXXX")
keep=false
trap '$keep || rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results.jsonl
for round in $(seq 1 "$rounds"); do
  if ! /usr/bin/python3 bench/e2e/broker_failover.py --dll "$dll" --work "$work" --round "$round" \
      ${extra[@]+"${extra[@]}"} | tee -a "$results"; then
    keep=true
    echo "round $round failed; logs and data in $work/round-$round" >&2
    exit 1
  fi
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("medians over %d rounds (session timeout %s ms):" % (len(rows), rows[0]["session_ms"]))
for key, what in (("kill_to_leader_none_s", "kill -9 -> leader -1"),
                  ("restart_answering_s", "restart -> answering"),
                  ("restart_to_leader_s", "restart -> leaders back"),
                  ("sigterm_to_leader_none_s", "SIGTERM -> leader -1"),
                  ("sigterm_exit_s", "SIGTERM -> process exit")):
    values = [r[key] for r in rows]
    print("  %-26s %7.3f s   (min %.3f, max %.3f)" % (what, statistics.median(values), min(values), max(values)))
codes = sorted({r["sigterm_exit_code"] for r in rows})
print("  SIGTERM exit codes: %s" % codes)
PY
