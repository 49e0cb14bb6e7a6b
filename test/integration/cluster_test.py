#!/usr/bin/env python3
"""Integration tests on real jointcleard processes (127.0.0.1, mutual TLS, temp dirs).

Goal: the node does what API.md and issue 8 promise when it runs for real:
  * a single-validator chain works for development and survives a clean restart;
  * on 4 validators, transactions submitted to any node get receipts and every node ends with
    the same head hash, state root and receipts;
  * a SIGKILLed backup does not stop the others, and catches up after restart;
  * a SIGKILLed primary causes a view change and commits resume;
  * JSON-RPC refuses bad input with the right error and changes nothing.
Method: `jointclear init` makes the consortium, processes are started and killed by this script,
and every wait polls a condition against a deadline (no fixed sleeps).

Usage: cluster_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
"""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.error

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jcproc  # noqa: E402

FAILURES = []
PASSED = 0


def check(cond, what):
    global PASSED
    if cond:
        PASSED += 1
    else:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def wait_until(cond, what, deadline_s=30.0):
    """jcproc.wait_until, recording a failure named `what` when the deadline passes."""
    if jcproc.wait_until(cond, deadline_s, interval_s=0.02):
        return True
    FAILURES.append("timed out: " + what)
    print("FAIL: timed out:", what, flush=True)
    return False


def make_cluster(root, validators):
    return jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, validators)


def heads(c, nodes):
    return {i: c.result(i, "getHeight") for i in nodes}


def raw_call(c, i, raw):
    """Posts bytes as they are (malformed JSON, batches, notifications): (HTTP status, body)."""
    return c.post(i, raw)


