#!/usr/bin/env bash
# A local cluster of three Gregor nodes, each broker and controller (process.roles=broker,controller, the three
# static voters), for development and tests. Builds gregor (or uses a built one), writes a config file per node,
# formats the nodes' data dirs with one cluster id (a second run reuses them), starts the three, prints the
# bootstrap list, and on Ctrl-C or SIGTERM stops all three: SIGTERM to each, SIGKILL to any still running after
# --stop-timeout seconds. A node that dies meanwhile is reported; the others keep running.
#
#   scripts/cluster.sh [options]
#
#   --dir DIR                  the cluster's folder (default ./cluster-data): DIR/cluster.id, and per node
#                              DIR/node-N/server.properties, DIR/node-N/data (log.dirs), DIR/node-N/server.log
#   --base-port P              client (PLAINTEXT) ports P, P+1, P+2 (default 9092)
#   --controller-base-port P   CONTROLLER ports P, P+1, P+2 (default: the base port + 10000)
#   --host H                   the address the nodes listen on and advertise (default 127.0.0.1)
#   --set name=value           a setting added to every node's config file (repeatable), e.g.
#                              --set broker.session.timeout.ms=3000 --set broker.heartbeat.interval.ms=500
#   --dll PATH                 run this gregor.dll and build nothing
#   --no-build                 run src/Gregor.Cli's existing Release build (default: build it first)
#   --reset                    delete DIR's nodes and cluster id first, making a new cluster
#   --no-start                 write the config files and format the data dirs, print the start commands, exit
#   --ready-timeout S          seconds to wait for every node's Metadata to list the three brokers (default 120)
#   --stop-timeout S           seconds a node gets to exit on SIGTERM before it is killed (default 30)
#   -h, --help                 this text
#
# The config files are written anew on every run (edits are lost: use --set); the data dirs and the cluster id are
# kept. Exit status: 0 after a stop by Ctrl-C/SIGTERM in which every node exited 0, 1 when a node could not start,
# did not exit cleanly, or every node died.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=(1 2 3)
dir=./cluster-data
base_port=9092
controller_base_port=""
host=127.0.0.1
settings=()
dll=""
build=true
reset=false
start=true
ready_timeout=120
stop_timeout=30

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "cluster: $*" >&2; exit 1; }
need_value() { [ $# -ge 2 ] || { echo "cluster: $1 needs a value" >&2; exit 2; }; }
number() { [[ "$2" =~ ^[0-9]+$ ]] || { echo "cluster: $1 must be a number, not '$2'" >&2; exit 2; }; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dir) need_value "$@"; dir=$2; shift ;;
    --base-port) need_value "$@"; number "$1" "$2"; base_port=$2; shift ;;
    --controller-base-port) need_value "$@"; number "$1" "$2"; controller_base_port=$2; shift ;;
    --host) need_value "$@"; host=$2; shift ;;
    --set)
      need_value "$@"
      [[ "$2" == *=* ]] || { echo "cluster: --set takes name=value, not '$2'" >&2; exit 2; }
      settings+=("$2"); shift ;;
    --dll) need_value "$@"; dll=$2; build=false; shift ;;
    --no-build) build=false ;;
    --reset) reset=true ;;
    --no-start) start=false ;;
    --ready-timeout) need_value "$@"; number "$1" "$2"; ready_timeout=$2; shift ;;
    --stop-timeout) need_value "$@"; number "$1" "$2"; stop_timeout=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cluster: unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$controller_base_port" ] || controller_base_port=$((base_port + 10000))
for n in "${nodes[@]}"; do
  for port in $((base_port + n - 1)) $((controller_base_port + n - 1)); do
    if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then die "port $port is out of range"; fi
  done
