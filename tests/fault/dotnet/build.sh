#!/usr/bin/env bash
# Builds the fault harness's .NET producer (FaultProducer/: Confluent.Kafka 2.16 and Gregor.Client; Release,
# warnings are errors) when it is missing or one of its inputs changed: its sources, Gregor.Client's sources, the
# repository-wide build props and package versions, this script, the SDK version. Otherwise it only hashes them.
# tests/fault/run.py calls it when a .NET producer kind is asked for. Exits non-zero with the errors on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
project="$here/FaultProducer"
out="$project/bin/Release/net10.0"
stamp="$out/.inputs.sha256"
log=$project/obj/fault-build.log

inputs() {
  find "$project" -maxdepth 1 -type f \( -name '*.cs' -o -name '*.csproj' \) | sort
  find "$repo/src/Gregor.Client" "$repo/src/Gregor.Protocol" "$repo/src/Gregor.Net" -name '*.cs' -not -path '*/obj/*' \
    -not -path '*/bin/*' | sort
  printf '%s\n' "$repo/Directory.Build.props" "$repo/Directory.Packages.props" "$repo/global.json" "$here/build.sh"
}
hash=$( { inputs | xargs sha256sum | sed "s|$repo/||"; dotnet --version; } | sha256sum | cut -d' ' -f1)
if [ -f "$out/FaultProducer.dll" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
  exit 0
fi
echo "fault: building tests/fault/dotnet/FaultProducer (Confluent.Kafka from NuGet, Gregor.Client)"
rm -f "$stamp"
mkdir -p "$(dirname "$log")"
if ! dotnet build "$project" -c Release --nologo -v quiet -warnaserror >"$log" 2>&1; then
  grep -E ': (error|warning) ' "$log" | sort -u | head -n 20 >&2 || tail -n 20 "$log" >&2
  echo "fault: building FaultProducer failed (log: $log)" >&2
  exit 1
fi
echo "$hash" >"$stamp"
