#!/usr/bin/env bash
# Makes localhost/debian:12 and localhost/debian:12-slim from Debian's mirror
# (debootstrap, minbase) unless podman already has debian:12 and
# debian:12-slim, so that `FROM debian:12` and `FROM debian:12-slim` build
# without a container registry. -slim leaves out documentation, manual pages
# and locales, as Docker's debian:12-slim does. Needs root.
#   MIRROR   the Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail
. "$(dirname "$0")/env.sh"

if podman image exists debian:12 && podman image exists debian:12-slim; then
  exit 0
fi
mirror=${MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/orgpulse-debootstrap.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "making debian:12 with debootstrap from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# The image is a build base: apt must not keep downloaded packages.
printf '%s\n' 'APT::Keep-Downloaded-Packages "false";' \
  >"$root/etc/apt/apt.conf.d/docker-clean"
# The configuration Docker's debian images carry (without PATH, `args:` in
# a Kubernetes manifest finds no command under podman kube play).
import() {
  tar -C "$root" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$1" >/dev/null
}
import localhost/debian:12

cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
  -exec rm -rf {} +
import localhost/debian:12-slim
echo "made localhost/debian:12 and localhost/debian:12-slim" >&2
