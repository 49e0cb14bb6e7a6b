#!/usr/bin/env bash
# Sets up a bare Debian 12 machine (as root), builds, and runs the whole test suite:
#   1. layering and determinism checks;
#   2. the release build (g++, -Werror) and every CTest test: unit, simulator, integration;
#   3. the asan-ubsan build (clang, -Werror) and the unit and simulator tests under it;
#   4. the fuzz build (clang, libFuzzer) and a short smoke run of every fuzz target.
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
cmake --preset release > /dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

step "asan-ubsan build + unit and simulator tests"
cmake --preset asan-ubsan > /dev/null
# The unit and simulator tests, and the two shipped binaries so clang's warnings cover them too.
cmake --build --preset asan-ubsan -j "$jobs" --target jc_unit_sim_tests jointcleard jointclear
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan-ubsan -j "$jobs" -L 'unit|sim'

step "fuzz build + smoke runs"
cmake --preset fuzz -DJC_FUZZ_SMOKE_SECONDS="${JC_FUZZ_SMOKE_SECONDS:-5}" > /dev/null
cmake --build --preset fuzz -j "$jobs" --target jc_fuzz_targets
ctest --test-dir build/fuzz -j "$jobs" -L fuzz --output-on-failure
