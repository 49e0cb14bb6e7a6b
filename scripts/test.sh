#!/usr/bin/env bash
# Sets up a bare Debian 12 machine (as root), builds, and runs the whole test suite:
#   1. layering and determinism checks;
#   2. the release build (g++, -Werror) and every CTest test: unit, simulator, integration;
#   3. the asan-ubsan build (clang, -Werror, libFuzzer coverage hooks, JC_BYZANTINE on: ADR
#      0092): the unit and simulator tests under it, the Byzantine-validator test on real
#      processes, then a short smoke run and a corpus replay of every fuzz target.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
step() { printf '\n==== %s ====\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "layering"
bash scripts/check_layering.sh

step "release build + all tests"
cmake --preset release -DJC_UNITY_TESTS=ON > /dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

step "asan-ubsan build + unit, simulator and Byzantine-validator tests + fuzz smoke runs"
# One clang build serves both: its libraries carry the libFuzzer coverage hooks
# (fuzzer-no-link; the test bodies, the CLI and the mains, which no fuzz target links, do not:
# ADR 0172), so the fuzz targets link against the same libraries instead of a third compile
# of the tree. The unit and simulator tests, the two shipped binaries (so clang's
# warnings cover them too) and the fuzz targets. This jointcleard has the test-only Byzantine
# mode (ADR 0092): node_byzantine (label byzantine, ~35 s) runs four of them, one Byzantine,
# under load.
cmake --preset asan-ubsan -DJC_UNITY_TESTS=ON -DJC_FUZZ_SMOKE_SECONDS="${JC_FUZZ_SMOKE_SECONDS:-5}" > /dev/null
cmake --build --preset asan-ubsan -j "$jobs" --target jc_unit_sim_tests jointcleard jointclear jc_fuzz_targets
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan-ubsan -j "$jobs" -L 'unit|sim|byzantine'
ctest --test-dir build/asan-ubsan -j "$jobs" -L fuzz --output-on-failure
