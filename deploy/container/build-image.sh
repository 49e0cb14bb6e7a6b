#!/usr/bin/env bash
# Builds the JointClear image from deploy/container/Containerfile (ADR 0080).
#
#   build-image.sh [--engine podman|docker] [--base IMAGE] [--tag TAG]
#                  [--prebuilt JOINTCLEARD JOINTCLEAR]
#
# Without --prebuilt: the two-stage build compiles both binaries from this source tree inside
# the build (the reproducible BaaS path; context = the repository, minus .containerignore).
# With --prebuilt: the fast path packages release binaries built on a Debian 12 host (e.g.
# build/release/src/node/jointcleard and build/release/tools/jointclear) into the same runtime
# stage; they are stripped of debug info on the way. The base image must exist (make-base.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
engine=podman base=localhost/jointclear-base:bookworm tag=localhost/jointclear:latest
daemon="" cli=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --engine) engine=$2; shift 2 ;;
        --base) base=$2; shift 2 ;;
        --tag) tag=$2; shift 2 ;;
        --prebuilt) daemon=$2; cli=$3; shift 3 ;;
        *) echo "usage: build-image.sh [--engine E] [--base IMAGE] [--tag TAG] [--prebuilt JOINTCLEARD JOINTCLEAR]" >&2; exit 2 ;;
    esac
done
format=()
[[ $engine == podman ]] && format=(--format docker)  # keeps HEALTHCHECK in the image config
# Docker's legacy builder would run every stage, including the compiler stage the fast path
# skips (and which cannot build from a context of binaries); BuildKit builds only what is used.
[[ $engine == docker ]] && export DOCKER_BUILDKIT=1

if [[ -z $daemon ]]; then
    exec "$engine" build "${format[@]}" --build-arg "BASE_IMAGE=$base" --build-arg BINARIES=source \
        -f "$repo/deploy/container/Containerfile" -t "$tag" "$repo"
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir "$ctx/bin"
for pair in "jointcleard:$daemon" "jointclear:$cli"; do
    name=${pair%%:*} path=${pair#*:}
    [[ -x $path ]] || { echo "build-image: $path is not an executable" >&2; exit 1; }
    strip --strip-debug -o "$ctx/bin/$name" "$path"
done
"$engine" build "${format[@]}" --build-arg "BASE_IMAGE=$base" --build-arg BINARIES=prebuilt \
    -f "$repo/deploy/container/Containerfile" -t "$tag" "$ctx"
