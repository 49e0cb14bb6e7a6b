#!/usr/bin/env bash
# Runs `jointclear bench --json` against a running cluster at several offered rates (open loop)
# and flat out, several runs each, appending one JSON line per run to OUT; then draws the plot
# with scripts/bench_plot.py. For docs/performance.md and for operators sizing a deployment.
#
# Usage: scripts/bench_sweep.sh CLUSTER_DIR OUT.jsonl [SVG]
#   env: JC_SWEEP_RATES="200 500 1000 1500 2000" JC_SWEEP_RUNS=3 JC_SWEEP_SECONDS=5
#        JOINTCLEAR=build/release/tools/jointclear
# Each open-loop run offers about JC_SWEEP_SECONDS of load (txs = rate × seconds, at least 500).
set -euo pipefail
cluster=${1:?usage: bench_sweep.sh CLUSTER_DIR OUT.jsonl [SVG]}
out=${2:?usage: bench_sweep.sh CLUSTER_DIR OUT.jsonl [SVG]}
svg=${3:-}
jointclear=${JOINTCLEAR:-build/release/tools/jointclear}
rates=${JC_SWEEP_RATES:-200 500 1000 1500 2000}
runs=${JC_SWEEP_RUNS:-3}
seconds=${JC_SWEEP_SECONDS:-5}

[[ -x $jointclear ]] || { echo "bench_sweep: $jointclear is not built (build the release preset first)" >&2; exit 2; }
for rate in $rates 0; do
    for ((run = 1; run <= runs; run++)); do
        if [[ $rate == 0 ]]; then
            txs=10000
        else
            txs=$((rate * seconds)); ((txs >= 500)) || txs=500
        fi
        echo "bench_sweep: rate ${rate/#0/flat out} run $run/$runs ($txs txs)" >&2
        "$jointclear" bench --cluster "$cluster" --txs "$txs" --rate "$rate" --json >> "$out"
    done
done
if [[ -n $svg ]]; then
    python3 "$(dirname "$0")/bench_plot.py" --out "$svg" "$out"
fi