class WebSocket:
    """A minimal RFC 6455 client (text frames, no fragmentation), enough to test subscriptions."""

    def __init__(self, url):
        host, port = url[len("http://"):].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (host, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        header = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                                  else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise OSError("closed")
            out += chunk
        return out

    def recv(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        return json.loads(self._read(n))

    def close(self):
        self.sock.close()


def tx_body(k):
    return {"partnership_id": "P-%d" % k}


def single_validator(root):
    c = make_cluster(root, 1)
    c.start(0)
    wait_until(lambda: c.ready(0), "single validator ready")
    hashes = []
    txs = []
    for k in range(5):
        txs.append(c.sign("WEBANK", "partnership.propose", tx_body(k)))
        r = c.submit(0, txs[-1])
        check("result" in r and r["result"]["status"] in ("OK", "REJECTED"), "dev chain receipt %d: %s" % (k, r))
        hashes.append(r["result"]["tx_hash"])
    retry_after_refusal(c, 0)
    deals, loans = jcproc.setup_money(c, 0, lambda what: check(False, what), tag="Q", base_loans=1)
    query_refused(c, 0, loans[0][1])
    registered_member_subscribes(c, 0)
    funders_hear(c, 0, deals[0], loans[0][1])
    head = c.result(0, "getHeight")
    check(head["height"] >= 1, "dev chain committed blocks")
    m = c.metrics(0)
    check(m.get("jointclear_store_commit_seconds_count") == m.get("jointclear_blocks_committed_total") >= 1,
          "every committed block's store write is timed: %s" %
          {k: v for k, v in m.items() if k.startswith(("jointclear_store_commit_seconds_count", "jointclear_blocks"))})
    check(c.kill(0, signal.SIGTERM) == 0, "SIGTERM stops the node cleanly with exit 0")
    c.start(0)
    wait_until(lambda: c.ready(0), "dev chain restarts")
    check(c.result(0, "getHeight") == head, "restart keeps the head")
    for h in hashes:
        check(c.result(0, "getReceipt", {"tx_hash": h}) is not None, "receipt survives restart")
    # An exact replay is answered from the ledger, not pooled again: after the restart nothing
    # in memory remembers these transactions, so the store's index is what answers.
    r = c.submit(0, txs[0], wait=False)
    check("result" in r and r["result"]["status"] == "COMMITTED" and r["result"]["receipt"]["tx_hash"] == hashes[0],
          "a replayed committed transaction is answered COMMITTED with its receipt: %s" % r)
    r = c.submit(0, txs[1])
    check("result" in r and r["result"]["tx_hash"] == hashes[1], "a replay with wait answers the receipt: %s" % r)
    check(c.result(0, "getHeight") == head, "replays commit nothing new")
    c.stop_all()
    # A route to the node's own index is refused at start, naming what to set instead.
    cfg = c.config(0)
    cfg["p2p"]["peer_addresses"] = {"0": "127.0.0.1:1"}
    c.write_config(0, cfg)
    c.start(0)
    rc = c.procs.pop(0).wait(timeout=30)
    check(rc != 0 and "own index" in c.log_tail(0, 10), "p2p.peer_addresses for the node itself is refused: exit %d, %s"
          % (rc, c.log_tail(0, 3)))


def retry_after_refusal(c, node):
    """A bank retries a refused request under the same client_ref (ADR 0034); getEventByClientRef
    then answers the accepted retry, not the refusal (ADR 0177)."""
    ref = "RETRY-%d" % os.getpid()
    refused = c.submit(node, c.sign("WEBANK", "partnership.propose", {"partnership_id": "P-RETRY"}, client_ref=ref))
    check("result" in refused and refused["result"]["status"] == "REJECTED", "an incomplete proposal is refused: %s" % refused)
    event = c.result(node, "getEventByClientRef", {"bank_id": "WEBANK", "client_ref": ref})
    check(event is not None and event["status"] == "REJECTED", "before a retry, the refusal is the answer: %s" % event)
    terms = {"partnership_id": "P-RETRY", "servicer_bank": "WEBANK", "partner_bank": "HUARUI",
             "agreement_ref": "ab" * 32, "funding_mode": "FRONTED", "min_tranche_share_bps": 3000,
             "max_outstanding_principal": "100000000", "fronting_limit": "100000000",
             "collection_limit": "100000000", "service_fee_bps": 0, "fee_base": "INTEREST_AND_PENALTY",
             "require_partner_acceptance": False}
    accepted = c.submit(node, c.sign("WEBANK", "partnership.propose", terms, client_ref=ref))
    check("result" in accepted and accepted["result"]["status"] == "OK", "the corrected retry is accepted: %s" % accepted)
    event = c.result(node, "getEventByClientRef", {"bank_id": "WEBANK", "client_ref": ref})
    check(event is not None and event["status"] == "OK" and event["tx_hash"] == accepted["result"]["tx_hash"],
          "getEventByClientRef answers the accepted retry, not the refusal: %s" % event)


def registered_member_subscribes(c, node):
    """A bank registered on chain by governance subscribes to its bank_events like a founding one
    (the member register of committed state, ADR 0072), and is admitted as a signer."""
    key_file = os.path.join(c.dir, "NEWBK.json")
    pub = subprocess.run([JOINTCLEAR, "keygen", "--out", key_file, "--bank-id", "NEWBK"], check=True,
                         capture_output=True, text=True).stdout.strip()
    ws = WebSocket(c.rpc[node])
    ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "bank_events", "bank_id": "NEWBK"}})
    before = ws.recv()
    check(before.get("error", {}).get("code") == -32602, "before registration NEWBK is not a member: %s" % before)
    body = {"proposal_id": "GP-NEWBK", "bank_id": "NEWBK", "name": "New Bank", "cnaps_code": "999900000011",
            "keys": [pub], "roles": ["FUNDER"]}
    proposed = c.submit(node, c.sign("WEBANK", "member.register", body))
    check("result" in proposed and proposed["result"]["status"] == "OK", "member.register proposed: %s" % proposed)
    digest = proposed.get("result", {}).get("result", {}).get("proposal", {}).get("action_digest", "")
    approved = c.submit(node, c.sign("HUARUI", "governance.approve", {"proposal_id": "GP-NEWBK", "action_digest": digest}))
    check("result" in approved and approved["result"]["status"] == "OK" and
          approved["result"]["result"].get("executed", {}).get("member", {}).get("bank_id") == "NEWBK",
          "the approval reaching the quorum registers NEWBK: %s" % approved)
    ws.send({"jsonrpc": "2.0", "id": 2, "method": "subscribe", "params": {"topic": "bank_events", "bank_id": "NEWBK"}})
    after = ws.recv()
    check("subscription" in after.get("result", {}), "a bank registered on chain subscribes to its events: %s" % after)
    ws.close()
    signed = jcproc.fast_sign(json.load(open(key_file))["secret_key"],
                              {"chain_id": c.genesis["chain_id"], "type": "partnership.propose", "sender": "NEWBK",
                               "client_ref": "NEWBK-1", "body": {"partnership_id": "P-NEWBK"}})
    r = c.submit(node, signed)
    check("result" in r and r["result"]["status"] in ("OK", "REJECTED"), "NEWBK's signed transaction is admitted: %s" % r)


