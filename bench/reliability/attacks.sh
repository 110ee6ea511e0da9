#!/usr/bin/env bash
# Issue 11's attacks, longer than in the suite, against two broker builds in the same run: for each attack
# a fresh broker, a normal confluent-kafka client producing (1 KiB, acks=1, as fast as it goes) and
# consuming, its throughput just before and during the attack, the broker's RSS (baseline, peak over it
# until it is back, how long that took) and what the attackers saw. Results go in docs/reliability.md.
#
#   bench/reliability/attacks.sh BEFORE_DLL [AFTER_DLL] [--window SECONDS] [--only ATTACK] [--cap MSGS_PER_S]
#
# --cap limits the normal client's producer (default: as fast as it goes). The after build checks retention
# every second, so the normal client's topic stays within its retention.bytes; the before build cannot be told
# to (it refuses log.retention.check.interval.ms), so uncapped its data grows by 100 MB or more a second until
# the attack's broker is deleted: mind the disk, or give a cap.
#
# AFTER_DLL defaults to this tree's Release build. The "before" build is given only settings it knows;
# the "after" build runs with its default memory budget (512 MiB on a machine with 2 GiB or more) and a
# short socket.write.timeout.ms (5 s) for the slow readers. Both run with DOTNET_GCHeapHardLimit=4 GiB so a
# build without limits fails inside the broker (OutOfMemoryException) rather than exhausting the machine;
# for the same reason the attacks are smaller than the issue's (20 clients of 100 MiB bodies, not 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
before_dll=${1:?usage: $0 BEFORE_DLL [AFTER_DLL] [--window SECONDS] [--only ATTACK] [--cap MSGS_PER_S]}
shift
after_dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
window=30
only=
cap=0
while [ $# -gt 0 ]; do
  case $1 in
    --window) window=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --cap) cap=$2; shift 2 ;;
    *) after_dll=$1; shift ;;
  esac
done
[ -f "$after_dll" ] || dotnet build src/Gregor.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/gregor-attacks.XXXXXX")
trap 'rm -rf "$work"' EXIT
export DOTNET_GCHeapHardLimit=0x100000000

# attack | its parameters | settings for both builds | settings for the after build only
attacks=(
  "prefixes|--param count=1000||"
  "big-bodies|--param count=20 --param rate_mb_s=400||"
  "connections|--param per_address=1500||"
  "idle|--param silent=100 --param trickle=100|--set connections.max.idle.ms=10000|"
  "slow-readers|--param count=5 --param partitions=50 --param fill_mb=20||--set socket.write.timeout.ms=5000"
  "fetch-flood|--param count=10 --param partitions=50 --param fill_mb=20||"
  "fan-out|--param count=3 --param partitions=10000000||"
)
printf '%-13s %-7s %14s %14s %9s %9s %9s %10s %9s %6s %s\n' attack build "acked/s before" during "slowest s" "rss MiB" "+peak" "back in s" "rss after" alive attackers
for entry in "${attacks[@]}"; do
  IFS='|' read -r attack params both after_only <<<"$entry"
  [ -n "$only" ] && [ "$attack" != "$only" ] && continue
  for build in before after; do
    dll=$before_dll; extra=$both
    [ "$build" = after ] && { dll=$after_dll; extra="$both $after_only --set log.retention.check.interval.ms=1000"; }
    # shellcheck disable=SC2086 # parameters and settings are word lists
    if ! /usr/bin/python3 tests/interop/lib/siege.py "$dll" "$work/$attack-$build" "$attack" $params $extra \
        --window "$window" --cap "$cap" >"$work/out.json" 2>"$work/err.log"; then
      printf '%-13s %-7s siege failed: %s\n' "$attack" "$build" "$(grep -v '^\s*$' "$work/err.log" | tail -n 3 | tr '\n' ' ')"
      continue
    fi
    /usr/bin/python3 - "$attack" "$build" "$work/out.json" <<'PY'
import json, sys
attack, build = sys.argv[1], sys.argv[2]
f = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])
if "acked_per_s_during" not in f:
    print("%-13s %-7s the broker died while the attack was set up (RSS peak %s MiB)" % (attack, build, f.get("rss_peak_mib")))
    sys.exit(0)
print("%-13s %-7s %14d %14d %9s %9d %9d %10s %9d %6s %s" % (
    attack, build, f["acked_per_s_before"], f["acked_per_s_during"], f["acked_slowest_second"], f["rss_baseline_mib"],
    f["rss_over_baseline_mib"],
    "-" if f["recovered_s"] is None else "%.0f" % f["recovered_s"], f["rss_after_mib"],
    "yes" if f["broker_alive"] else "DIED", json.dumps(f["attack_stats"], separators=(",", ":"))))
if f["legit_errors"]:
    print("%13s   the normal client saw %d errors, the last: %s" % ("", f["legit_errors"], f["legit_last_error"]))
PY
    rm -rf "$work/$attack-$build/data" # the broker's log: only its figures are kept
  done
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
