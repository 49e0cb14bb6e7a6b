#!/usr/bin/env bash
# The Byzantine validator mode never reaches a release (ADR 0092).
#
# Goal: prove, on the release build CI makes, that the test-only Byzantine mode is absent and
# cannot be switched on. Method: (1) the release jointcleard refuses --byzantine and
# --byzantine-seed as unknown arguments (exit 1) before touching any config; (2) its binary holds
# none of the mode's strings (the banner, the flag, the SIGUSR1 switch line), so the code is not
# merely unreachable but absent; (3) cmake/JcByzantineGuard.cmake, run in script mode, refuses
# JC_BYZANTINE=ON for Release, RelWithDebInfo, MinSizeRel and an empty build type and accepts it
# for Debug; (4) the release preset never turns JC_BYZANTINE on, and a preset that does (the
# asan-ubsan one, CI's sanitizer stage, where the Byzantine test runs) is a Debug build.
#
# Usage: byzantine_release_check.sh JOINTCLEARD CMAKE SOURCE_DIR
set -u
jointcleard=$1
cmake_bin=$2
src=$3
failures=0
check() {  # check NAME COMMAND...: the command must succeed
    local name=$1; shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

out=$("$jointcleard" --byzantine equivocate --config /nonexistent/config.json 2>&1); status=$?
check "--byzantine is an unknown argument (status $status)" \
    bash -c '[ "$1" = 1 ] && grep -q "unknown argument \"--byzantine\"" <<<"$2"' _ "$status" "$out"
out=$("$jointcleard" --byzantine-seed 7 --config /nonexistent/config.json 2>&1); status=$?
check "--byzantine-seed is an unknown argument (status $status)" \
    bash -c '[ "$1" = 1 ] && grep -q "unknown argument \"--byzantine-seed\"" <<<"$2"' _ "$status" "$out"

for needle in "BYZANTINE TEST BUILD" "BYZANTINE: behaviour now" "--byzantine" "jointclear_byzantine_injected_total"; do
    check "release binary has no \"$needle\"" bash -c '! grep -q -a -F -e "$1" "$2"' _ "$needle" "$jointcleard"
done

for type in Release RelWithDebInfo MinSizeRel ""; do
    out=$("$cmake_bin" -DJC_BYZANTINE=ON -DCMAKE_BUILD_TYPE="$type" -P "$src/cmake/JcByzantineGuard.cmake" 2>&1)
    status=$?
    check "JC_BYZANTINE=ON refused for build type \"$type\"" \
        bash -c '[ "$1" != 0 ] && grep -q "test-only build option and is refused" <<<"$2"' _ "$status" "$out"
done
check "JC_BYZANTINE=ON accepted for Debug" \
    "$cmake_bin" -DJC_BYZANTINE=ON -DCMAKE_BUILD_TYPE=Debug -P "$src/cmake/JcByzantineGuard.cmake"

check "presets: release never turns JC_BYZANTINE on; a preset that does is a Debug build" python3 - "$src/CMakePresets.json" <<'PY'
import json, sys
presets = {p["name"]: p for p in json.load(open(sys.argv[1]))["configurePresets"]}
assert presets["release"]["cacheVariables"].get("JC_BYZANTINE", "OFF") == "OFF"
for name, p in presets.items():
    if p["cacheVariables"].get("JC_BYZANTINE") == "ON":
        assert p["cacheVariables"].get("CMAKE_BUILD_TYPE") == "Debug", name
PY

echo "$failures failed"
[ "$failures" = 0 ]