done
if [ $((controller_base_port + ${#nodes[@]})) -gt "$base_port" ] && [ "$controller_base_port" -lt $((base_port + ${#nodes[@]})) ]; then
  die "the client ports ($base_port..) and the controller ports ($controller_base_port..) overlap"
fi

# --- the gregor build --------------------------------------------------------------------------------------
if [ -z "$dll" ]; then
  dll=$repo/src/Gregor.Cli/bin/Release/net10.0/gregor.dll
  if $build; then
    echo "cluster: building src/Gregor.Cli (Release)"
    dotnet build "$repo/src/Gregor.Cli" -c Release --nologo -v quiet >/dev/null || die "the build of src/Gregor.Cli failed"
  fi
fi
[ -f "$dll" ] || die "no gregor at $dll (build it, or give --dll)"
dll=$(cd "$(dirname "$dll")" && pwd)/$(basename "$dll")
gregor() { dotnet "$dll" "$@"; }

# --- the folder, the cluster id, the config files, the formatted data dirs ----------------------------------
if $reset && [ -e "$dir" ]; then
  [ -f "$dir/cluster.id" ] || die "--reset: $dir has no cluster.id, so it is not a folder this script made; not deleting it"
  for n in "${nodes[@]}"; do rm -rf "${dir:?}/node-$n"; done
  rm -f "$dir/cluster.id"
  echo "cluster: reset $dir"
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/cluster.id" ]; then
  cluster_id=$(cat "$dir/cluster.id")
  echo "cluster: reusing cluster $cluster_id in $dir"
else
  cluster_id=$(gregor storage random-uuid)
  echo "$cluster_id" >"$dir/cluster.id"
  echo "cluster: new cluster $cluster_id in $dir"
fi

client_port() { echo $((base_port + $1 - 1)); }
controller_port() { echo $((controller_base_port + $1 - 1)); }
voters=""
for n in "${nodes[@]}"; do voters+="${voters:+,}$n@$host:$(controller_port "$n")"; done
bootstrap=""
for n in "${nodes[@]}"; do bootstrap+="${bootstrap:+,}$host:$(client_port "$n")"; done

for n in "${nodes[@]}"; do
  mkdir -p "$dir/node-$n/data"
  {
    echo "# Node $n of a local cluster, written by scripts/cluster.sh on every run (edits are lost; use --set)."
    echo "process.roles=broker,controller"
    echo "node.id=$n"
    echo "controller.quorum.voters=$voters"
    echo "listeners=PLAINTEXT://$host:$(client_port "$n"),CONTROLLER://$host:$(controller_port "$n")"
    echo "advertised.listeners=PLAINTEXT://$host:$(client_port "$n")"
    echo "controller.listener.names=CONTROLLER"
    echo "log.dirs=$dir/node-$n/data"
    for setting in ${settings[@]+"${settings[@]}"}; do echo "$setting"; done
  } >"$dir/node-$n/server.properties"
  gregor storage format --cluster-id "$cluster_id" --config "$dir/node-$n/server.properties" --ignore-formatted \
    | sed "s/^/cluster: node $n: /" || die "formatting node $n failed (a data dir of another cluster? --reset starts anew)"
done

start_command() { echo "dotnet $dll server --config $dir/node-$1/server.properties"; }
if ! $start; then
  echo "cluster: formatted; start each node with:"
  for n in "${nodes[@]}"; do echo "  $(start_command "$n")"; done
  echo "cluster: bootstrap servers $bootstrap"
  exit 0
fi

# --- running -----------------------------------------------------------------------------------------------
pids=() # by node id

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
running() { # a child that has exited stays a zombie until it is waited for
  [ -n "${pids[$1]:-}" ] && [ -e "/proc/${pids[$1]}" ] && [ "$(awk '{print $3}' "/proc/${pids[$1]}/stat" 2>/dev/null)" != Z ]
}
exit_code() { local code=0; wait "${pids[$1]}" 2>/dev/null || code=$?; echo "$code"; }

stopping=false
failed=false
stop_all() {
  $stopping && return 0
  stopping=true
  local n code deadline
  for n in "${!pids[@]}"; do
    if running "$n"; then kill -TERM "${pids[$n]}" 2>/dev/null || true; fi
  done
  deadline=$((SECONDS + stop_timeout))
  for n in "${nodes[@]}"; do
    [ -n "${pids[$n]:-}" ] || continue
    while running "$n" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if running "$n"; then
      kill -KILL "${pids[$n]}" 2>/dev/null || true
      echo "cluster: node $n did not exit within ${stop_timeout}s of SIGTERM: killed"
      failed=true
    fi
    code=$(exit_code "$n")
    echo "cluster: node $n stopped (exit code $code)"
    [ "$code" = 0 ] || failed=true
    unset "pids[$n]"
  done
}
on_signal() {
  echo
  echo "cluster: $1: stopping the nodes"
  stop_all
  $failed && exit 1
  exit 0
}
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP
trap 'stop_all' EXIT

for n in "${nodes[@]}"; do
  for port in $(client_port "$n") $(controller_port "$n"); do
    ! listening "$host" "$port" || die "$host:$port is in use (another cluster running? --base-port moves the ports)"
  done
done

launcher=()
command -v setsid >/dev/null && launcher=(setsid) # the nodes get no Ctrl-C of their own: this script stops them
for n in "${nodes[@]}"; do
  log=$dir/node-$n/server.log
  echo "--- $(date '+%F %T'): $(start_command "$n")" >>"$log"
  ${launcher[@]+"${launcher[@]}"} dotnet "$dll" server --config "$dir/node-$n/server.properties" >>"$log" 2>&1 </dev/null &
  pids[n]=$!
done

node_died() {
  local n=$1 code
  code=$(exit_code "$n")
  unset "pids[$n]"
  failed=true
  echo "cluster: node $n exited with code $code; the end of $dir/node-$n/server.log:" >&2
  tail -n 15 "$dir/node-$n/server.log" | sed 's/^/    /' >&2
}

# Ready: every node's Metadata lists the three brokers (gregor cluster info through that node alone).
echo "cluster: starting nodes ${nodes[*]} (pids ${pids[*]}), waiting up to ${ready_timeout}s for them to list ${#nodes[@]} brokers"
deadline=$((SECONDS + ready_timeout))
pending=("${nodes[@]}")
while [ ${#pending[@]} -gt 0 ]; do
  for n in "${nodes[@]}"; do
    if [ -n "${pids[$n]:-}" ] && ! running "$n"; then
      node_died "$n"
      echo "cluster: node $n could not start; stopping the others" >&2
      stop_all
      exit 1
    fi
  done
  still=()
  for n in "${pending[@]}"; do
    brokers=0
    if listening "$host" "$(client_port "$n")"; then
      brokers=$(timeout 15 dotnet "$dll" cluster info -o json --bootstrap "$host:$(client_port "$n")" 2>/dev/null \
        | grep -c '"id":' || true)
    fi
    [ "$brokers" = "${#nodes[@]}" ] || still+=("$n")
  done
  pending=(${still[@]+"${still[@]}"})
  [ ${#pending[@]} -gt 0 ] || break
  if [ $SECONDS -ge $deadline ]; then
    echo "cluster: after ${ready_timeout}s the Metadata of nodes ${pending[*]} does not list ${#nodes[@]} brokers yet; the nodes keep running (see their logs)" >&2
    break
  fi
  sleep 0.5 & wait $! || true
done

echo "cluster: up - $cluster_id, data in $dir"
for n in "${nodes[@]}"; do
  printf 'cluster:   node %s  pid %-7s clients %s  controller %s  log %s\n' "$n" "${pids[$n]:-?}" \
    "$host:$(client_port "$n")" "$host:$(controller_port "$n")" "$dir/node-$n/server.log"
done
echo "cluster: bootstrap servers $bootstrap"
echo "cluster: Ctrl-C (or SIGTERM to pid $$) stops the three"

while :; do
  sleep 1 & wait $! || true
  alive=0
  for n in "${nodes[@]}"; do
    [ -n "${pids[$n]:-}" ] || continue
    if running "$n"; then
      alive=$((alive + 1))
    else
      node_died "$n"
      echo "cluster: the others keep running; to start node $n again: $(start_command "$n")" >&2
    fi
  done
  if [ $alive -eq 0 ]; then
    echo "cluster: every node has exited" >&2
    exit 1
  fi
done
