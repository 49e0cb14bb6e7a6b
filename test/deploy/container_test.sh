#!/usr/bin/env bash
# Goal: the BaaS deployment works for real — the image builds without any registry, a
# 4-validator consortium runs in containers that reach each other by name with RPC published
# only on the host's 127.0.0.1, signed transactions commit, and a validator that is stopped and
# restarted keeps its store and catches up. Method: with podman (runc) configured entirely under
# a temp dir, make the Debian 12 minbase base by debootstrap, build the image (fast path:
# host-built release binaries, ADR 0080; --from-source compiles inside the build instead), run
# deploy/compose/compose.yaml through docker-compose 1.29 talking to `podman system service`,
# drive it with the real `jointclear` CLI (stop/restart catch-up, resync from an empty volume),
# run deploy/systemd/jointcleard.service under systemd as PID 1 in a container built from the
# image, then tear everything down. Bounded by `timeout`
# (JC_CONTAINER_TEST_TIMEOUT seconds, default 1800); every wait polls against a deadline.
#
# Not part of scripts/test.sh (it needs root, the Debian mirror and minutes). One command:
#   bash test/deploy/container_test.sh [--from-source] [--keep-base FILE] [--no-setup]
#     --from-source     build the binaries inside the image build (two-stage, ~10+ min more)
#     --keep-base FILE  reuse/save the debootstrapped base as FILE (a tar) between runs
#     --no-setup        skip scripts/setup-containers.sh (apt-get install podman & co.)
set -euo pipefail

if [[ -z ${JC_CONTAINER_TEST_INNER:-} ]]; then
    export JC_CONTAINER_TEST_INNER=1
    # A private mount namespace: podman's fixed paths (/run/containers, its blob-info cache in
    # /var/lib/containers/cache) are bind-mounted from the temp dir below, so the host keeps none
    # of this run's files.
    exec timeout --signal=TERM --kill-after=180 "${JC_CONTAINER_TEST_TIMEOUT:-1800}" \
        unshare --mount --propagation private bash "$0" "$@"
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
from_source=0 keep_base="" setup=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --from-source) from_source=1; shift ;;
        --keep-base) keep_base=$(realpath -m "$2"); shift 2 ;;
        --no-setup) setup=0; shift ;;
        *) echo "usage: container_test.sh [--from-source] [--keep-base FILE] [--no-setup]" >&2; exit 2 ;;
    esac
done
[[ $(id -u) == 0 ]] || { echo "container_test: run as root (rootful podman, debootstrap)" >&2; exit 1; }

