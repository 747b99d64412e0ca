#!/usr/bin/env bash
# Builds orgpulse's image from deploy/Dockerfile with podman, the same file
# users build with `docker build -f deploy/Dockerfile .`.
#
#   scripts/build-image.sh                  orgpulse:dev
#   scripts/build-image.sh --tag NAME:TAG   another name
#
# The Dockerfile starts FROM debian:12 and debian:12-slim. When podman has
# no such image (no registry reachable, or none wanted), this makes them
# from Debian's mirror with debootstrap and imports them as
# localhost/debian:12 and localhost/debian:12-slim, which those FROM lines
# resolve to. That needs root (debootstrap) and about a minute, once.
# The build runs with --network=host so that apt-get in the Dockerfile
# reaches the mirror. Prints the image's size and the build time.
#
# Needs podman, runc and debootstrap (Debian packages of those names;
# scripts/test-containers.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman/env.sh

tag=orgpulse:dev
while [[ $# -gt 0 ]]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    *) echo "build-image.sh: unknown argument '$1' (known: --tag NAME:TAG)" >&2; exit 2 ;;
  esac
done

bash scripts/podman/make-base-image.sh

start=$(date +%s)
podman build --network=host --pull=never \
  --ignorefile deploy/Dockerfile.dockerignore \
  -f deploy/Dockerfile -t "$tag" .
seconds=$(( $(date +%s) - start ))
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "built $tag: $(( size / 1000000 )) MB in ${seconds} s" >&2
