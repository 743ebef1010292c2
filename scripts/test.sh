#!/usr/bin/env bash
# Runs the whole test suite with its own set-up, on a fresh Debian/Ubuntu machine with the
# .NET 10 SDK: installs redis-server where missing (the tests start their own instances on free
# loopback ports), builds, runs every test project, and prints "N passed, N failed, N skipped".
# Exits non-zero on any failed or skipped test, or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "Installing redis-server (Debian package) ..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi

# ManifestTests run `npm test` in tests/manifests (offline validation of k8s/ and the Dockerfile):
# install its locked dependencies first, from the configured npm registry, reusing npm's cache.
if [ -f tests/manifests/package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "Installing nodejs and npm (Debian packages) ..."
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "Installing tests/manifests dependencies (npm ci) ..."
  npm ci --prefix tests/manifests --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log="$(mktemp)"
set +e
dotnet test CacheSidecar.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# VSTest prints one summary line per test assembly:
#   Passed!  - Failed:     0, Passed:    39, Skipped:     0, Total:    39, Duration: ...
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' |
  awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$skipped" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