started=$(date +%s)
say() { printf '[%4ds] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }
checks=0
ok() { checks=$((checks + 1)); say "ok: $*"; }

# ---- setup and a podman confined to the temp dir ----
if [[ $setup == 1 ]]; then
    say "setup: apt-get install podman, runc, debootstrap, docker-compose, ..."
    bash "$repo/scripts/setup-containers.sh"
fi
tmp=$(mktemp -d /tmp/jc-container-test.XXXXXX)
chmod 0755 "$tmp"
project="jctest$$"
service_pid=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    say "cleanup (exit $rc)"
    if [[ -n ${DOCKER_HOST:-} && -f $tmp/compose.env ]]; then
        timeout 120 docker-compose -p "$project" -f "$repo/deploy/compose/compose.yaml" down -v -t 10 \
            > "$tmp/down.log" 2>&1 || true
    fi
    # `set -e` is still on here: the service's own exit status (1 after SIGTERM on some podman
    # versions) must not abort the clean-up before it has removed anything.
    if [[ -n $service_pid ]]; then
        kill "$service_pid" 2> /dev/null || true
        wait "$service_pid" 2> /dev/null || true
    fi
    timeout 60 podman rm -a -f -t 0 > /dev/null 2>&1 || true
    timeout 60 podman volume prune -f > /dev/null 2>&1 || true
    timeout 60 podman network prune -f > /dev/null 2>&1 || true
    # netavark 1.4 leaves its per-bridge isolation rules behind; remove ours.
    if [[ -n ${bridge:-} ]] && command -v iptables > /dev/null; then
        local chain rule
        for chain in NETAVARK_ISOLATION_1 NETAVARK_ISOLATION_2; do
            iptables -S "$chain" 2> /dev/null | grep -E -- "-[io] $bridge( |$)" | while read -r -a rule; do
                rule[0]=-D
                iptables "${rule[@]}" 2> /dev/null || true
            done
        done
    fi
    timeout 120 podman rmi -a -f > /dev/null 2>&1 || true
    if [[ -n ${bound:-} ]]; then umount -l /run/containers /var/lib/containers/cache 2> /dev/null || true; fi
    # Anything still mounted under the temp dir (overlay layers, netns) goes before the rm.
    grep -o " $tmp[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2> /dev/null || true
    rm -rf "$tmp"
    say "done: $checks checks, $(($(date +%s) - started)) s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

mkdir -p "$tmp"/{storage,run,tmp,net,volumes,run-containers,cache}
# Mount points only (empty directories; podman would create them itself).
mkdir -p /run/containers /var/lib/containers/cache
mount --bind "$tmp/run-containers" /run/containers
mount --bind "$tmp/cache" /var/lib/containers/cache
bound=1
cat > "$tmp/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$tmp/tmp"
volume_path = "$tmp/volumes"
[network]
network_backend = "netavark"
network_config_dir = "$tmp/net"
CONF
cat > "$tmp/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$tmp/storage"
runroot = "$tmp/run"
CONF
printf 'unqualified-search-registries = []\n' > "$tmp/registries.conf"
export CONTAINERS_CONF=$tmp/containers.conf CONTAINERS_STORAGE_CONF=$tmp/storage.conf
export CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf
say "podman $(podman version --format '{{.Client.Version}}'), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'), storage in $tmp"

# ---- base layer (offline: debootstrap + import) ----
base=localhost/jointclear-base:bookworm
if [[ -n $keep_base && -s $keep_base ]]; then
    podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' "$keep_base" "$base" > /dev/null
    say "base: imported the saved $keep_base"
else
    say "base: debootstrap --variant=minbase bookworm"
    bash "$repo/deploy/container/make-base.sh" "$tmp/base" "$base" podman
    if [[ -n $keep_base ]]; then
        podman export "$(podman create "$base" true)" > "$keep_base"
        podman rm -a -f > /dev/null
        say "base: saved as $keep_base"
    fi
fi
ok "base image $base"

# ---- the image ----
image=localhost/jointclear:test
t0=$(date +%s)
if [[ $from_source == 1 ]]; then
    say "image: two-stage build from the source tree"
    bash "$repo/deploy/container/build-image.sh" --engine podman --base "$base" --tag "$image" \
        > "$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; fail "image build"; }
    jointclear_host=""  # use the image's own CLI
else
    bin=${JC_BIN_DIR:-$repo/build/release}
    if [[ ! -x $bin/src/node/jointcleard || ! -x $bin/tools/jointclear ]]; then
        say "image: building host release binaries in $repo/build/release"
        (cd "$repo" && cmake --preset release > /dev/null && cmake --build --preset release --target jointcleard jointclear) \
            > "$tmp/host-build.log" 2>&1 || { tail -40 "$tmp/host-build.log"; fail "host build"; }
        bin=$repo/build/release
    fi
    say "image: fast path with $bin's binaries"
    bash "$repo/deploy/container/build-image.sh" --engine podman --base "$base" --tag "$image" \
        --prebuilt "$bin/src/node/jointcleard" "$bin/tools/jointclear" \
        > "$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; fail "image build"; }
fi
say "image: built in $(($(date +%s) - t0)) s, $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
[[ $(podman run --rm "$image" id -u) == 10001 ]] || fail "image does not run as uid 10001"
[[ $(podman image inspect "$image" --format '{{json .Config.Volumes}}') == *'/var/lib/jointclear'* ]] ||
    fail "no data volume"
[[ $(podman image inspect "$image" --format '{{json .HealthCheck}}') == *healthz* ]] || fail "no health check"
podman run --rm "$image" jointclear --help > /dev/null || fail "jointclear in the image"
ok "image: non-root (10001), volume /var/lib/jointclear, health check on /healthz, both binaries run"
# The CLI that drives the consortium: the one in the image, run on the host's network as the
# operator (root here), who owns the banks' signing keys (0600, never mounted into a node).
jc() { podman run --rm --user 0 --network host -v "$tmp/consortium:/c:ro" "$image" jointclear "$@"; }

# ---- prepare the consortium with jointclear init (container layout) ----
# init runs in the image as root so the files land on the host as root; prepare.sh then hands
# each node's secrets to uid 10001.
cat > "$tmp/jointclear-in-image" <<SH
#!/bin/sh
exec podman run --rm --user 0 -v "$tmp:$tmp" "$image" jointclear "\$@"
SH
chmod +x "$tmp/jointclear-in-image"
JOINTCLEAR=$tmp/jointclear-in-image bash "$repo/deploy/compose/prepare.sh" "$tmp/consortium" > "$tmp/prepare.log" ||
    { cat "$tmp/prepare.log"; fail "prepare"; }
python3 - "$tmp/consortium" <<'PY' || fail "consortium layout"
import json, os, sys
d = sys.argv[1]
g = json.load(open(f"{d}/genesis.json"))
assert [v["address"] for v in g["validators"]] == [f"node{i}:7000" for i in range(4)], g["validators"]
for i in range(4):
    c = json.load(open(f"{d}/node{i}/config.json"))
    assert c["p2p"]["listen"] == "0.0.0.0:7000" and c["rpc"]["listen"] == "0.0.0.0:8000", c
    assert c["data_dir"] == "/var/lib/jointclear", c
    for f in ("tls.key", "consensus_key.json"):
        st = os.stat(f"{d}/node{i}/{f}")
        assert st.st_uid == 10001 and st.st_mode & 0o777 == 0o600, (f, st)
PY
ok "prepare: genesis dials node0..3:7000, nodes bind 0.0.0.0, secrets 0600 owned by 10001"

# ---- the consortium in containers ----
podman system service --time=0 "unix://$tmp/podman.sock" > "$tmp/service.log" 2>&1 &
service_pid=$!
export DOCKER_HOST=unix://$tmp/podman.sock
deadline=$(($(date +%s) + 30))
until curl -fsS --unix-socket "$tmp/podman.sock" http://d/_ping > /dev/null 2>&1; do
    (($(date +%s) < deadline)) || fail "podman system service did not answer"
    sleep 0.2
done
ports=($(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])'))
cat > "$tmp/compose.env" <<ENV
JC_IMAGE=$image
JC_CONSORTIUM=$tmp/consortium
JC_RPC_PORT_0=${ports[0]}
JC_RPC_PORT_1=${ports[1]}
JC_RPC_PORT_2=${ports[2]}
JC_RPC_PORT_3=${ports[3]}
ENV
set -a; source "$tmp/compose.env"; set +a
compose() { docker-compose -p "$project" -f "$repo/deploy/compose/compose.yaml" "$@"; }
t0=$(date +%s)
compose up -d > "$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; fail "compose up"; }
rpc() { echo "http://127.0.0.1:${ports[$1]}"; }
bridge=$(podman network inspect "${project}_consortium" --format '{{.NetworkInterface}}')

# wait_ready I SECONDS: node I answers /readyz (connected to a quorum, not syncing).
wait_ready() {
    local deadline=$(($(date +%s) + $2))
    until curl -fsS --max-time 2 "$(rpc "$1")/readyz" > /dev/null 2>&1; do
        if (($(date +%s) >= deadline)); then
            podman logs --tail 30 "${project}_node$1_1" >&2 || true
            fail "node$1 not ready after $2 s"
        fi
        sleep 0.5
    done
}
for i in 0 1 2 3; do wait_ready "$i" 90; done
ok "4 validators ready in $(($(date +%s) - t0)) s"

# Peers by name, RPC only on the host's loopback, p2p not published.
for i in 0 1 2 3; do
    peers=$(curl -fsS "$(rpc "$i")/metrics" | awk '$1 == "jointclear_peers" {print $2}')
    [[ $peers == 3 ]] || fail "node$i has $peers peers"
    published=$(podman port "${project}_node${i}_1")
    [[ $published == "8000/tcp -> 127.0.0.1:${ports[$i]}" ]] || fail "node$i publishes: $published"
done
if ss -Hltn 2> /dev/null | awk '{print $4}' | grep -E ":(${ports[0]}|${ports[1]}|${ports[2]}|${ports[3]})$" | grep -vq '^127\.0\.0\.1:'; then
    fail "an RPC port is bound beyond 127.0.0.1: $(ss -Hltn)"
fi
ok "each node has 3 peers (dialled by name); only 8000 is published, on 127.0.0.1"

# The image's own health check, run by podman.
podman healthcheck run "${project}_node0_1" > /dev/null 2>&1 || fail "health check of node0"
ok "podman healthcheck run: healthy"

# ---- signed transactions ----
chain=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chain_id"])' "$tmp/consortium/genesis.json")
submit() {  # submit N ID NODE: WEBANK proposes partnership ID through node NODE, waits for its receipt
    local body='{"partnership_id":"'$1'","servicer_bank":"WEBANK","partner_bank":"HUARUI","agreement_ref":"'$(printf 'a%.0s' {1..64})'","funding_mode":"FRONTED","max_outstanding_principal":"100000000","fronting_limit":"100000000","collection_limit":"100000000","service_fee_bps":0}'
    jc tx submit --rpc "$(rpc "$2")" --key /c/banks/WEBANK.json --type partnership.propose \
        --body "$body" --client-ref "CT-$1" --wait --json
}
for n in 1 2 3 4 5 6 7 8; do
    submit "P-CT-$n" $((n % 4)) | grep -q '"status":"OK"' || fail "tx P-CT-$n not OK"
done
ok "8 signed transactions committed OK through all 4 nodes"

# ---- stop one validator, keep going, restart it, it catches up ----
t0=$(date +%s)
compose stop -t 30 node3 > "$tmp/stop.log" 2>&1 || { cat "$tmp/stop.log"; fail "compose stop node3"; }
stop_s=$(($(date +%s) - t0))
[[ $(podman inspect "${project}_node3_1" --format '{{.State.ExitCode}}') == 0 ]] ||
    fail "node3 did not exit 0 on SIGTERM: $(podman logs --tail 5 "${project}_node3_1")"
((stop_s < 20)) || fail "node3 took $stop_s s to stop (SIGTERM not handled?)"
ok "node3 stopped cleanly on SIGTERM in $stop_s s"
for n in 9 10 11 12 13 14; do
    submit "P-CT-$n" $((n % 3)) | grep -q '"status":"OK"' || fail "tx P-CT-$n not OK with node3 down"
done
ok "6 more transactions committed by the 3 remaining validators (f = 1)"
target=$(curl -fsS "$(rpc 0)/metrics" | awk '$1 == "jointclear_height" {print $2}')
compose start node3 > "$tmp/start.log" 2>&1 || { cat "$tmp/start.log"; fail "compose start node3"; }
t0=$(date +%s)
deadline=$((t0 + 90))
until h=$(curl -fsS --max-time 2 "$(rpc 3)/metrics" 2> /dev/null | awk '$1 == "jointclear_height" {print $2}') &&
    [[ -n $h ]] && ((h >= target)); do
    (($(date +%s) < deadline)) || fail "node3 at height ${h:-?} after 90 s, the others at $target"
    sleep 0.5
done
wait_ready 3 60
ok "node3 restarted and caught up to height $target in $(($(date +%s) - t0)) s"
hash_at() { curl -fsS "$(rpc "$1")" -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"getBlock","params":{"height":'"$2"'}}' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print(r["hash"], r["state_root"])'; }
want=$(hash_at 0 "$target")
for i in 1 2 3; do
    [[ $(hash_at "$i" "$target") == "$want" ]] || fail "node$i disagrees at height $target"
