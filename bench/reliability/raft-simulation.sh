#!/usr/bin/env bash
# The long run of the Raft simulation (tests/Gregor.Raft.Tests): SEEDS seeds (default 10,000), 60% with three
# voters and 40% with five, each 20 s of virtual time under faults and 15 s healed. Prints the summary line of
# each half (seeds passed, writes proposed/acknowledged, elections, crashes, snapshots) and the first failing
# seed with its replay command if any failed. Results go in docs/reliability.md.
#
#   bench/reliability/raft-simulation.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:-10000}
dotnet build tests/Gregor.Raft.Tests -c Release --nologo -v quiet >/dev/null
started=$SECONDS
GREGOR_RAFT_SEEDS=$seeds dotnet test tests/Gregor.Raft.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~KeepEveryInvariant" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "seeds from|seeds failed|^seed |Passed!|Failed!" || true
echo "$seeds seeds in $((SECONDS - started)) s on $(nproc) cores"