def query_refused(c, node, loan_id):
    """A query the ledger's rules refuse is QUERY_REFUSED naming the business code, not an
    internal error (ADR 0178)."""
    quote = c.result(node, "quotePayoff", {"loan_id": loan_id, "value_date": "2024-03-01"})
    check(quote is not None and "payoff_amount" in quote, "a payoff quote after the value date: %s" % quote)
    _, r = c.call(node, "quotePayoff", {"loan_id": loan_id, "value_date": "2024-01-01"})
    err = r.get("error", {})
    check(err.get("code") == -32010 and err.get("data", {}).get("reason") == "QUERY_REFUSED" and
          "(50" in err.get("message", "") + json.dumps(err.get("data", {})),
          "a payoff quote dated before the loan's last event is QUERY_REFUSED with its code: %s" % r)


def funders_hear(c, node, deal, loan_id):
    """Every bank funding a loan hears of every event on it, whoever sends it (DOMAIN.md B.9
    streamNotifications, ADR 0179). The partner's notification names the loan but carries no
    result (the servicer's transaction may touch records the partner is no party to); the partner
    reads the event with getLoanStatement. A bank with no part in it hears nothing."""
    servicer, partner, _ = deal
    partner_ws = WebSocket(c.rpc[node])
    partner_ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                     "params": {"topic": "bank_events", "bank_id": partner}})
    check("subscription" in partner_ws.recv().get("result", {}), "%s subscribes to its events" % partner)
    bystander_ws = WebSocket(c.rpc[node])
    bystander_ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                       "params": {"topic": "bank_events", "bank_id": "NEWBK"}})
    check("subscription" in bystander_ws.recv().get("result", {}), "NEWBK subscribes to its events")

    repaid = c.submit(node, c.sign(servicer, "loan.repay", {"loan_id": loan_id, "value_date": "2024-03-15",
                                                            "amount": "5000", "channel_ref": "HEAR-1"}))
    check("result" in repaid and repaid["result"]["status"] == "OK", "the servicer repays: %s" % repaid)
    tx_hash = repaid["result"]["tx_hash"]
    note = partner_ws.recv().get("params", {}).get("result", {})
    check(note.get("tx_hash") == tx_hash and note.get("type") == "loan.repay" and note.get("sender") == servicer and
          note.get("status") == "OK" and {"loan_id": loan_id} in note.get("concerns", []) and "result" not in note,
          "the partner hears of the servicer's repayment, by loan, without its result: %s" % note)
    statement = c.result(node, "getLoanStatement", {"loan_id": loan_id})
    check(statement is not None and any(e.get("tx_hash") == tx_hash for e in statement.get("events", [])),
          "the notified event is in the loan's statement: %s" % str(statement)[:300])
    # The statement of the event's value date alone (DOMAIN.md B.9 from/to): the repayment, not
    # the origination of 2024-01-15.
    day = c.result(node, "getLoanStatement", {"loan_id": loan_id, "from": "2024-03-15", "to": "2024-03-15"})
    check(day is not None and [e.get("tx_hash") for e in day.get("events", [])] == [tx_hash],
          "getLoanStatement from/to gives that day's events only: %s" % str(day)[:300])
    _, bad = c.call(node, "getLoanStatement", {"loan_id": loan_id, "from": "2024-3-15"})
    check(bad.get("error", {}).get("code") == -32602, "a malformed from date is -32602: %s" % bad)
    # Or that one event by its id (DOMAIN.md B.9 getEvent), as the statement renders it.
    event = c.result(node, "getEvent", {"event_id": tx_hash + "-0"})
    check(day is not None and event == day["events"][0], "getEvent answers the statement's event: %s" % str(event)[:300])
    check(c.result(node, "getEvent", {"event_id": tx_hash + "-1"}) is None and
          c.result(node, "getEvent", {"event_id": "ab" * 32 + "-0"}) is None, "getEvent of no event is null")
    _, bad = c.call(node, "getEvent", {"event_id": tx_hash})
    check(bad.get("error", {}).get("code") == -32602, "an event_id without its item is -32602: %s" % bad)

    # NEWBK's first notification is its own next transaction: it heard nothing of the repayment.
    key = json.load(open(os.path.join(c.dir, "NEWBK.json")))["secret_key"]
    own = c.submit(node, jcproc.fast_sign(key, {"chain_id": c.genesis["chain_id"], "type": "partnership.propose",
                                                "sender": "NEWBK", "client_ref": "NEWBK-HEAR",
                                                "body": {"partnership_id": "P-HEAR"}}))
    check("result" in own, "NEWBK's transaction commits: %s" % own)
    first = bystander_ws.recv().get("params", {}).get("result", {})
    check(first.get("tx_hash") == own["result"]["tx_hash"] and first.get("sender") == "NEWBK",
          "a bank with no part in a loan hears nothing of it: %s" % first)
    partner_ws.close()
    bystander_ws.close()


