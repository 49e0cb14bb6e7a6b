#!/usr/bin/env bash
# Fails when a module includes something its layer may not use (ARCHITECTURE.md, STYLE.md §1),
# or when state-changing code uses floating point, clocks, randomness or unordered containers.
# The CMake link graph already refuses undeclared library dependencies; this catches header-only
# leaks that linking cannot see.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# Files reviewed as exceptions to a rule, with the reason. Keep this list short.
#  - contracts/src/overlay.h: a hash map for point lookups on the hot path; it is never
#    iterated in an order that matters (writes and prefix walks are sorted by key first), and
#    replay and cross-compiler state-root tests hold it to that (docs/decisions/0035).
#  - contracts/src/typed_records.h: the same, for the index of the typed records' slots; the
#    slots are visited in first-touch order, a deque, never through the index (ADR 0173).
allowed_files='contracts/src/overlay.h|contracts/src/typed_records.h'

forbid() {  # forbid DIR REGEX WHY [ALLOW_REVIEWED]
    local dir=$1 regex=$2 why=$3 allow=${4:-}
    [[ -d $dir ]] || return 0
    local hits
    if hits=$(grep -rnE --include='*.h' --include='*.cc' "$regex" "$dir" |
              { if [[ -n $allow ]]; then grep -vE "^($allowed_files):" || true; else cat; fi; }) &&
       [[ -n $hits ]]; then
        echo "layering: $why" >&2
        echo "$hits" >&2
        status=1
    fi
}

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]'
forbid src/core   "${inc}jc/(ledger|contracts|consensus|tls|p2p|rpc|node)/" "core depends on nothing above it"
forbid src/tls    "${inc}jc/(ledger|contracts|consensus|p2p|rpc|node)/" "tls may use core only"
forbid ledger     "${inc}jc/(contracts|consensus|tls|p2p|rpc|node)/" "ledger may use core only"
forbid contracts  "${inc}jc/(consensus|tls|p2p|rpc|node)/" "contracts may use ledger and core only"
forbid consensus  "${inc}jc/(ledger|contracts|tls|p2p|rpc|node)/" "consensus may use core only"
forbid consensus  "${inc}(boost/|leveldb/|openssl/|nlohmann/|spdlog/|thread>|mutex>|chrono>|random>|future>|condition_variable>|jc/core/(canonical_json|log|clock|file_util|key_file)\.h)" \
    "consensus is a pure state machine: no I/O, threads, clocks, randomness or JSON"
forbid p2p        "${inc}jc/(ledger|contracts|consensus|rpc|node)/" "p2p may use tls and core only"
forbid src/rpc    "${inc}jc/(consensus|p2p|node)/" "rpc may use contracts, ledger, tls and core only"
# Determinism of state transitions (ARCHITECTURE.md "Rules that hold everywhere").
forbid contracts  '\b(float|double|long double)\b' "no floating point in the contract engine"
forbid contracts  "(unordered_(map|set)|${inc}(chrono|random|ctime)>|\brand\(|system_clock|steady_clock)" \
    "no unordered containers, clocks or randomness in the contract engine" allow-reviewed
forbid consensus  '\b(float|double)\b|unordered_(map|set)|\brand\(' \
    "no floating point, unordered containers or rand() in consensus"

if [[ $status -eq 0 ]]; then
    echo "layering: ok"
fi
exit $status
