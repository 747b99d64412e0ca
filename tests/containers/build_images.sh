#!/usr/bin/env bash
# The images the container tests run (CTest fixture containers_images):
# orgpulse's from deploy/Dockerfile (scripts/build-image.sh), PostgreSQL's
# from deploy/postgres/Containerfile and Prometheus from Debian's package.
# Unchanged sources hit podman's layer cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build-image.sh --tag localhost/orgpulse:dev
. scripts/podman/env.sh
start=$(date +%s)
podman build --network=host --pull=never \
  -f tests/containers/prometheus.Containerfile \
  -t localhost/orgpulse-test-prometheus:2.42 tests/containers
echo "built localhost/orgpulse-test-prometheus:2.42 in $(( $(date +%s) - start )) s" >&2
start=$(date +%s)
podman build --network=host --pull=never \
  -f deploy/postgres/Containerfile -t localhost/orgpulse-postgres:15 deploy/postgres
echo "built localhost/orgpulse-postgres:15 in $(( $(date +%s) - start )) s" >&2
