#!/usr/bin/env bash
# Installs every Debian 12 package JointClear needs to build, test and run.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -euo pipefail

packages=(
    # toolchains and build
    build-essential g++ clang clang-format libclang-rt-14-dev llvm
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
    # integration tests and tooling
    procps iproute2 curl python3
)

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "setup: ${#packages[@]} packages present"
