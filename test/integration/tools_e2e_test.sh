#!/usr/bin/env bash
# Goal: the operator tooling works end to end on real processes, and every subcommand refuses
# bad input with ONE clear line on standard error and a non-zero exit code (issue 9).
# Method: in a temp dir, `jointclear init` a 4-validator consortium, `cluster up`, call and
# submit through the CLI, run the checked demo and a small bench against it, kill/start/stop
# single nodes, `cluster down`; then the demo's own fresh-consortium mode. Every wait is done by
# the CLI itself (polling against deadlines); this script never sleeps. Bad-input cases check
# the exit code, that stderr is exactly one line, and that the line names the problem.
#
# Usage: tools_e2e_test.sh JOINTCLEAR JOINTCLEARD
set -euo pipefail
JOINTCLEAR=$(realpath "$1")
JOINTCLEARD=$(realpath "$2")
export JOINTCLEARD
BENCH_PLOT=$(realpath "$(dirname "$0")/../../scripts/bench_plot.py")
CATCHUP=$(realpath "$(dirname "$0")/../../scripts/bench_catchup.py")
work=$(mktemp -d)
cleanup() {
    for d in "$work/c" "$work/jointclear-demo"; do
        [[ -f $d/genesis.json ]] && "$JOINTCLEAR" cluster down "$d" > /dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }

# expect_error CODE PATTERN -- COMMAND...: exit code CODE, stderr one line matching PATTERN.
expect_error() {
    local want=$1 pattern=$2
    shift 3
    local rc=0
    "$@" > out.txt 2> err.txt || rc=$?
    [[ $rc == "$want" ]] || fail "'$*' exited $rc, expected $want; stderr: $(cat err.txt)"
    [[ $(wc -l < err.txt) == 1 ]] || fail "'$*' printed $(wc -l < err.txt) lines on stderr: $(cat err.txt)"
    grep -qE -- "$pattern" err.txt || fail "'$*' said '$(cat err.txt)', expected /$pattern/"
    ok
}

# ---- init ----
expect_error 1 "bank_id" -- "$JOINTCLEAR" init --out bad --banks webank,HUARUI
expect_error 2 "validators" -- "$JOINTCLEAR" init --out bad --validators 0
expect_error 2 "--out is required" -- "$JOINTCLEAR" init
"$JOINTCLEAR" init --out c --validators 4 --banks WEBANK,HUARUI,BANKC > init.txt
grep -q "node3  rpc http://127.0.0.1:" init.txt || fail "init output: $(cat init.txt)"
for f in ca.key banks/WEBANK.json banks/HUARUI.json banks/BANKC.json node0/tls.key node3/consensus_key.json; do
    [[ $(stat -c %a "c/$f") == 600 ]] || fail "c/$f has mode $(stat -c %a "c/$f")"
done
ok
expect_error 1 "refusing to overwrite" -- "$JOINTCLEAR" init --out c
# Container / Kubernetes layout (ADR 0081): bind 0.0.0.0, peers by name, same ports, a volume.
"$JOINTCLEAR" init --out k --validators 4 --listen-host 0.0.0.0 --advertise-host 'jointclear-{i}.jointclear' \
    --p2p-port 7000 --rpc-port 8000 --data-dir /var/lib/jointclear > k.txt
grep -q "node3  rpc http://0.0.0.0:8000  p2p jointclear-3.jointclear:7000" k.txt || fail "init output: $(cat k.txt)"
python3 - k <<'EOF' || fail "container layout"
import json, sys
d = sys.argv[1]
g = json.load(open(f"{d}/genesis.json"))
assert [v["address"] for v in g["validators"]] == [f"jointclear-{i}.jointclear:7000" for i in range(4)], g
assert g["params"] == {"record_version": 2}, g["params"]  # a new chain writes the latest records (ADR 0175)
for i in range(4):
    c = json.load(open(f"{d}/node{i}/config.json"))
    assert (c["p2p"]["listen"], c["rpc"]["listen"], c["data_dir"]) == ("0.0.0.0:7000", "0.0.0.0:8000", "/var/lib/jointclear"), c
