#!/usr/bin/env bash
# Interop suite: real Kafka clients (kcat, confluent-kafka for Python, kafkajs, Confluent.Kafka for
# .NET) against a fresh single-node Gregor broker. Prints one "ok"/"FAIL" line per test and closes with
# "interop: N passed, N failed"; exits non-zero when a test fails.
#
#   tests/interop/run.sh [--dll PATH/gregor.dll] [TEST ...]
#
# Without --dll it builds src/Gregor.Cli (Release) first. TEST names (or shell patterns such
# as 'kcat-*') pick tests; without any, all run. See tests/interop/README.md.
# The dotnet-* tests' client is built by dotnet/build.sh when one of them is picked and its
# inputs changed; if it does not build, those tests fail with the build's errors, the others run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
# Confluent.Kafka 2.16 for .NET (NuGet, librdkafka 2.16 bundled), built by dotnet/build.sh.
dotnet_client="dotnet dotnet/ConfluentInterop/bin/Release/net10.0/ConfluentInterop.dll"

dll=""
selected=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) selected+=("$1"); shift ;;
  esac
done

# name | command (run from tests/interop)
tests=(
  "kcat-metadata|$python cases/kcat_metadata.py"
  "kcat-roundtrip-none|$python cases/kcat_roundtrip.py none"
  "kcat-roundtrip-gzip|$python cases/kcat_roundtrip.py gzip"
  "kcat-roundtrip-snappy|$python cases/kcat_roundtrip.py snappy"
  "kcat-roundtrip-lz4|$python cases/kcat_roundtrip.py lz4"
  "kcat-roundtrip-zstd|$python cases/kcat_roundtrip.py zstd"
  "confluent-admin|$python cases/confluent_admin.py"
  "confluent-produce-consume|$python cases/confluent_produce_consume.py"
  "confluent-offsets-for-times|$python cases/confluent_offsets_for_times.py"
  "offset-for-leader-epoch|$python cases/offset_for_leader_epoch.py"
  "kafkajs-roundtrip|node node/roundtrip.js"
  "dotnet-produce-consume|$dotnet_client produce-consume"
  "dotnet-admin|$dotnet_client admin"
  "dotnet-compression|$dotnet_client compression"
  "dotnet-leader-epoch|$dotnet_client leader-epoch"
  "kcat-group|$python cases/kcat_group.py"
  "confluent-group-range|$python cases/confluent_group.py range"
  "confluent-group-cooperative|$python cases/confluent_group.py cooperative-sticky"
  "dotnet-group-range|$dotnet_client group range"
  "dotnet-group-cooperative|$dotnet_client group cooperative-sticky"
  "gregor-cli-topic|$python cases/gregor_cli_topic.py"
  "gregor-cli-group|$python cases/gregor_cli_group.py"
  "kafkajs-group|node node/group.js"
  "kafkajs-pubsub|node node/pubsub.js"
  "kafkajs-confluent-group|$python cases/mixed_group.py"
  "group-restart|$python cases/group_restart.py"
  "bad-input|$python cases/bad_input.py"
  "crash-recovery|$python cases/crash_recovery.py"
  "quorum-failover|$python cases/quorum_failover.py"
  "cluster-clients|$python cases/cluster_clients.py"
  "cluster-failover|$python cases/cluster_failover.py"
  "cluster-reassign|$python cases/cluster_reassign.py"
  "cluster-all-crash|$python cases/cluster_all_crash.py"
  "idempotent-producers|$python cases/idempotent_producers.py"
  "many-partitions-low-ulimit|$python cases/many_partitions_low_ulimit.py"
  "log-chores|$python cases/log_chores.py"
  "gregor-produce-none|$python cases/gregor_produce_read.py none"
  "gregor-produce-gzip|$python cases/gregor_produce_read.py gzip"
  "gregor-produce-snappy|$python cases/gregor_produce_read.py snappy"
  "gregor-produce-lz4|$python cases/gregor_produce_read.py lz4"
  "gregor-produce-zstd|$python cases/gregor_produce_read.py zstd"
  "kcat-to-gregor|$python cases/kcat_to_gregor.py"
  "kafkajs-to-gregor|node node/to-gregor.js"
  "gregor-consume-cli|$python cases/gregor_consume_cli.py"
  "gregor-consume-group|$python cases/gregor_consume_group.py"
  "gregor-confluent-pubsub|$python cases/gregor_confluent_pubsub.py"
  "gregor-confluent-group-range|$python cases/gregor_confluent_group.py range"
  "gregor-confluent-group-cooperative|$python cases/gregor_confluent_group.py cooperative-sticky"
  "attack-prefixes|$python cases/attack.py prefixes"
  "attack-big-bodies|$python cases/attack.py big-bodies"
  "attack-connections|$python cases/attack.py connections"
  "attack-idle|$python cases/attack.py idle"
  "attack-slow-readers|$python cases/attack.py slow-readers"
  "attack-fetch-flood|$python cases/attack.py fetch-flood"
  "attack-fan-out|$python cases/attack.py fan-out"
)