done
jc call --rpc "$(rpc 3)" getPartnership '{"partnership_id":"P-CT-14"}' --json | grep -q '"P-CT-14"' ||
    fail "node3 lacks the partnership committed while it was down"
submit P-CT-15 3 | grep -q '"status":"OK"' || fail "tx through the restarted node3"
ok "all 4 agree on block $target (hash, state root); node3 serves the state it missed and takes new txs"

# ---- a validator whose store is lost syncs from genesis (operations.md, restore) ----
compose rm -s -f node2 > "$tmp/rm.log" 2>&1 || { cat "$tmp/rm.log"; fail "compose rm node2"; }
podman volume rm "${project}_node2-data" > /dev/null || fail "remove node2's volume"
submit P-CT-16 0 | grep -q '"status":"OK"' || fail "tx with node2 gone"
target=$(curl -fsS "$(rpc 0)/metrics" | awk '$1 == "jointclear_height" {print $2}')
compose up -d node2 > "$tmp/up2.log" 2>&1 || { cat "$tmp/up2.log"; fail "compose up node2"; }
t0=$(date +%s)
deadline=$((t0 + 120))
until h=$(curl -fsS --max-time 2 "$(rpc 2)/metrics" 2> /dev/null | awk '$1 == "jointclear_height" {print $2}') &&
    [[ -n $h ]] && ((h >= target)); do
    (($(date +%s) < deadline)) || fail "node2 on an empty store at height ${h:-?} after 120 s, the others at $target"
    sleep 0.5
