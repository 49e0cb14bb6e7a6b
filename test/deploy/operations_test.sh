#!/usr/bin/env bash
# Goal: the procedures docs/operations.md gives operators work as written: renewing a
# validator's TLS certificate with the same key (openssl commands of §7) needs no genesis
# change, and a store backed up while stopped and restored later (§6) catches up.
# Method: a real 4-validator consortium on loopback (`jointclear cluster`), the commands copied
# from the guide, and checks of peers, readiness, heights and state through the CLI. Every wait
# is done by the CLI against deadlines.
#
# Usage: operations_test.sh JOINTCLEAR JOINTCLEARD
set -euo pipefail
JOINTCLEAR=$(realpath "$1")
export JOINTCLEARD=$(realpath "$2")
work=$(mktemp -d)
cleanup() {
    [[ -f $work/c/genesis.json ]] && "$JOINTCLEAR" cluster down "$work/c" > /dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
jc() { "$JOINTCLEAR" "$@"; }
body() {
    echo '{"partnership_id":"'"$1"'","servicer_bank":"WEBANK","partner_bank":"HUARUI","agreement_ref":"'"$(printf 'a%.0s' {1..64})"'","funding_mode":"FRONTED","max_outstanding_principal":"1","fronting_limit":"1","collection_limit":"1","service_fee_bps":0}'
}
propose() {
    jc tx submit --cluster c --key c/banks/WEBANK.json --type partnership.propose --body "$(body "$1")" \
        --wait --json | grep -q '"status":"OK"' || fail "tx $1"
}
all_ready_at() {  # every node ready, 3 peers, at height >= $1
    jc cluster status c --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
want = int(sys.argv[1])
sys.exit(0 if all(n["ready"] and n["peers_connected"] == 3 and n["height"] >= want for n in s["nodes"]) else 1)' "$1"
}

jc init --out c --validators 4 --banks WEBANK,HUARUI > /dev/null
jc cluster up c > /dev/null
propose P-1

# §7: renew node2's certificate with its key; identity (SHA-256 of the public key) unchanged.
old_serial=$(openssl x509 -in c/node2/tls.crt -noout -serial)
(
    cd c/node2
    openssl req -new -key tls.key -subj /CN=node2 -out tls.csr 2> /dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\n' > ext.cnf
    openssl x509 -req -in tls.csr -CA ../ca.crt -CAkey ../ca.key -set_serial 0x$(openssl rand -hex 8) \
        -days 365 -sha256 -extfile ext.cnf -out tls.crt.new 2> /dev/null
    openssl verify -CAfile ../ca.crt tls.crt.new > /dev/null && mv tls.crt.new tls.crt
)
[[ $(openssl x509 -in c/node2/tls.crt -noout -serial) != "$old_serial" ]] || fail "certificate not renewed"
jc cluster stop c 2 > /dev/null
jc cluster start c 2 > /dev/null
propose P-2
deadline=$((SECONDS + 20))
until all_ready_at 2; do ((SECONDS < deadline)) || fail "after renewal: $(jc cluster status c)"; sleep 0.2; done
echo "ok: node2 renewed its certificate (same key) and rejoined with 3 peers"

# §6: back up node1's store while stopped, go on without it, restore the backup, catch up.
jc cluster stop c 1 > /dev/null
tar -C c/node1/data -czf node1-backup.tgz .
jc cluster start c 1 > /dev/null
propose P-3
propose P-4
jc cluster stop c 1 > /dev/null
rm -rf c/node1/data && mkdir c/node1/data && tar -C c/node1/data -xzf node1-backup.tgz
jc cluster start c 1 > /dev/null
propose P-5
deadline=$((SECONDS + 30))
until all_ready_at 5; do ((SECONDS < deadline)) || fail "after restore: $(jc cluster status c)"; sleep 0.2; done
jc call --cluster c --node 1 getPartnership '{"partnership_id":"P-4"}' --json | grep -q '"P-4"' ||
    fail "node1 lacks what was committed after its backup"
echo "ok: node1 restored from a backup taken at an older height and caught up"
echo "operations_test: all checks passed"