is_selected() {
  [ ${#selected[@]} -eq 0 ] && return 0
  local pattern
  for pattern in "${selected[@]}"; do
    # shellcheck disable=SC2053 # the pattern is meant to glob
    [[ "$1" == $pattern ]] && return 0
  done
  return 1
}

fail_setup() {
  echo "interop: $1" >&2
  echo "interop: 0 passed, 1 failed"
  exit 1
}

for pattern in "${selected[@]}"; do
  matched=false
  for entry in "${tests[@]}"; do
    # shellcheck disable=SC2053
    [[ "${entry%%|*}" == $pattern ]] && matched=true
  done
  $matched || fail_setup "no test named '$pattern'; tests: $(printf '%s ' "${tests[@]%%|*}")"
done

if [ -z "$dll" ]; then
  dll="$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll"
  echo "interop: building src/Gregor.Cli (Release)"
  dotnet build "$repo/src/Gregor.Cli" -c Release --nologo -v quiet >/dev/null \
    || fail_setup "build of src/Gregor.Cli failed"
fi
[ -f "$dll" ] || fail_setup "no broker at $dll"
"$repo/scripts/install-clients.sh" || fail_setup "installing the clients failed"

work=$(mktemp -d /tmp/gregor-interop.XXXXXX)

# The .NET client, only when a dotnet-* test runs. A failed build fails those tests, not the suite.
dotnet_build_failure=""
for entry in "${tests[@]}"; do
  name=${entry%%|*}
  if [[ "$name" == dotnet-* ]] && is_selected "$name"; then
    "$here/dotnet/build.sh" "$work/dotnet-client-build.log" \
      || dotnet_build_failure="the Confluent.Kafka client did not build (log: $work/dotnet-client-build.log)"
    break
  fi
done

data_dir="$work/data"
broker_log="$work/broker.log"
broker_pid=""
port=""

start_broker() {
  [ -n "$port" ] || port=$($python "$here/lib/broker.py" free-port)
  broker_pid=$($python "$here/lib/broker.py" start "$dll" "$data_dir" "$port" "$broker_log") || {
    tail -n 40 "$broker_log" | sed 's/^/    broker: /'
    fail_setup "broker did not start (log: $broker_log)"
  }
}

stop_broker() {
  [ -n "$broker_pid" ] && $python "$here/lib/broker.py" stop "$broker_pid"
  broker_pid=""
}
trap stop_broker EXIT

broker_alive() {
  [ -n "$broker_pid" ] && [ -e "/proc/$broker_pid" ] \
    && [ "$(awk '{print $3}' "/proc/$broker_pid/stat" 2>/dev/null)" != "Z" ]
}

start_broker
echo "interop: broker pid $broker_pid on 127.0.0.1:$port, data $data_dir, log $broker_log"

passed=0; failed=0; suite_started=$SECONDS
cd "$here"
for entry in "${tests[@]}"; do
  name=${entry%%|*}; command=${entry#*|}
  is_selected "$name" || continue
  if [[ "$name" == dotnet-* ]] && [ -n "$dotnet_build_failure" ]; then
    failed=$((failed + 1))
    printf 'FAIL %-30s %4ds  (%s)\n' "$name" 0 "$dotnet_build_failure"
    continue
  fi
  scratch="$work/$name"; mkdir -p "$scratch"
  test_log="$work/$name.log"
  broker_log_lines=$(wc -l <"$broker_log")
  started=$SECONDS
  GREGOR_BOOTSTRAP="127.0.0.1:$port" GREGOR_PID="$broker_pid" GREGOR_DATA_DIR="$data_dir" \
    GREGOR_DLL="$dll" GREGOR_SCRATCH="$scratch" KAFKAJS_NO_PARTITIONER_WARNING=1 \
    timeout 300 $command >"$test_log" 2>&1
  rc=$?
  seconds=$((SECONDS - started))
  if [ $rc -eq 0 ] && broker_alive; then
    passed=$((passed + 1))
    printf 'ok   %-30s %4ds  %s\n' "$name" "$seconds" "$(grep '^\[' "$test_log" | tail -n 1)"
  else
    failed=$((failed + 1))
    printf 'FAIL %-30s %4ds  (exit %d; log %s)\n' "$name" "$seconds" "$rc" "$test_log"
    tail -n 30 "$test_log" | sed 's/^/    | /'
    echo "    broker log during the test (tail):"
    tail -n +"$((broker_log_lines + 1))" "$broker_log" | tail -n 30 | sed 's/^/    broker: /'
    if ! broker_alive; then
      echo "    the broker died during $name; restarting it on the same data dir"
      start_broker
    fi
  fi
done
cd "$repo"
stop_broker

[ $failed -eq 0 ] && rm -rf "$work" || echo "interop: logs and data kept in $work"
echo "interop: ${passed} passed, ${failed} failed ($((SECONDS - suite_started))s)"
[ $failed -eq 0 ]
