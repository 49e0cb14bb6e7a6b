#!/usr/bin/env bash
# jointcleard runs jemalloc with the options ADRs 0165 and 0174 chose, and an operator's
# MALLOC_CONF wins.
#
# Goal: the daemon's `malloc_conf` symbol (src/main.cc) really reaches jemalloc — a renamed,
# stripped or unexported symbol would silently bring back the 10 s decay and 40–80 MiB of unpurged
# pages (P4). Method: jemalloc prints its effective options at exit with MALLOC_CONF=stats_print:true;
# `jointcleard --help` is enough to start and exit it. Then MALLOC_CONF sets dirty_decay_ms
# itself and must override the daemon's value. Only for builds that link jemalloc.
#
# Usage: jemalloc_options_check.sh JOINTCLEARD
set -u
jointcleard=$1
failures=0
expect() {  # expect WHAT TEXT PATTERN
    if grep -qF -- "$3" <<<"$2"; then
        echo "ok: $1"
    else
        echo "FAIL: $1: no '$3' in jemalloc's options"
        failures=$((failures + 1))
    fi
}
options=$(MALLOC_CONF=stats_print:true "$jointcleard" --help 2>&1 >/dev/null | grep -E '^ *opt\.')
[ -n "$options" ] || { echo "FAIL: jemalloc printed no options (is jointcleard linked with it?)"; exit 1; }
expect "background purge thread on" "$options" "opt.background_thread: true ("
expect "dirty pages purged after 5 s" "$options" "opt.dirty_decay_ms: 5000 ("
expect "muzzy pages not kept" "$options" "opt.muzzy_decay_ms: 0 ("
overridden=$(MALLOC_CONF=stats_print:true,dirty_decay_ms:2000 "$jointcleard" --help 2>&1 >/dev/null | grep -E '^ *opt\.')
expect "an operator's MALLOC_CONF overrides" "$overridden" "opt.dirty_decay_ms: 2000 ("
exit $((failures > 0))
