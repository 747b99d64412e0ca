#!/usr/bin/env bash
# The test command: installs what it needs (Debian packages), builds, and
# runs every test through CTest (labels: unit, integration, fuzz, format),
# except the container tests (label `containers`: scripts/test-containers.sh)
# and those of a known, open bug (label `known_bug`, none at present: `ctest -L known_bug`).
#   scripts/test.sh            all tests
#   scripts/test.sh -L unit    only unit tests (any ctest arguments work)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" -LE "containers|known_bug" "$@"
