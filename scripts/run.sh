#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine (as root): installs the packages it
# needs, builds the release binaries, creates a local 4-validator consortium under ./consortium,
# starts it, and runs `jointclear demo` against it: the joint-loan story with every number
# checked against DOMAIN.md's rules. It ends by saying how to talk to the running cluster and how
# to stop it.
#
# Exit 0 only if the demo's numbers all came out as expected. Re-running it is safe: a previous
# ./consortium that this script created (it leaves a marker file) is stopped and replaced; a
# ./consortium it did not create is left alone and a fresh ./consortium-N is used instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)" --target jointclear jointcleard

bin=build/release/tools/jointclear
export JOINTCLEARD=$PWD/build/release/src/node/jointcleard
marker=.created-by-scripts-run-sh

dir=consortium
if [[ -e $dir && -f $dir/$marker ]]; then
    echo "== Replacing the consortium a previous run left in ./$dir =="
    "$bin" cluster down "$dir"
    rm -rf "$dir"
elif [[ -e $dir ]]; then
    n=2
    while [[ -e consortium-$n ]]; do n=$((n + 1)); done
    echo "./$dir exists and was not made by this script: leaving it alone, using ./consortium-$n"
    dir=consortium-$n
fi

echo
echo "== A 4-validator consortium: CA, TLS and consensus keys, genesis, configs, bank keys =="
"$bin" init --out "$dir" --validators 4 --banks WEBANK,HUARUI,BANKC
touch "$dir/$marker"

echo
echo "== Starting the validators =="
"$bin" cluster up "$dir"

echo
rc=0
"$bin" demo --cluster "$dir" || rc=$?

echo
echo "== The consortium keeps running (4 validators on 127.0.0.1) =="
echo "  $bin cluster status $dir"
echo "  $bin call --cluster $dir getLoan '{\"loan_id\":\"L-0001\"}'"
echo "  $bin call --cluster $dir --node 1 getPositions '{\"bank_id\":\"HUARUI\"}'"
echo "  $bin tx submit --cluster $dir --key $dir/banks/WEBANK.json --type loan.repay --wait \\"
echo "      --body '{\"loan_id\":\"L-0001\",\"value_date\":\"2024-06-15\",\"amount\":\"74934\",\"channel_ref\":\"PAY-5\"}'"
echo "      (instalment #5 of L-0001: 749.34 CNY, DOMAIN.md E2 row 5)"
echo "  $bin bench --cluster $dir --txs 20000          # load test (PERFORMANCE.md)"
rpc0=$("$bin" cluster status "$dir" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0]["rpc"])')
echo "  curl -s $rpc0 -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getHeight\",\"params\":{}}'"
echo "  logs: $dir/node0/node.log ... $dir/node3/node.log"
echo "Stop it:  $bin cluster down $dir"
if [[ $rc -ne 0 ]]; then
    echo
    echo "run: the demo did NOT come out as expected (exit $rc); see MISMATCH/STOPPED above." >&2
fi
exit "$rc"
