#!/usr/bin/env bash
# Makes the image's base layer offline: a Debian 12 (bookworm) minbase root by debootstrap from
# Debian's mirror, stripped of apt caches, imported as a single-layer image. No registry is
# needed (ADR 0080). Run as root.
#
# Usage: make-base.sh WORKDIR [IMAGE] [ENGINE]
#   WORKDIR  scratch directory for the root (removed again at the end; must be empty or absent)
#   IMAGE    tag to import as (default localhost/jointclear-base:bookworm)
#   ENGINE   podman (default) or docker
# Environment: JC_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
work=${1:?usage: make-base.sh WORKDIR [IMAGE] [ENGINE]}
image=${2:-localhost/jointclear-base:bookworm}
engine=${3:-podman}
mirror=${JC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$work"
root="$work/rootfs"
[[ ! -e $root ]] || { echo "make-base: $root already exists" >&2; exit 1; }
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# The same sources the host uses, security updates included, so images get fixes on rebuild.
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${JC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
# Keep images small: no recommends, no docs beyond copyright, no apt caches.
cat > "$root/etc/apt/apt.conf.d/90jointclear" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
cat > "$root/etc/dpkg/dpkg.cfg.d/90jointclear" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
    "$root"/usr/share/doc/*/changelog* "$root"/usr/share/man/* "$root"/usr/share/locale/*
tar --numeric-owner -C "$root" -c . | "$engine" import \
    --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" > /dev/null
echo "make-base: imported $image"
