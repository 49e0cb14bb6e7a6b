#!/usr/bin/env bash
# Prepares a consortium for deploy/compose/compose.yaml: `jointclear init` with the container
# layout (ADR 0081) — every node binds 0.0.0.0, p2p on 7000 and RPC on 8000, peers dialled by
# service name node0..nodeN-1, the store on the image's volume /var/lib/jointclear — then gives
# each node's secrets to the image's user (uid/gid 10001), keeping mode 0600. Run as root
# (chown). The consortium CA key and the banks' signing keys stay with the operator, root-owned:
# no container mounts them.
#
# Usage: prepare.sh DIR [--validators N] [--banks A,B,C] [--chain-id ID]
#   Environment: JOINTCLEAR (default: jointclear on PATH, else build/release/tools/jointclear).
set -euo pipefail
dir=${1:?usage: prepare.sh DIR [--validators N] [--banks A,B,C] [--chain-id ID]}
shift
here=$(cd "$(dirname "$0")" && pwd)
jointclear=${JOINTCLEAR:-$(command -v jointclear || echo "$here/../../build/release/tools/jointclear")}
[[ -x $jointclear ]] || { echo "prepare: no jointclear at $jointclear (set JOINTCLEAR)" >&2; exit 1; }

validators=4 banks=WEBANK,HUARUI,BANKC chain_id=jointclear-compose
while [[ $# -gt 0 ]]; do
    case $1 in
        --validators) validators=$2; shift 2 ;;
        --banks) banks=$2; shift 2 ;;
        --chain-id) chain_id=$2; shift 2 ;;
        *) echo "prepare: unknown option $1" >&2; exit 2 ;;
    esac
done

"$jointclear" init --out "$dir" --validators "$validators" --banks "$banks" --chain-id "$chain_id" \
    --listen-host 0.0.0.0 --advertise-host 'node{i}' --p2p-port 7000 --rpc-port 8000 \
    --data-dir /var/lib/jointclear
uid=10001
for ((i = 0; i < validators; i++)); do
    chown "$uid:$uid" "$dir/node$i/tls.key" "$dir/node$i/consensus_key.json"
done
# The containers read genesis.json and ca.crt through bind mounts; the directory itself stays
# closed to others (it also holds the CA key).
echo "prepare: $dir ready for compose.yaml (secrets owned by uid $uid)"