def rpc_errors(c, node):
    before = c.result(node, "getHeight")

    def code(raw=None, method=None, params=None):
        status, body = raw_call(c, node, raw) if raw is not None else c.call(node, method, params)
        return body["error"]["code"] if body and "error" in body else None

    check(code(raw=b"{not json") == -32700, "malformed JSON is -32700")
    check(code(raw=b'{"jsonrpc":"2.0","id":1,"method":"getHeight","params":{"a":1.5}}') == -32700,
          "a float is -32700")
    check(code(method="noSuchMethod") == -32601, "unknown method is -32601")
    check(code(method="getReceipt", params={"tx_hash": 5}) == -32602, "wrong type is -32602")
    check(code(method="getBlock", params={"height": "x"}) == -32602, "wrong height type is -32602")
    status, body = raw_call(c, node, b"[]")
    check(body["error"]["code"] == -32600, "empty batch is -32600")
    status, body = raw_call(c, node, b'[{"jsonrpc":"2.0","id":1,"method":"getHeight"},'
                                           b'{"jsonrpc":"2.0","method":"getHeight"},'
                                           b'{"jsonrpc":"2.0","id":2,"method":"nope"}]')
    check(isinstance(body, list) and len(body) == 2 and body[1]["error"]["code"] == -32601, "mixed batch")
    status, body = raw_call(c, node, b'{"jsonrpc":"2.0","method":"getHeight"}')
    check(status == 204 and body is None, "a notification gets no response")
    # The server answers as soon as it reads a Content-Length over the limit, without waiting
    # for (or reading) the body: send only the head and read the answer.
    host, port = c.rpc[node][len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2097152\r\n\r\n")
        answer = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    check(answer.startswith(b"HTTP/1.1 413") and b"TOO_LARGE" in answer, "oversize body is TOO_LARGE")

    good = c.sign("WEBANK", "partnership.propose", tx_body(900))
    bad_sig = dict(good)
    bad_sig["body"] = {"partnership_id": "P-901"}
    r = c.submit(node, bad_sig, wait=False)
    check(r["error"]["data"]["reason"] == "BAD_SIGNATURE", "bad signature: %s" % r)
    r = c.submit(node, c.sign("WEBANK", "partnership.propose", tx_body(902), chain_id="other-chain"), wait=False)
    check(r["error"]["data"]["reason"] == "WRONG_CHAIN", "wrong chain: %s" % r)
    stranger = dict(c.sign("WEBANK", "partnership.propose", tx_body(903)))
    stranger["sender"] = "BANKZ"
    stranger = jcproc.fast_sign(c.bank_keys["WEBANK"]["secret_key"], stranger)
    r = c.submit(node, stranger, wait=False)
    check(r["error"]["data"]["reason"] == "UNKNOWN_SIGNER", "unknown signer: %s" % r)
    r = c.submit(node, {"chain_id": "x"}, wait=False)
    check(r["error"]["data"]["reason"] == "BAD_TX", "malformed envelope: %s" % r)
    check(code(method="getBlock", params={"height": 1, "full": 1}) == -32602,
          "a wrong-typed optional param is -32602 (regression: it used to abort the node)")
    check(c.result(node, "getHeight") == before, "refused input changed nothing")
    # The signature cache is keyed by the whole envelope: once an envelope is verified, the same
    # tx_hash with another sig is still checked (and refused).
    honest = c.sign("HUARUI", "partnership.propose", tx_body(904))
    check("result" in c.submit(node, honest), "honest envelope commits")
    forged = dict(honest)
    forged["sig"] = jcproc.fast_sign(c.bank_keys["WEBANK"]["secret_key"], honest)["sig"]
    r = c.submit(node, forged, wait=False)
    check("error" in r and r["error"]["data"]["reason"] == "BAD_SIGNATURE",
          "same tx_hash with a forged sig is refused: %s" % r)
    check("methods" in c.result(node, "rpc.discover"), "rpc.discover returns OpenRPC")
    names = {m["name"] for m in c.result(node, "rpc.discover")["methods"]}
    check({"getCycle", "getCycleReport", "listInstructions"} <= names, "settlement queries are discoverable")
    check({"getGovernanceProposal", "listGovernanceProposals"} <= names, "governance queries are discoverable")
    # The document declares each method's by-name parameters, exactly what the node accepts
    # (ADR 0180): a client generated from it sends {"loan_id", "value_date"}, not {"params": {...}}.
    described = {m["name"]: [(p["name"], p["required"], p["schema"].get("type")) for p in m["params"]]
                 for m in c.result(node, "rpc.discover")["methods"]}
    check(described.get("quotePayoff") == [("loan_id", True, "string"), ("value_date", True, "string")] and
          described.get("getHeight") == [] and
          all(name != "params" for ps in described.values() for name, _, _ in ps),
          "rpc.discover describes each method's parameters: %s" % {k: described.get(k) for k in ("quotePayoff", "getHeight")})
    check(code(method="getHeight", params={"params": {}}) == -32602 and
          code(method="getBlock", params={"height": 1, "full": "yes"}) == -32602,
          "an undeclared or mistyped parameter is -32602")
    check(c.result(node, "getGovernanceProposal", {"proposal_id": "GP-NONE"}) is None, "unknown proposal is null")
    check(c.result(node, "listGovernanceProposals", {"status": "OPEN"})["count"] == 0, "no open proposals")
    check(code(method="listGovernanceProposals", params={"status": "PENDING"}) == -32602,
          "unknown proposal status is -32602")
    cycle = c.result(node, "getCycle")
    check(cycle["status"] == "OPEN" and cycle["current"], "getCycle answers the open cycle: %s" % cycle)
    check(c.result(node, "listInstructions", {"status": "PENDING"})["count"] == 0, "no instructions yet")
    check(code(method="listInstructions", params={"status": "BOGUS"}) == -32602, "unknown status is -32602")


def four_validators(root):
    c = make_cluster(root, 4)
    for i in range(4):
        c.start(i)
    wait_until(lambda: all(c.ready(i) for i in range(4)), "4 validators ready")
    ws = WebSocket(c.rpc[1])
    ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "receipts"}})
    sub = ws.recv()
    check("subscription" in sub.get("result", {}), "subscribe answers with an id: %s" % sub)
    # bank_events names a member of committed state (the register admission uses, ADR 0072).
    ws.send({"jsonrpc": "2.0", "id": 2, "method": "subscribe", "params": {"topic": "bank_events", "bank_id": "NOBANK"}})
    refused = ws.recv()
    check(refused.get("error", {}).get("code") == -32602, "bank_events of a non-member is -32602: %s" % refused)
    ws.send({"jsonrpc": "2.0", "id": 3, "method": "subscribe", "params": {"topic": "bank_events", "bank_id": "WEBANK"}})
    events = ws.recv()
    check("subscription" in events.get("result", {}), "bank_events of a member: %s" % events)
    acked = []
    for k in range(12):
        r = c.submit(k % 4, c.sign("WEBANK" if k % 2 else "HUARUI", "partnership.propose", tx_body(k)))
        check("result" in r, "receipt from node %d: %s" % (k % 4, r))
        if "result" in r:
            acked.append(r["result"]["tx_hash"])
    seen = set()
    while len(seen) < len(acked):
        note = ws.recv()
        if note.get("method") == "subscription":
            seen.add(note["params"]["result"]["tx_hash"])
    check(seen >= set(acked), "every committed receipt was pushed to the subscriber")
    ws.close()
    rpc_errors(c, 1)

    # Steady load from another thread for the rest of the test: every transaction it gets a
    # receipt for must end up identical on every node.
    load_stop = threading.Event()
    load_acked = []
    down = set()

    def load():
        k = 1000
        while not load_stop.is_set():
            k += 1
            target = k % 4
            if target in down:
                continue
            try:
                r = c.submit(target, c.sign("WEBANK", "partnership.propose", tx_body(k)))
            except (OSError, urllib.error.URLError, ValueError):
                continue
            if "result" in r:
                load_acked.append(r["result"]["tx_hash"])

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    # A backup dies under load; the others keep committing.
    down.add(3)
    c.kill(3)
    for k in range(12, 20):
        r = c.submit(k % 3, c.sign("WEBANK", "partnership.propose", tx_body(k)))
        check("result" in r, "commit with a backup down: %s" % r)
        if "result" in r:
            acked.append(r["result"]["tx_hash"])
    c.start(3)
    down.discard(3)
    wait_until(lambda: len({h["hash"] for h in heads(c, range(4)).values()}) == 1, "restarted backup catches up")

    # The primary of the current view dies: a view change, then commits resume.
    view = c.result(0, "getNodeStatus")["view"]
    primary = view % 4
    down.add(primary)
    c.kill(primary)
    live = [i for i in range(4) if i != primary]
    for k in range(20, 24):
        r = c.submit(live[k % 3], c.sign("HUARUI", "partnership.propose", tx_body(k)))
        check("result" in r, "commit after the primary died: %s" % r)
        if "result" in r:
            acked.append(r["result"]["tx_hash"])
    check(c.result(live[0], "getNodeStatus")["view"] > view, "view changed after the primary died")
    c.start(primary)
    down.discard(primary)
    load_stop.set()
    loader.join(timeout=60)
    check(len(load_acked) > 0, "the background load got receipts (%d)" % len(load_acked))
    acked += load_acked
    wait_until(lambda: len({json.dumps(h, sort_keys=True) for h in heads(c, range(4)).values()}) == 1,
               "all four agree on head hash and state root")

    # Every acknowledged transaction is on every node with the same receipt.
    for h in acked:
        receipts = {json.dumps(c.result(i, "getReceipt", {"tx_hash": h}), sort_keys=True) for i in range(4)}
        check(len(receipts) == 1 and "null" not in receipts, "receipt %s identical on all nodes" % h[:12])
    proof = c.result(2, "getProof", {"tx_hash": acked[0]})
    check(proof is not None and len(proof["certificate"]["signatures"]) >= 3, "proof carries a quorum certificate")
    c.stop_all()


def print_log_tails(root, lines=40):
    """On failure, the end of every node's log: the temporary directory is gone afterwards."""
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name == "node.log":
                path = os.path.join(dirpath, name)
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-lines:]
                print("---- %s (last %d lines)" % (os.path.relpath(path, root), len(tail)))
                sys.stdout.write("".join(tail))


def main():
    jcproc.init_reference(REFERENCE)
    with tempfile.TemporaryDirectory(prefix="jc-cluster-") as root:
        try:
            single_validator(root)
            four_validators(root)
            if FAILURES:
                print_log_tails(root)
        finally:
            subprocess.run(["pkill", "-f", root], check=False)
    print("%d passed, %d failed" % (PASSED, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
