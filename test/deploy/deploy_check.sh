#!/usr/bin/env bash
# Goal: the deployment files (deploy/) are valid and agree with the node, offline and fast
# enough for the default CI (the container test, test/deploy/container_test.sh, runs them for
# real but is not part of CI). Method, in a temp dir:
#   1. Kubernetes: make-config.sh runs the real `jointclear init` for the StatefulSet layout;
#      check_k8s.mjs validates every object against kubernetes-models' schemas, rejects
#      unknown fields, checks names/selectors/ports/probes/volumes/keys/PDB against f and
#      genesis/configs against the pods; its --self-test proves known-bad edits are caught.
#   2. Compose: prepare.sh's init options, then check_compose.mjs against that consortium.
#   3. Grafana: a real 1-validator node is started and its GET /metrics is the list of names
#      the dashboard may use (check_dashboard.py, with its own self-test).
#   4. systemd: `systemd-analyze verify` of the unit (ExecStart pointed at the built daemon);
#      any warning fails.
# Needs node + the npm packages scripts/setup.sh installs into test/deploy/node_modules.
#
# Usage: deploy_check.sh JOINTCLEAR JOINTCLEARD
set -euo pipefail
JOINTCLEAR=$(realpath "$1")
JOINTCLEARD=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
node_pid=""
cleanup() {
    [[ -n $node_pid ]] && kill "$node_pid" 2> /dev/null && wait "$node_pid" 2> /dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -d $here/node_modules/kubernetes-models ]] ||
    fail "test/deploy/node_modules is missing: run scripts/setup.sh (npm ci --prefix test/deploy)"

# 1. Kubernetes
JOINTCLEAR=$JOINTCLEAR bash "$repo/deploy/k8s/make-config.sh" "$work/k8s" "$work/config.generated.yaml" > /dev/null
node "$here/check_k8s.mjs" "$repo/deploy/k8s" "$work/config.generated.yaml"
node "$here/check_k8s.mjs" "$repo/deploy/k8s" "$work/config.generated.yaml" --self-test

# 2. Compose (prepare.sh chowns to the image's uid, which needs root: run its init line here)
"$JOINTCLEAR" init --out "$work/compose" --validators 4 --banks WEBANK,HUARUI,BANKC \
    --listen-host 0.0.0.0 --advertise-host 'node{i}' --p2p-port 7000 --rpc-port 8000 \
    --data-dir /var/lib/jointclear > /dev/null
grep -q -- "--listen-host 0.0.0.0 --advertise-host 'node{i}' --p2p-port 7000 --rpc-port 8000" \
    "$repo/deploy/compose/prepare.sh" || fail "prepare.sh no longer uses the options checked here"
node "$here/check_compose.mjs" "$repo/deploy/compose/compose.yaml" "$work/compose"
# ... and it can fail: RPC published on every host interface must be caught.
sed 's/"127.0.0.1:${JC_RPC_PORT_3:-18003}:8000"/"${JC_RPC_PORT_3:-18003}:8000"/' \
    "$repo/deploy/compose/compose.yaml" > "$work/bad-compose.yaml"
! cmp -s "$repo/deploy/compose/compose.yaml" "$work/bad-compose.yaml" || fail "compose self-test did not apply"
if node "$here/check_compose.mjs" "$work/bad-compose.yaml" "$work/compose" 2> /dev/null; then
    fail "check_compose accepted RPC published beyond 127.0.0.1"
fi

# 3. Grafana dashboard against a live node's /metrics
"$JOINTCLEAR" init --out "$work/one" --validators 1 --banks WEBANK > "$work/one.txt"
rpc=$(sed -n 's/^  node0  rpc \(http[^ ]*\).*/\1/p' "$work/one.txt")
"$JOINTCLEARD" --config "$work/one/node0/config.json" > "$work/node.log" 2>&1 &
node_pid=$!
deadline=$((SECONDS + 20))
until curl -fsS --max-time 2 "$rpc/metrics" > "$work/metrics.txt" 2> /dev/null; do
    ((SECONDS < deadline)) || { cat "$work/node.log" >&2; fail "the node's /metrics did not answer in 20 s"; }
    kill -0 "$node_pid" 2> /dev/null || { cat "$work/node.log" >&2; fail "the node exited"; }
    sleep 0.2
done
curl -fsS "$rpc/healthz" > /dev/null || fail "/healthz"
python3 "$here/check_dashboard.py" "$repo/deploy/grafana/jointclear.json" "$work/metrics.txt"

# 4. systemd unit
if command -v systemd-analyze > /dev/null; then
    sed "s#^ExecStart=/usr/local/bin/jointcleard #ExecStart=$JOINTCLEARD #" \
        "$repo/deploy/systemd/jointcleard.service" > "$work/jointcleard.service"
    grep -q "^ExecStart=$JOINTCLEARD " "$work/jointcleard.service" || fail "unit ExecStart not found"
    systemd-analyze verify "$work/jointcleard.service" > "$work/verify.txt" 2>&1 || true
    [[ ! -s $work/verify.txt ]] || { cat "$work/verify.txt" >&2; fail "systemd-analyze verify"; }
    # ... and it can fail: a misspelled hardening option must be caught.
    sed 's/^ProtectSystem=strict/ProtectSytem=strict/' "$work/jointcleard.service" > "$work/bad.service"
    systemd-analyze verify "$work/bad.service" > "$work/verify-bad.txt" 2>&1 || true
    grep -q ProtectSytem "$work/verify-bad.txt" || fail "systemd-analyze did not report a misspelled key"
    echo "check_systemd: systemd-analyze verify clean (and catches a misspelled key)"
else
    fail "systemd-analyze not found (Debian package systemd)"
fi
echo "deploy_check: all checks passed"