EOF
"$JOINTCLEAR" cluster status k --json > /dev/null || fail "cluster status cannot load a container-layout consortium"
ok
expect_error 1 "go together" -- "$JOINTCLEAR" init --out bad --p2p-port 7000
expect_error 1 "must differ" -- "$JOINTCLEAR" init --out bad --advertise-host 'n{i}' --p2p-port 7000 --rpc-port 7000
expect_error 1 "name each node apart with \{i\}" -- "$JOINTCLEAR" init --out bad --advertise-host node --p2p-port 7000 --rpc-port 8000
expect_error 1 "exclude each other" -- "$JOINTCLEAR" init --out bad --base-port 9000 --advertise-host 'n{i}' --p2p-port 7000 --rpc-port 8000
expect_error 1 "not an IPv4 address" -- "$JOINTCLEAR" init --out bad --listen-host node0
expect_error 1 "needs --advertise-host" -- "$JOINTCLEAR" init --out bad --listen-host 0.0.0.0
expect_error 1 "address" -- "$JOINTCLEAR" init --out bad2 --advertise-host 'bad host {i}' --p2p-port 7000 --rpc-port 8000

# ---- cluster, before it runs ----
expect_error 1 "no consortium at nowhere" -- "$JOINTCLEAR" cluster up nowhere
expect_error 1 "no consortium at nowhere" -- "$JOINTCLEAR" cluster status nowhere
expect_error 1 "cannot find|not an executable" -- "$JOINTCLEAR" cluster up c --jointcleard /no/such/jointcleard
"$JOINTCLEAR" cluster status c --json > status.json
python3 - status.json <<'EOF' || fail "status before up: $(cat status.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s["nodes"]) == 4 and not any(n["running"] for n in s["nodes"]), s
EOF
ok
expect_error 4 "not running" -- "$JOINTCLEAR" demo --cluster c

# ---- cluster up ----
"$JOINTCLEAR" cluster up c > up.txt
[[ $(grep -c "rpc http://127.0.0.1:" up.txt) == 4 ]] || fail "up did not print 4 RPC URLs: $(cat up.txt)"
for i in 0 1 2 3; do [[ -s c/node$i/jointcleard.pid && -s c/node$i/node.log ]] || fail "node$i pid/log missing"; done
"$JOINTCLEAR" cluster status c --json > status.json
python3 - status.json <<'EOF' || fail "status after up: $(cat status.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert all(n["running"] and n["ready"] and n["peers_total"] == 3 for n in s["nodes"]), s
EOF
"$JOINTCLEAR" cluster status c > status.txt
grep -qE "^  NODE +PID +STATE +RPC +HEIGHT +VIEW +PRIMARY +PEERS +POOL" status.txt || fail "status table: $(cat status.txt)"
ok
"$JOINTCLEAR" cluster up c > up2.txt  # idempotent
grep -q "already running" up2.txt || fail "second up: $(cat up2.txt)"
ok
rpc0=$(sed -n 's/^  node0  rpc \(http[^ ]*\).*/\1/p' up.txt)

# ---- call ----
"$JOINTCLEAR" call --rpc "$rpc0" getHeight --json | python3 -c 'import json,sys; assert "height" in json.load(sys.stdin)' ||
    fail "call getHeight"
"$JOINTCLEAR" call --cluster c --node node2 getNodeStatus | grep -q '"node": "node2"' || fail "call --cluster --node"
ok
expect_error 1 "params: not valid JSON" -- "$JOINTCLEAR" call --rpc "$rpc0" getLoan '{"loan_id":'
expect_error 5 "Method not found" -- "$JOINTCLEAR" call --rpc "$rpc0" noSuchMethod
expect_error 5 "Invalid params|invalid" -- "$JOINTCLEAR" call --rpc "$rpc0" getReceipt '{"tx_hash":5}'
expect_error 4 "cannot connect" -- "$JOINTCLEAR" call --rpc http://127.0.0.1:1 getHeight
expect_error 1 "expected http://HOST:PORT" -- "$JOINTCLEAR" call --rpc not-a-url getHeight
expect_error 1 "no consortium at nowhere" -- "$JOINTCLEAR" call --cluster nowhere getHeight
expect_error 1 "no node \"7\"" -- "$JOINTCLEAR" call --cluster c --node 7 getHeight
expect_error 1 "--rpc URL or --cluster DIR is required" -- "$JOINTCLEAR" call getHeight

