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
import json
import os
import base64
import itertools
import signal
import struct
import socket
import subprocess
import sys
import threading
import tempfile
import time
import urllib.request
import urllib.error

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
sys.path.insert(0, os.path.dirname(REFERENCE))
import protocol_reference as ref  # noqa: E402

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
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if cond():
                return True
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    FAILURES.append("timed out: " + what)
    print("FAIL: timed out:", what, flush=True)
    return False


class Cluster:
    def __init__(self, root, validators, banks=("WEBANK", "HUARUI")):
        self.dir = os.path.join(root, "c%d" % validators)
        subprocess.run([JOINTCLEAR, "init", "--out", self.dir, "--validators", str(validators),
                        "--banks", ",".join(banks)], check=True, stdout=subprocess.DEVNULL)
        self.n = validators
        self.procs = {}
        self.genesis = json.load(open(os.path.join(self.dir, "genesis.json")))
        self.bank_keys = {b: json.load(open(os.path.join(self.dir, "banks", b + ".json"))) for b in banks}
        self.rpc = []
        for i in range(validators):
            cfg = json.load(open(self.node_dir(i) + "/config.json"))
            self.rpc.append("http://" + cfg["rpc"]["listen"])
        self.counter = itertools.count(1)  # thread-safe in CPython

    def node_dir(self, i):
        return os.path.join(self.dir, "node%d" % i)

    def start(self, i):
        log = open(self.node_dir(i) + "/node.log", "ab")
        self.procs[i] = subprocess.Popen([JOINTCLEARD, "--config", self.node_dir(i) + "/config.json"],
                                         stdout=log, stderr=subprocess.STDOUT)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs.pop(i)
        p.send_signal(sig)
        return p.wait(timeout=30)

    def stop_all(self):
        for i in list(self.procs):
            self.kill(i, signal.SIGTERM)

    def call(self, i, method, params=None, raw=None, timeout=30):
        body = raw if raw is not None else json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}).encode()
        req = urllib.request.Request(self.rpc[i], data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def result(self, i, method, params=None):
        status, body = self.call(i, method, params)
        return body["result"]

    def ready(self, i):
        try:
            with urllib.request.urlopen(self.rpc[i] + "/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def sign(self, bank, tx_type, body, chain_id=None):
        unsigned = {"chain_id": chain_id or self.genesis["chain_id"], "type": tx_type, "sender": bank,
                    "client_ref": "IT-%d-%d" % (os.getpid(), next(self.counter)), "body": body}
        return ref.sign_envelope(self.bank_keys[bank]["secret_key"], unsigned)

    def submit(self, i, tx, wait=True):
        return self.call(i, "submitTransaction", {"tx": tx, "wait": wait, "timeout_ms": 20000})[1]

    def heads(self, nodes):
        return {i: self.result(i, "getHeight") for i in nodes}


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
    c = Cluster(root, 1)
    c.start(0)
    wait_until(lambda: c.ready(0), "single validator ready")
    hashes = []
    for k in range(5):
        r = c.submit(0, c.sign("WEBANK", "partnership.propose", tx_body(k)))
        check("result" in r and r["result"]["status"] in ("OK", "REJECTED"), "dev chain receipt %d: %s" % (k, r))
        hashes.append(r["result"]["tx_hash"])
    head = c.result(0, "getHeight")
    check(head["height"] >= 1, "dev chain committed blocks")
    check(c.kill(0, signal.SIGTERM) == 0, "SIGTERM stops the node cleanly with exit 0")
    c.start(0)
    wait_until(lambda: c.ready(0), "dev chain restarts")
    check(c.result(0, "getHeight") == head, "restart keeps the head")
    for h in hashes:
        check(c.result(0, "getReceipt", {"tx_hash": h}) is not None, "receipt survives restart")
    c.stop_all()


def rpc_errors(c, node):
    before = c.result(node, "getHeight")

    def code(raw=None, method=None, params=None):
        status, body = c.call(node, method, params, raw=raw)
        return body["error"]["code"] if body and "error" in body else None

    check(code(raw=b"{not json") == -32700, "malformed JSON is -32700")
    check(code(raw=b'{"jsonrpc":"2.0","id":1,"method":"getHeight","params":{"a":1.5}}') == -32700,
          "a float is -32700")
    check(code(method="noSuchMethod") == -32601, "unknown method is -32601")
    check(code(method="getReceipt", params={"tx_hash": 5}) == -32602, "wrong type is -32602")
    check(code(method="getBlock", params={"height": "x"}) == -32602, "wrong height type is -32602")
    status, body = c.call(node, None, raw=b"[]")
    check(body["error"]["code"] == -32600, "empty batch is -32600")
    status, body = c.call(node, None, raw=b'[{"jsonrpc":"2.0","id":1,"method":"getHeight"},'
                                           b'{"jsonrpc":"2.0","method":"getHeight"},'
                                           b'{"jsonrpc":"2.0","id":2,"method":"nope"}]')
    check(isinstance(body, list) and len(body) == 2 and body[1]["error"]["code"] == -32601, "mixed batch")
    status, body = c.call(node, None, raw=b'{"jsonrpc":"2.0","method":"getHeight"}')
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
    stranger = ref.sign_envelope(c.bank_keys["WEBANK"]["secret_key"], stranger)
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
    forged["sig"] = ref.sign_envelope(c.bank_keys["WEBANK"]["secret_key"], honest)["sig"]
    r = c.submit(node, forged, wait=False)
    check("error" in r and r["error"]["data"]["reason"] == "BAD_SIGNATURE",
          "same tx_hash with a forged sig is refused: %s" % r)
    check("methods" in c.result(node, "rpc.discover"), "rpc.discover returns OpenRPC")
    names = {m["name"] for m in c.result(node, "rpc.discover")["methods"]}
    check({"getCycle", "getCycleReport", "listInstructions"} <= names, "settlement queries are discoverable")
    cycle = c.result(node, "getCycle")
    check(cycle["status"] == "OPEN" and cycle["current"], "getCycle answers the open cycle: %s" % cycle)
    check(c.result(node, "listInstructions", {"status": "PENDING"})["count"] == 0, "no instructions yet")
    check(code(method="listInstructions", params={"status": "BOGUS"}) == -32602, "unknown status is -32602")


def four_validators(root):
    c = Cluster(root, 4)
    for i in range(4):
        c.start(i)
    wait_until(lambda: all(c.ready(i) for i in range(4)), "4 validators ready")
    ws = WebSocket(c.rpc[1])
    ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "receipts"}})
    sub = ws.recv()
    check("subscription" in sub.get("result", {}), "subscribe answers with an id: %s" % sub)
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
    wait_until(lambda: len({h["hash"] for h in c.heads(range(4)).values()}) == 1, "restarted backup catches up")

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
    wait_until(lambda: len({json.dumps(h, sort_keys=True) for h in c.heads(range(4)).values()}) == 1,
               "all four agree on head hash and state root")

    # Every acknowledged transaction is on every node with the same receipt.
    for h in acked:
        receipts = {json.dumps(c.result(i, "getReceipt", {"tx_hash": h}), sort_keys=True) for i in range(4)}
        check(len(receipts) == 1 and "null" not in receipts, "receipt %s identical on all nodes" % h[:12])
    proof = c.result(2, "getProof", {"tx_hash": acked[0]})
    check(proof is not None and len(proof["certificate"]["signatures"]) >= 3, "proof carries a quorum certificate")
    status, _ = c.call(0, None, raw=b'{"jsonrpc":"2.0","id":1,"method":"getHeight"}')
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
