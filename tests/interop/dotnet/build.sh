#!/usr/bin/env bash
# Builds the Confluent.Kafka interop client (ConfluentInterop/, Release, warnings are errors) when it
# is missing or any of its inputs changed since the last build: its sources, the repository-wide
# build props and package versions, this script, the SDK version. Otherwise it only hashes them and
# exits. tests/interop/run.sh calls it before running the dotnet-* tests.
#
#   tests/interop/dotnet/build.sh [LOG]     # LOG receives the build output (default: in ConfluentInterop/obj)
#
# Exits non-zero, with the build's errors on stderr, when the build fails. The restore reaches the
# NuGet registry the first time (Confluent.Kafka and librdkafka.redist, pinned in
# Directory.Packages.props).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
project="$here/ConfluentInterop"
out="$project/bin/Release/net10.0"
stamp="$out/.inputs.sha256"
log=${1:-$project/obj/interop-build.log}

inputs() {
  find "$project" -maxdepth 1 -type f \( -name '*.cs' -o -name '*.csproj' \) | sort
  printf '%s\n' "$repo/Directory.Build.props" "$repo/Directory.Packages.props" "$repo/global.json" "$here/build.sh"
}
hash=$( { inputs | xargs sha256sum | sed "s|$repo/||"; dotnet --version; } | sha256sum | cut -d' ' -f1)

if [ -f "$out/ConfluentInterop.dll" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
  exit 0
fi
echo "interop: building tests/interop/dotnet/ConfluentInterop (Confluent.Kafka from NuGet)"
rm -f "$stamp"
mkdir -p "$(dirname "$log")"
if ! dotnet build "$project" -c Release --nologo -v quiet -warnaserror >"$log" 2>&1; then
  grep -E ': (error|warning) ' "$log" | sort -u | head -n 20 >&2 || tail -n 20 "$log" >&2
  echo "interop: building ConfluentInterop failed (log: $log)" >&2
  exit 1
fi
echo "$hash" >"$stamp"