done
[[ $(hash_at 2 "$target") == "$(hash_at 0 "$target")" ]] || fail "node2 rebuilt a different block $target"
ok "node2 on a fresh volume synced $target blocks from its peers in $(($(date +%s) - t0)) s"

# ---- teardown (the trap also does it on failure) ----
compose down -v -t 30 > "$tmp/down.log" 2>&1 || { cat "$tmp/down.log"; fail "compose down"; }
[[ -z $(podman ps -aq) ]] || fail "containers left after down"
ok "compose down -v: no containers left"
# ---- the systemd unit, run for real (systemd as PID 1 in a container) ----
t0=$(date +%s)
podman build -q --build-arg "IMAGE=$image" -f "$repo/test/deploy/systemd.Containerfile" -t localhost/jointclear-systemd:test \
    "$repo/deploy/systemd" > "$tmp/sd-build.log" 2>&1 || { cat "$tmp/sd-build.log"; fail "systemd image build"; }
podman run -d --name jc-systemd --systemd=always localhost/jointclear-systemd:test > /dev/null
sdx() { podman exec jc-systemd "$@"; }
deadline=$(($(date +%s) + 60))
until [[ $(sdx systemctl is-system-running 2> /dev/null) =~ ^(running|degraded)$ ]]; do
    (($(date +%s) < deadline)) || fail "systemd did not come up in the container"
    sleep 0.5
