#!/usr/bin/env bash
# The long run of the replication simulation (tests/Gregor.Broker.Tests/ReplicationSimulation): SEEDS seeds (default
# 10,000), 75% with three replicas and 25% with five, each 12 s of virtual time under faults (loss, delay, cut links,
# an isolated leader, pauses past the session timeout, crashes, crashes losing the page cache) and 8 s healed. Prints
# the summary line of each half (seeds passed, writes proposed/acknowledged, leader epochs, crashes, truncations, ISR
# changes) and the first failing seed with its replay command if any failed. Results go in docs/reliability.md.
#
#   bench/reliability/replication-simulation.sh [SEEDS]
#   GREGOR_REPLICATION_SEED=<seed> dotnet test tests/Gregor.Broker.Tests --filter ReplaysOneReplicationSeed   # one seed, traced
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:-10000}
dotnet build tests/Gregor.Broker.Tests -c Release --nologo -v quiet >/dev/null
started=$SECONDS
GREGOR_REPLICATION_SEEDS=$seeds dotnet test tests/Gregor.Broker.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~ReplicationSimulationTests&FullyQualifiedName~KeepEveryInvariant" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "seeds from|seeds failed|^ *seed |^replay|Passed!|Failed!" || true
echo "$seeds seeds in $((SECONDS - started)) s on $(nproc) cores"
