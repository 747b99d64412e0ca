# Sourced by the podman scripts: podman with scripts/podman/containers.conf
# (unless CONTAINERS_CONF is set already) and the names they share.
ORGPULSE_PODMAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ORGPULSE_PODMAN_DIR/containers.conf}
