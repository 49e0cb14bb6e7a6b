#!/usr/bin/env bash
# Installs every Debian 12 package JointClear needs to build, test and run.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -euo pipefail

packages=(
    # toolchains and build
    build-essential g++ clang clang-format libclang-rt-14-dev llvm lld
    cmake ninja-build pkg-config git ca-certificates
    # libraries (all from Debian; nothing is downloaded at build time)
    libboost-dev libboost-system-dev
    libssl-dev openssl
    libsecp256k1-dev
    libleveldb-dev libsnappy-dev
    nlohmann-json3-dev
    catch2
    libspdlog-dev libfmt-dev
    libcli11-dev
    libbenchmark-dev
    libjemalloc-dev
    # integration tests and tooling
    procps iproute2 curl python3
    # offline checks of deploy/ (test/deploy/deploy_check.sh): systemd-analyze, node + npm
    systemd
)

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# node and npm: Debian's, unless the machine already has them (e.g. from another node package).
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
fi
# The npm packages the deploy checks use (versions pinned by test/deploy/package-lock.json).
deploy_checks=$(cd "$(dirname "$0")/.." && pwd)/test/deploy
if ! cmp -s "$deploy_checks/package-lock.json" "$deploy_checks/node_modules/.jc-installed-lock"; then
    npm ci --prefix "$deploy_checks" --no-audit --no-fund --loglevel=error > /dev/null
    cp "$deploy_checks/package-lock.json" "$deploy_checks/node_modules/.jc-installed-lock"
fi
echo "setup: ${#packages[@]} packages present, test/deploy npm packages installed"
