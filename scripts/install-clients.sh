#!/usr/bin/env bash
# Installs the real Kafka clients that Gregor's interop tests and golden captures use:
#   kcat and python3-confluent-kafka (Debian packages, librdkafka underneath) and
#   kafkajs with its snappy and lz4 codec packages (npm, into tests/interop/node/node_modules,
#   pinned by package-lock.json).
# The fourth client, Confluent.Kafka for .NET (NuGet, pinned in Directory.Packages.props, with its
# own librdkafka from librdkafka.redist), is not installed here: it is a package reference of the
# console program tests/interop/dotnet/ConfluentInterop, which tests/interop/run.sh builds (and so
# restores) through tests/interop/dotnet/build.sh when a dotnet-* test runs.
# Idempotent: when everything is present it only checks and exits (well under a second).
# Needs root for apt-get; reaches only Debian's apt mirror and the npm registry.
# The Python client is meant to be run with /usr/bin/python3 (the Debian interpreter it is
# packaged for), not whatever python3 comes first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(kcat python3-confluent-kafka)
node_dir=tests/interop/node

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

# node and npm come from Debian too when the machine has none.
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)

missing=()
for package in "${apt_packages[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-clients: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  # Refresh the package lists only when apt does not know a package yet (fresh machine,
  # empty lists); a failing third-party source must not stop the Debian ones.
  needs_update=false
  for package in "${missing[@]}"; do
    has_candidate "$package" || needs_update=true
  done
  if $needs_update; then
    echo "install-clients: apt-get update"
    apt-get update -qq || echo "install-clients: apt-get update reported errors; trying anyway" >&2
  fi
  echo "install-clients: apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kafkajs: reinstall only when node_modules is missing or older than the lock file.
installed_lock="$node_dir/node_modules/.package-lock.json"
if [ ! -f "$node_dir/node_modules/kafkajs/package.json" ] \
   || [ ! -f "$installed_lock" ] || [ "$node_dir/package-lock.json" -nt "$installed_lock" ]; then
  echo "install-clients: npm ci in $node_dir"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Prove each client loads, and say which versions are in use.
kcat_version=$(kcat -V 2>&1 | sed -n -E 's/^Version ([^ ]+) .*librdkafka ([^ ]+) .*/\1 (librdkafka \2)/p')
python_client_version=$(/usr/bin/python3 -c 'import confluent_kafka as c; print(c.version()[0], c.libversion()[0])')
# kafkajs-lz4 loads a native addon built at install time (make and a C++ compiler needed).
kafkajs_version=$(cd "$node_dir" && node -e 'require("kafkajs-snappy"); require("kafkajs-lz4");
  console.log(require("kafkajs/package.json").version + " (+ snappy, lz4 codecs)")')
echo "install-clients: kcat $kcat_version; confluent-kafka (python, librdkafka): $python_client_version;" \
  "kafkajs $kafkajs_version"