# ---- tx sign / submit ----
chain=$(python3 -c 'import json; print(json.load(open("c/genesis.json"))["chain_id"])')
body='{"partnership_id":"P-E2E","servicer_bank":"WEBANK","partner_bank":"HUARUI","agreement_ref":"'$(printf 'a%.0s' {1..64})'","funding_mode":"FRONTED","max_outstanding_principal":"100000000","fronting_limit":"100000000","collection_limit":"100000000","service_fee_bps":0}'
"$JOINTCLEAR" tx sign --key c/banks/WEBANK.json --type partnership.propose --chain-id "$chain" --client-ref E2E-1 \
    --body "$body" > tx.json
"$JOINTCLEAR" tx submit --rpc "$rpc0" --tx tx.json --wait > submit.txt
grep -qE "^status +OK" submit.txt || fail "submit: $(cat submit.txt)"
# The same envelope again is the same committed transaction.
"$JOINTCLEAR" tx submit --cluster c --node 3 --tx tx.json --wait --json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["status"] in ("OK","DUPLICATE"), r' || fail "resubmit"
"$JOINTCLEAR" tx submit --cluster c --key c/banks/HUARUI.json --type partnership.accept \
    --body '{"partnership_id":"P-E2E"}' --wait --json | grep -q '"status":"OK"' || fail "sign-and-submit"
ok
expect_error 3 "REJECTED: 4001" -- "$JOINTCLEAR" tx submit --cluster c --key c/banks/HUARUI.json --type partnership.accept \
    --body '{"partnership_id":"P-NONE"}' --wait
sed 's/"E2E-1"/"E2E-2"/' tx.json > tampered.json
expect_error 1 "BAD_SIGNATURE" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --tx tampered.json
echo '{"chain_id":' > broken.json
expect_error 1 "--tx broken.json.*not valid JSON" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --tx broken.json
expect_error 1 "no such file|cannot open|not found|No such" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --tx missing.json
cp c/banks/BANKC.json loose.json && chmod 644 loose.json
expect_error 1 "chmod 600" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --key loose.json --type x.y --body '{}'
echo '{"public_key":"02","secret_key":"zz"}' > badkey.json && chmod 600 badkey.json
expect_error 1 "--key" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --key badkey.json --type x.y --body '{}'
expect_error 1 "--body: not valid JSON" -- "$JOINTCLEAR" tx submit --rpc "$rpc0" --key c/banks/BANKC.json --type x.y --body '{'
expect_error 1 "either --tx FILE or --key" -- "$JOINTCLEAR" tx submit --rpc "$rpc0"
expect_error 4 "cannot connect" -- "$JOINTCLEAR" tx submit --rpc http://127.0.0.1:1 --tx tx.json

# ---- demo on the running cluster ----
"$JOINTCLEAR" demo --cluster c > demo.txt || fail "demo exited non-zero: $(grep -E 'MISMATCH|STOPPED' demo.txt)"
grep -q "demo: PASS" demo.txt || fail "demo did not pass"
grep -qE "^  [0-9]+ checks passed, 0 failed" demo.txt || fail "demo summary: $(tail -5 demo.txt)"
grep -q "790.67 CNY = principal 666.67 + interest 124.00" demo.txt || fail "demo lacks E2 row 1"
grep -q "confirmed receipt -> SETTLED" demo.txt || fail "demo did not settle the cycle"
grep -q "positions are back to zero" demo.txt || fail "demo positions not back to zero"
ok

# ---- bench (small) ----
# --rate stretches the run past the 1 s progress interval, so a progress line is always due.
"$JOINTCLEAR" bench --cluster c --txs 300 --warmup 30 --connections 2 --batch 20 --verify-ms 100 --rate 150 --json \
    > bench.json 2> bench.err || fail "bench: $(tail -3 bench.err)"
