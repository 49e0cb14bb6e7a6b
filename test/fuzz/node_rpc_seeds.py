#!/usr/bin/env python3
"""Writes the seed inputs of node_rpc_fuzz (test/fuzz/node_rpc_fuzz.cc) into a directory.

Goal: start the fuzzer from requests that reach every method of the node's table with the ids
the harness's seeded ledger really holds (loan L-1, partnerships P-1/P-2, the seven seeded
transactions), under each caller the harness models (no token, a bank's token, the auditor's
token, a WebSocket),
plus the request examples of docs/rpc.md and envelopes signed for the harness's chain: a new
valid one, a replay of a committed one, a bad signature, another chain, an unknown signer.

Method: each seed is one byte (the caller: bits 0-1 no token / WEBANK / HUARUI / BANKC,
bit 3 the auditor instead, bit 2 a WebSocket) followed by the request body. Envelopes are signed with
scripts/protocol_reference.py (the executable spec) and the harness's fixed test keys.

Usage: node_rpc_seeds.py OUT_DIR   (then merge into corpus/node_rpc_fuzz with -merge=1)
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import protocol_reference as ref  # noqa: E402

CHAIN = "jc-node-rpc-fuzz"
SECRETS = {"WEBANK": "22" * 32, "HUARUI": "33" * 32, "BANKC": "44" * 32}
NONE, WEBANK, HUARUI, BANKC, WS, AUDITOR = 0, 1, 2, 3, 4, 8
# The transactions the harness commits at start (deterministic: fixed keys and contents).
SEEDED = {
    "partnership.propose P-1 (WEBANK)": "ac662075df5a2538f3ce53e7c54515eb763a95ce6d646d5b54ab9d1c0f391ee0",
    "partnership.accept P-1 (HUARUI)": "2377eaf7f140ea2667517f5d44d6a950744411cb341cd84e95eab390cae2f6af",
    "loan.originate L-1 (WEBANK)": "9f0c15b2f51d0846d849d89aa29ffddfb2f2ffafeaf15809052b658a91b13f56",
    "loan.repay L-1 (WEBANK)": "2fb048d43372b926527df46773dfa0b534a5af6f4d54144bb3dddc0e7a8a7839",
    "partnership.propose P-BAD (BANKC, REJECTED)": "8bb5990f205746c1ab3bfe6eb19d0a0146c377800198c8b23f9c39591165ec4d",
}
TX = list(SEEDED.values())


def req(method, params=None, id_=1):
    r = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        r["params"] = params
    return r


def sign(bank, tx_type, client_ref, body, chain=CHAIN, key_of=None):
    unsigned = {"chain_id": chain, "type": tx_type, "sender": bank, "client_ref": client_ref, "body": body}
    return ref.sign_envelope(SECRETS[key_of or bank], unsigned)


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = []

    def add(caller, body):
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        seeds.append(bytes([caller]) + text.encode())

    # docs/rpc.md's example request, with and without a token.
    add(NONE, '{"jsonrpc":"2.0","id":1,"method":"getPositions","params":{}}')
    add(WEBANK, '{"jsonrpc":"2.0","id":1,"method":"getPositions","params":{}}')
    for m in ("getHeight", "getNodeStatus", "getValidators", "getMembers", "rpc.discover", "getCycle",
              "listGovernanceProposals", "getInvariantDigest"):
        add(NONE, req(m, {}))
        add(WEBANK, req(m))
    for h in TX:
        for m in ("getReceipt", "getTransaction", "getProof"):
            add(NONE, req(m, {"tx_hash": h}))
            add(WEBANK, req(m, {"tx_hash": h}))
    add(NONE, req("getReceipt", {"tx_hash": "00" * 32}))
    for height in (1, 5, 7, 8):
        add(NONE, req("getBlock", {"height": height, "full": True}))
        add(HUARUI, req("getBlock", {"height": height}))
    add(WEBANK, req("getBlock", {"height": 5, "full": True}))
    add(NONE, req("getBlock", {"hash": "11" * 32}))
    for caller in (NONE, WEBANK, HUARUI, BANKC):
        add(caller, req("getLoan", {"loan_id": "L-1", "as_of": "2024-03-01"}))
        add(caller, req("getLoanStatement", {"loan_id": "L-1"}))
        add(caller, req("quotePayoff", {"loan_id": "L-1", "value_date": "2024-03-15"}))
        add(caller, req("getPartnership", {"partnership_id": "P-1"}))
        add(caller, req("getPositions", {"bank_id": "HUARUI"}))
        add(caller, req("listInstructions", {"status": "PENDING"}))
        add(caller, req("getEventByClientRef", {"bank_id": "WEBANK", "client_ref": "seed-5"}))
    add(NONE, req("getPartnership", {"partnership_id": "P-2"}))
    add(NONE, req("getLoan", {"loan_id": "L-1"}))
    add(NONE, req("getCycleReport", {"cycle_id": "2026-11-27-1", "bank_id": "WEBANK"}))
    add(NONE, req("getGovernanceProposal", {"proposal_id": "G-1"}))
    add(NONE, req("listGovernanceProposals", {"status": "OPEN"}))
    # Subscriptions: over HTTP (refused), over a WebSocket, each topic, another bank's events.
    add(NONE, req("subscribe", {"topic": "blocks"}))
    add(WS | NONE, req("subscribe", {"topic": "receipts"}))
    add(WS | WEBANK, req("subscribe", {"topic": "bank_events", "bank_id": "WEBANK"}))
    add(WS | WEBANK, req("subscribe", {"topic": "bank_events", "bank_id": "HUARUI"}))
    add(WS | WEBANK, req("subscribe", {"topic": "receipts"}))
    add(WS | NONE, [req("subscribe", {"topic": "blocks"}, 1), req("unsubscribe", {"subscription": "sub-1"}, 2)])
    # Envelopes for this chain: new and valid, a replay of a committed one, bad signature,
    # another chain, a key that is not the sender's, and the wait variants.
    valid = sign("WEBANK", "loan.repay", "fuzz-1", {"loan_id": "L-1", "value_date": "2024-03-15", "amount": "7000",
                                                    "channel_ref": "R-FUZZ-1"})
    add(NONE, req("submitTransaction", {"tx": valid}))
    add(WEBANK, req("submitTransaction", {"tx": valid}))
    add(HUARUI, req("submitTransaction", {"tx": valid}))
    add(NONE, req("submitTransaction", {"tx": valid, "wait": True, "timeout_ms": 5}))
    bad_sig = dict(valid)
    bad_sig["sig"] = ("0" if valid["sig"][0] != "0" else "1") + valid["sig"][1:]
    add(NONE, req("submitTransaction", {"tx": bad_sig}))
    add(NONE, req("submitTransaction", {"tx": sign("WEBANK", "loan.repay", "fuzz-2", valid["body"], chain="other-chain")}))
    add(NONE, req("submitTransaction", {"tx": sign("WEBANK", "loan.repay", "fuzz-3", valid["body"], key_of="BANKC")}))
    add(NONE, req("submitTransaction", {"tx": sign("NOBANK", "loan.repay", "fuzz-4", valid["body"], key_of="BANKC")}))
    proposal = sign("HUARUI", "partnership.propose", "fuzz-5", {"partnership_id": "P-FUZZ"})
    add(HUARUI, req("submitTransaction", {"tx": proposal, "wait": False}))
    add(NONE, [req("submitTransaction", {"tx": valid}, 1), req("submitTransaction", {"tx": valid}, 2),
               req("getHeight", None, 3), {"jsonrpc": "2.0", "method": "getHeight"}])
    # A committed transaction again: answered COMMITTED from the ledger.
    committed = sign("WEBANK", "loan.repay", "seed-6", {"loan_id": "L-1", "value_date": "2024-02-15", "amount": "5000",
                                                       "channel_ref": "R-1"})
    add(NONE, req("submitTransaction", {"tx": committed}))
    add(NONE, req("submitTransaction", {"tx": committed, "wait": True}))
    # The auditor's token (ADR 0097): every bank's reads, bank_id required where a bank's token
    # would default to its own, and refused: tokenless methods, full blocks, the receipts topic,
    # submissions.
    for m in ("getPositions", "listInstructions", "getCycleReport", "getInvariantDigest", "getHeight"):
        add(AUDITOR, req(m, {}))
    add(AUDITOR, req("getPositions", {"bank_id": "HUARUI"}))
    add(AUDITOR, req("listInstructions", {"bank_id": "BANKC", "status": "PENDING"}))
    add(AUDITOR, req("getCycleReport", {"cycle_id": "2026-11-27-1", "bank_id": "WEBANK"}))
    add(AUDITOR, req("getEventByClientRef", {"bank_id": "WEBANK", "client_ref": "seed-5"}))
    add(AUDITOR, req("getEventByClientRef", {"client_ref": "seed-5"}))
    for h in TX:
        add(AUDITOR, req("getTransaction", {"tx_hash": h}))
    add(AUDITOR, req("getProof", {"tx_hash": TX[2]}))
    add(AUDITOR, req("getLoan", {"loan_id": "L-1"}))
    add(AUDITOR, req("getPartnership", {"partnership_id": "P-2"}))
    add(AUDITOR, req("getBlock", {"height": 5}))
    add(AUDITOR, req("getBlock", {"height": 5, "full": True}))
    add(WS | AUDITOR, req("subscribe", {"topic": "receipts"}))
    add(WS | AUDITOR, req("subscribe", {"topic": "bank_events", "bank_id": "HUARUI"}))
    add(WS | AUDITOR, req("subscribe", {"topic": "blocks"}))
    add(AUDITOR, req("submitTransaction", {"tx": valid}))
    add(AUDITOR, [req("getHeight", None, 1), req("submitTransaction", {"tx": valid}, 2)])
    for seed in seeds:
        with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
            f.write(seed)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main(sys.argv[1])
