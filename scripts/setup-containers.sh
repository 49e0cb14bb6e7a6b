#!/usr/bin/env bash
# Installs the Debian 12 packages the container test (test/deploy/container_test.sh) needs:
# podman driven through runc, its network stack (netavark + aardvark-dns, so containers reach
# each other by name), debootstrap to make the offline base layer, and docker-compose 1.29,
# which drives podman through its Docker-compatible API socket. Not part of scripts/setup.sh:
# the default CI does not run the container test. Idempotent.
set -euo pipefail

packages=(
    podman runc conmon netavark aardvark-dns containernetworking-plugins
    uidmap slirp4netns fuse-overlayfs catatonit
    debootstrap docker-compose
    curl python3 ca-certificates
)

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "setup-containers: ${#packages[@]} packages present"
