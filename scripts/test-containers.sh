#!/usr/bin/env bash
# The container tests (CTest label `containers`): builds the image from
# deploy/Dockerfile with podman, runs deploy/compose.yaml and
# deploy/compose-postgres.yaml (PostgreSQL and two replicas of each service)
# with podman-compose and deploy/k8s/ with `podman kube play`, and drives
# them with the host's command line (tests/containers/). Needs root
# (debootstrap for the base image, rootful podman) and Debian's mirror; no
# container registry.
# Not part of scripts/test.sh: the image build compiles the project again
# (about half an hour on 2 busy cores the first time; unchanged sources hit
# podman's layer cache).
#   scripts/test-containers.sh             build the images, run the tests
#   scripts/test-containers.sh -R compose  any ctest arguments
#   scripts/test-containers.sh -R postgres the PostgreSQL mode (ctest adds
#                                          the image fixture)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

# podman and what it needs here: runc (Debian's default crun fails on hybrid
# cgroups), catatonit (the pods' pause process), debootstrap (the base
# image), podman-compose. Idempotent: apt-get runs only if one is missing.
packages=(podman runc catatonit netavark aardvark-dns debootstrap podman-compose)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bash scripts/build.sh orgpulse orgpulse-demo
ctest --test-dir "${BUILD_DIR:-build}" -L containers --output-on-failure "$@"
