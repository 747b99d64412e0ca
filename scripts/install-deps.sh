#!/usr/bin/env bash
# Installs the Debian 12 packages orgpulse builds, tests and runs with.
# Idempotent: packages already installed are skipped, and apt-get runs only if
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-14 libclang-rt-14-dev clang-format-14
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev prometheus-cpp-dev libsqlite3-dev libssl-dev libzstd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus grpc-proto python3-grpcio python3-grpc-tools python3-protobuf python3-yaml
  python3-h2
  postgresql-15 libpq-dev
  sqlite3 curl openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
