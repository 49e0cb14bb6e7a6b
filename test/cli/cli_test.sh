#!/usr/bin/env bash
# Goal: the operator CLI's keygen and tx sign/inspect work end to end, and the signatures agree
# with an independent implementation in another language (scripts/protocol_reference.py) in
# both directions. Method: run the real binary in a temp dir and check outputs and file modes.
set -euo pipefail
JOINTCLEAR=$1
REFERENCE=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

pub=$("$JOINTCLEAR" keygen --out wb.json --bank-id WEBANK)
[[ $pub =~ ^0[23][0-9a-f]{64}$ ]] || fail "keygen printed '$pub'"
[[ $(stat -c %a wb.json) == 600 ]] || fail "key file mode is $(stat -c %a wb.json)"
if "$JOINTCLEAR" keygen --out wb.json 2>err.txt; then fail "keygen overwrote a key file"; fi
grep -q "refusing to overwrite" err.txt || fail "no overwrite message: $(cat err.txt)"

"$JOINTCLEAR" tx sign --key wb.json --type loan.repay --chain-id jointclear-local \
    --client-ref WB-1 --body '{"loan_id":"L-0001","amount":"79067"}' > tx.json
grep -q '"sender":"WEBANK"' tx.json || fail "sender not taken from the key file"
ours=$("$JOINTCLEAR" tx inspect tx.json | sed -n 's/^tx_hash //p')
theirs=$(python3 "$REFERENCE" verify tx.json)
[[ $ours == "$theirs" ]] || fail "tx_hash differs: ours $ours, reference $theirs"

# The reference implementation signs; our parser and verifier accept it.
secret=$(python3 -c 'import secrets; print("%064x" % (secrets.randbelow(2**255) + 1))')
echo '{"chain_id":"jointclear-local","type":"loan.originate","sender":"HUARUI","client_ref":"HR:9","body":{"n":[1,2,{"z":null}]}}' |
    python3 "$REFERENCE" sign "$secret" - > ref.json
"$JOINTCLEAR" tx inspect ref.json > /dev/null || fail "reference signature refused"

# tx submit refuses options that would change nothing, before it talks to a node.
for opt in "--client-ref OTHER" "--chain-id other-chain" "--sender HUARUI"; do
    # shellcheck disable=SC2086  # the option and its value are two words
    if "$JOINTCLEAR" tx submit --rpc http://127.0.0.1:9 --tx tx.json $opt 2>err.txt; then
        fail "$opt with --tx accepted"
    fi
    grep -q "sent exactly as it was signed" err.txt || fail "--tx with $opt message: $(cat err.txt)"
done
if "$JOINTCLEAR" tx submit --rpc http://127.0.0.1:9 --tx tx.json --timeout-ms 5000 2>err.txt; then
    fail "--timeout-ms without --wait accepted"
fi
grep -q "give --wait too" err.txt || fail "--timeout-ms without --wait message: $(cat err.txt)"

# Tampering is caught, with the reason.
sed 's/"HR:9"/"HR:8"/' ref.json > bad.json
if "$JOINTCLEAR" tx inspect bad.json 2>err.txt; then fail "tampered envelope accepted"; fi
grep -q "BAD_SIGNATURE" err.txt || fail "tamper message: $(cat err.txt)"

# A group-readable key is refused.
chmod 640 wb.json
if "$JOINTCLEAR" tx sign --key wb.json --type loan.repay --chain-id c --body '{}' 2>err.txt; then
    fail "loose key file accepted"
fi
grep -q "chmod 600" err.txt || fail "mode message: $(cat err.txt)"
echo "cli_test: all checks passed"