python3 - bench.json <<'EOF' || fail "bench result: $(cat bench.json)"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["committed"] == 300 and b["ok"] == 300 and b["failed"] == 0 and b["rejected"] == 0, b
assert b["tps"] > 0 and 0 < b["latency_ms"]["p50"] <= b["latency_ms"]["p99"] <= b["latency_ms"]["max"], b
assert b["verify_per_second"]["threads_1"] > 0 and b["ratio_to_ceiling"] > 0, b
assert b["mix"]["loan.repay"] + b["mix"]["loan.originate"] == 330, b
EOF
grep -q "committed" bench.err || fail "bench printed no progress line"
ok
# The plot of docs/performance.md from real bench output: this run plus a made-up slower one at
# twice the rate, so both series have two points; the SVG must parse and carry them.
python3 - bench.json > sweep.jsonl <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
print(json.dumps(b))
b["rate_offered"] *= 2
b["latency_ms"] = {k: v * 3 for k, v in b["latency_ms"].items()}
print(json.dumps(b))
EOF
python3 "$BENCH_PLOT" --out sweep.svg sweep.jsonl > plot.out || fail "bench_plot: $(cat plot.out)"
python3 - sweep.svg <<'EOF' || fail "bench_plot wrote a bad SVG"
import sys, xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
assert len(lines) == 4, len(lines)  # throughput, p50, p90, p99
assert all(len(line.get("points").split()) == 2 for line in lines)
EOF
echo '{"rate_offered": 1}' > bad.jsonl
if python3 "$BENCH_PLOT" --out bad.svg bad.jsonl 2> plot.err; then fail "bench_plot accepted a non-result"; fi
grep -q "not a bench --json result" plot.err || fail "bench_plot error: $(cat plot.err)"
ok
expect_error 1 "no consortium at nowhere" -- "$JOINTCLEAR" bench --cluster nowhere
expect_error 2 "txs" -- "$JOINTCLEAR" bench --cluster c --txs 0
expect_error 1 "no node \"9\"" -- "$JOINTCLEAR" bench --cluster c --nodes 0,9
expect_error 1 "node node0 is named twice" -- "$JOINTCLEAR" bench --cluster c --nodes 0,node0
# P3's measurement (scripts/bench_catchup.py), small: node3 stopped, a bench through the other
# three (bench --nodes), node3 restarted must catch up and then commit what is sent only to it.
JOINTCLEAR="$JOINTCLEAR" python3 "$CATCHUP" c --txs 300 --json > catchup.json 2> catchup.err \
    || fail "bench_catchup: $(tail -3 catchup.err)"
python3 - catchup.json <<'EOF' || fail "bench_catchup result: $(cat catchup.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["p3_missed_txs"] == 300 and r["missed_blocks"] > 0 and r["own_txs_committed"] == 50, r
assert 0 < r["caught_up_s"] < 60 and r["node"] == "node3", r
EOF
ok

# ---- single nodes ----
expect_error 1 "no node \"9\"" -- "$JOINTCLEAR" cluster stop c 9
"$JOINTCLEAR" cluster kill c 1 | grep -q "node1  stopped (pid [0-9]*, SIGKILL" || fail "kill"
"$JOINTCLEAR" cluster status c --json | python3 -c '
import json,sys; s=json.load(sys.stdin); assert [n["running"] for n in s["nodes"]] == [True, False, True, True], s' ||
    fail "status after kill"
"$JOINTCLEAR" cluster kill c node1 | grep -q "was not running" || fail "kill of a stopped node"
"$JOINTCLEAR" cluster start c node1 | grep -q "node1  started" || fail "start"
"$JOINTCLEAR" cluster stop c 3 | grep -q "node3  stopped (pid [0-9]*, SIGTERM" || fail "stop"
ok

# ---- down ----
"$JOINTCLEAR" cluster down c > down.txt
grep -q "3 stopped, 1 were not running" down.txt || fail "down: $(cat down.txt)"
for i in 0 1 2 3; do [[ ! -e c/node$i/jointcleard.pid ]] || fail "node$i pid file left"; done
"$JOINTCLEAR" cluster status c --json | python3 -c '
import json,sys; s=json.load(sys.stdin); assert not any(n["running"] for n in s["nodes"]), s' || fail "status after down"
ok

# ---- demo on a fresh consortium of its own ----
"$JOINTCLEAR" demo > demo_fresh.txt || fail "fresh demo: $(grep -E 'MISMATCH|STOPPED' demo_fresh.txt)"
grep -q "demo: PASS" demo_fresh.txt || fail "fresh demo did not pass"
grep -q "positions are back to zero" demo_fresh.txt || fail "fresh demo positions not back to zero"
grep -q "cluster jointclear-local down (4 stopped" demo_fresh.txt || fail "fresh demo did not stop its cluster"
ok

echo "tools_e2e: $checks checks passed"