done
# docs/operations.md §4: one validator's files in /etc/jointclear, secrets 0600 owned by the
# service user, the store in the StateDirectory.
sdx jointclear init --out /root/c --validators 1 --banks WEBANK,HUARUI --base-port 8100 --data-dir /var/lib/jointclear > /dev/null
sdx sh -ec 'cp /root/c/genesis.json /root/c/ca.crt /etc/jointclear/
    cp /root/c/node0/config.json /root/c/node0/tls.crt /root/c/node0/tls.key /root/c/node0/consensus_key.json /etc/jointclear/node/
    chmod 0644 /etc/jointclear/genesis.json /etc/jointclear/ca.crt /etc/jointclear/node/config.json /etc/jointclear/node/tls.crt
    chown jointclear:jointclear /etc/jointclear/node/tls.key /etc/jointclear/node/consensus_key.json
    systemctl daemon-reload
    systemctl start jointcleard'
deadline=$(($(date +%s) + 30))
until sdx curl -fsS --max-time 2 http://127.0.0.1:8101/readyz > /dev/null 2>&1; do
    (($(date +%s) < deadline)) || { sdx journalctl -u jointcleard --no-pager | tail -20; fail "jointcleard under systemd not ready"; }
    sleep 0.5
done
exposure=$(sdx systemd-analyze security jointcleard --no-pager | sed -n 's/.*Overall exposure level for jointcleard.service: \([0-9.]*\).*/\1/p')
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }' || fail "systemd-analyze security exposure '$exposure' (want <= 2.0)"
sdx jointclear tx submit --rpc http://127.0.0.1:8101 --key /root/c/banks/WEBANK.json --type partnership.propose \
    --body '{"partnership_id":"P-SD","servicer_bank":"WEBANK","partner_bank":"HUARUI","agreement_ref":"'"$(printf 'a%.0s' {1..64})"'","funding_mode":"FRONTED","max_outstanding_principal":"1","fronting_limit":"1","collection_limit":"1","service_fee_bps":0}' \
    --wait --json > "$tmp/sd-tx.json" || { cat "$tmp/sd-tx.json"; fail "tx to the systemd node"; }
grep -q '"status":"OK"' "$tmp/sd-tx.json" || fail "tx to the systemd node: $(cat "$tmp/sd-tx.json")"
height=$(sdx curl -fsS http://127.0.0.1:8101/metrics | awk '$1 == "jointclear_height" {print $2}')
((height >= 1)) || fail "systemd node at height $height after a tx"
sdx sh -c 'kill -9 "$(systemctl show -p MainPID --value jointcleard)"'
deadline=$(($(date +%s) + 30))
until [[ $(sdx systemctl show -p NRestarts --value jointcleard) == 1 ]] &&
    sdx curl -fsS --max-time 2 http://127.0.0.1:8101/readyz > /dev/null 2>&1; do
    (($(date +%s) < deadline)) || fail "systemd did not restart the killed node"
    sleep 0.5
done
h2=$(sdx curl -fsS http://127.0.0.1:8101/metrics | awk '$1 == "jointclear_height" {print $2}')
((h2 >= height)) || fail "restarted node at height $h2, was $height"
sdx systemctl stop jointcleard
[[ $(sdx systemctl show -p ActiveState --value jointcleard) == inactive &&
    $(sdx systemctl show -p ExecMainStatus --value jointcleard) == 0 ]] ||
    fail "systemctl stop: $(sdx systemctl show -p ActiveState,Result,ExecMainStatus jointcleard)"
podman rm -f -t 0 jc-systemd > /dev/null
ok "systemd unit: hardened (exposure $exposure), ready, commits, restarted after SIGKILL at height $h2, clean stop (exit 0) in $(($(date +%s) - t0)) s"

say "PASS: $checks checks in $(($(date +%s) - started)) s"
