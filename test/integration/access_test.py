#!/usr/bin/env python3
"""RPC access control on a real jointcleard (issue 12, "Access"; ADR 0091).

Goal: the RPC server is reachable only from the host by default, and with `rpc.tokens`
configured every call needs a listed bearer token and a bank's token can submit only as that
bank, with the errors docs/rpc.md names (HTTP 401 / -32008 UNAUTHORIZED, -32009 FORBIDDEN).
Method: a 1-validator consortium from `jointclear init`; (1) with the config as init writes it,
the RPC port answers on 127.0.0.1 and refuses connections on every non-loopback address of this
host; (2) the config gets two tokens (WEBANK, HUARUI) and the node is restarted; requests are
made without a token, with a wrong one, with a malformed header, and with each bank's token
submitting its own and the other bank's transactions; probes stay open; a WebSocket upgrade
without a token is refused; a token for a bank outside genesis stops the node at start;
(3) a second consortium from `jointclear init --rpc-tls` with tokens (ADR 0094, 0095): https and
wss with Python's ssl module verifying the consortium CA and the host, the `jointclear` CLI
(call, tx submit, cluster status) over https with --cacert/--token-file, plain HTTP to the TLS
port answered 400, the wrong CA refused by the CLI, and the read policy: a bank's token reads its
own positions, transactions and events and is refused (-32009) another bank's, full blocks,
every bank's receipts and the whole-ledger digest; the auditor's token (ADR 0097) reads every
bank's positions, loans, transactions and events, is refused the whole-ledger reads, every
submission (also in a batch) and other connections' subscriptions, while a bank's token is still
refused another bank's records.

Usage: access_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
"""
import base64
import hashlib
import json
import os
import resource
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jcproc  # noqa: E402
from jcproc import wait_until  # noqa: E402

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
FAILURES = []
CHECKS = 0


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def post(url, body, token=None, header=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    if header is not None:
        headers["Authorization"] = header
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def post_tls(url, body, ctx, token=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20, context=ctx) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Wss:
    """A minimal WebSocket client over ssl (RFC 6455 text frames), enough for JSON-RPC."""

    def __init__(self, host, port, ctx, token, server_hostname):
        raw = socket.create_connection((host, port), timeout=20)
        self.s = ctx.wrap_socket(raw, server_hostname=server_hostname)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                        % (server_hostname, key, token)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise OSError("closed during the upgrade")
            head += chunk
        self.status = head.split(b"\r\n", 1)[0]

    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise OSError("closed")
            out += chunk
        return out

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        b0, b1 = self._recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._recv_exact(8))[0]
        return json.loads(self._recv_exact(n))

    def close(self):
        self.s.close()


def tls_phase(root, c_args):
    """Phase (3): a consortium made with --rpc-tls, tokens on, everything over https/wss."""
    c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, 1, banks=("WEBANK", "HUARUI", "ZHAOLIAN"),
                       init_args=("--rpc-tls",), name="tls")
    try:
        cfg = c.config(0)
        check(cfg["rpc"].get("tls") == {"cert": "rpc_tls.crt", "key": "rpc_tls.key"},
              "init --rpc-tls writes rpc.tls: %s" % cfg["rpc"])
        check(oct(os.stat(os.path.join(c.node_dir(0), "rpc_tls.key")).st_mode & 0o777) == "0o600",
              "the RPC key is mode 0600")
        tokens = {"WEBANK": os.urandom(32).hex(), "HUARUI": os.urandom(32).hex(), "ZHAOLIAN": os.urandom(32).hex()}
        cfg["rpc"]["tokens"] = [{"bank": b, "sha256": hashlib.sha256(t.encode()).hexdigest()}
                                for b, t in tokens.items()]
        auditor = os.urandom(32).hex()  # ADR 0097: reads what any bank may read, submits nothing
        cfg["rpc"]["tokens"].append({"role": "auditor", "sha256": hashlib.sha256(auditor.encode()).hexdigest()})
        c.write_config(0, cfg)
        token_files = {}
        for b, t in tokens.items():
            token_files[b] = os.path.join(root, b + ".token")
            with open(token_files[b], "w") as f:
                f.write(t + "\n")
        ca = os.path.join(c.dir, "ca.crt")
        ctx = ssl.create_default_context(cafile=ca)  # verifies the chain and the host name/IP
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        port = int(cfg["rpc"]["listen"].rsplit(":", 1)[1])
        url = "https://127.0.0.1:%d" % port
        check(c.rpc[0] == url, "the consortium's RPC URL is https: %s" % c.rpc[0])
        c.start(0)

        def ready():
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2, context=ctx) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError):
                return False
        check(wait_until(ready, 30), "node ready over https")
        with urllib.request.urlopen("https://localhost:%d/metrics" % port, timeout=5, context=ctx) as r:
            text = r.read().decode()
            check("jointclear_rpc_tls_handshakes_total" in text, "/metrics over https by the DNS name localhost")
        # Plain HTTP to the TLS port: a readable refusal, not a hang or garbage.
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5)
            check(False, "plain HTTP to the TLS port is refused")
        except urllib.error.HTTPError as e:
            check(e.code == 400 and b"https://" in e.read(), "plain HTTP to the TLS port: 400 naming https")
        # Python's ssl refuses the server without the consortium CA.
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5, context=ssl.create_default_context())
            check(False, "a client without the consortium CA refuses the server")
        except urllib.error.URLError as e:
            check("CERTIFICATE_VERIFY_FAILED" in str(e), "system trust store: certificate verify failed (%s)" % e)

        def cli(*args, env_token=None):
            env = dict(os.environ)
            env.pop("JOINTCLEAR_RPC_TOKEN", None)
            if env_token:
                env["JOINTCLEAR_RPC_TOKEN"] = env_token
            return subprocess.run([JOINTCLEAR, *args], capture_output=True, text=True, timeout=60, env=env)
        r = cli("call", "--rpc", url, "--cacert", ca, "--token-file", token_files["WEBANK"], "--json",
                "getPositions", '{"bank_id":"WEBANK"}')
        check(r.returncode == 0 and json.loads(r.stdout)["bank_id"] == "WEBANK",
              "CLI call over https with --cacert and --token-file: %s %s" % (r.returncode, r.stderr))
        r = cli("call", "--rpc", url, "--token-file", token_files["WEBANK"], "getHeight")
        check(r.returncode != 0 and "certificate verify failed" in r.stderr,
              "CLI without --cacert refuses the server: %s" % r.stderr.strip())
        r = cli("call", "--rpc", url, "--cacert", os.path.join(root, "c1", "ca.crt"), "--token-file",
                token_files["WEBANK"], "getHeight")
        check(r.returncode == 4 and "TLS handshake failed" in r.stderr,
              "CLI with another consortium's CA refuses the server: %s" % r.stderr.strip())
        r = cli("call", "--rpc", url, "--cacert", ca, "--token-file", token_files["WEBANK"], "getPositions",
                '{"bank_id":"HUARUI"}')
        check(r.returncode != 0 and "FORBIDDEN" in r.stderr, "CLI: WEBANK's token cannot read HUARUI's positions: %s"
              % r.stderr.strip())
        r = cli("tx", "submit", "--rpc", url, "--cacert", ca, "--token-file", token_files["WEBANK"],
                "--key", os.path.join(c.dir, "banks", "WEBANK.json"), "--type", "partnership.propose",
                "--body", '{"partnership_id":"T-1"}', "--wait", "--json")
        check(r.returncode in (0, 3) and json.loads(r.stdout).get("height", 0) >= 1,
              "CLI tx submit --wait over https: %s %s" % (r.returncode, r.stdout + r.stderr))
        r = cli("call", "--cluster", c.dir, "--json", "getNodeStatus", env_token=tokens["HUARUI"])
        check(r.returncode == 0 and json.loads(r.stdout)["height"] >= 1,
              "CLI --cluster over https (the consortium CA, the token from the environment): %s"
              % (r.stdout + r.stderr)[:300])

        def rpc(method, params, token):
            return post_tls(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, ctx, token)[1]

        def forbidden(body):
            return body.get("error", {}).get("code") == -32009 and body["error"]["data"]["reason"] == "FORBIDDEN"
        # The read policy (ADR 0095).
        check("result" in rpc("getPositions", {"bank_id": "WEBANK"}, tokens["WEBANK"]), "own positions")
        check(rpc("getPositions", {}, tokens["HUARUI"]).get("result", {}).get("bank_id") == "HUARUI",
              "getPositions without bank_id answers for the token's bank")
        check(forbidden(rpc("getPositions", {"bank_id": "HUARUI"}, tokens["WEBANK"])),
              "WEBANK's token reading HUARUI's positions: FORBIDDEN")
        check(forbidden(rpc("getInvariantDigest", {}, tokens["WEBANK"])), "whole-ledger digest: FORBIDDEN to a token")
        check("result" in rpc("getBlock", {"height": 1}, tokens["WEBANK"]), "block headers are consortium-wide")
        check(forbidden(rpc("getBlock", {"height": 1, "full": True}, tokens["WEBANK"])), "full blocks: FORBIDDEN")
        for m in ("getHeight", "getNodeStatus", "getValidators", "getMembers"):
            check("result" in rpc(m, {}, tokens["HUARUI"]), "%s is consortium-wide" % m)
        tx = c.sign("HUARUI", "partnership.propose", {"partnership_id": "T-2"})
        status, body = post_tls(url, {"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                      "params": {"tx": tx, "wait": True}}, ctx, tokens["HUARUI"])
        h = body.get("result", {}).get("tx_hash")
        check(status == 200 and h, "HUARUI submits over https: %s" % body)
        check(rpc("getTransaction", {"tx_hash": h}, tokens["HUARUI"]).get("result", {}).get("height", 0) >= 1,
              "a bank reads its own transaction")
        check(forbidden(rpc("getTransaction", {"tx_hash": h}, tokens["WEBANK"])), "another bank's transaction: FORBIDDEN")
        check(forbidden(rpc("getReceipt", {"tx_hash": h}, tokens["WEBANK"])), "another bank's receipt: FORBIDDEN")

        # The auditor's token (ADR 0097), next to a joint loan of WEBANK and HUARUI that
        # ZHAOLIAN is not party to.
        loan = joint_loan(c, url, ctx, tokens)
        check("result" in rpc("getLoan", {"loan_id": loan}, tokens["HUARUI"]), "a party reads its loan")
        check(forbidden(rpc("getLoan", {"loan_id": loan}, tokens["ZHAOLIAN"])),
              "a bank's token is still refused another banks' loan (FORBIDDEN)")
        check(forbidden(rpc("getPositions", {"bank_id": "WEBANK"}, tokens["ZHAOLIAN"])),
              "a bank's token is still refused another bank's positions (FORBIDDEN)")
        got = rpc("getLoan", {"loan_id": loan}, auditor).get("result") or {}
        check(got.get("loan_id") == loan, "the auditor reads a loan it is not party to: %s" % str(got)[:200])
        check("result" in rpc("getLoanStatement", {"loan_id": loan}, auditor), "the auditor reads its statement")
        events = (rpc("getLoanStatement", {"loan_id": loan}, tokens["HUARUI"]).get("result") or {}).get("events") or [{}]
        event_id = events[0].get("event_id", "")
        check(rpc("getEvent", {"event_id": event_id}, tokens["HUARUI"]).get("result") == events[0],
              "a party reads an event of its loan: %s" % event_id)
        check(forbidden(rpc("getEvent", {"event_id": event_id}, tokens["ZHAOLIAN"])),
              "a bank's token is refused an event of another banks' loan (FORBIDDEN)")
        for b in ("WEBANK", "HUARUI", "ZHAOLIAN"):
            got = rpc("getPositions", {"bank_id": b}, auditor).get("result") or {}
            check(got.get("bank_id") == b, "the auditor reads %s's positions" % b)
        r = rpc("getPositions", {}, auditor)
        check(forbidden(r) and "bank_id" in r["error"]["message"],
              "the auditor names the bank (getPositions without bank_id: FORBIDDEN): %s" % r.get("error"))
        check(rpc("getTransaction", {"tx_hash": h}, auditor).get("result", {}).get("height", 0) >= 1,
              "the auditor reads HUARUI's transaction")
        check(rpc("getReceipt", {"tx_hash": h}, auditor).get("result", {}).get("tx_hash") == h,
              "the auditor reads HUARUI's receipt")
        check("result" in rpc("getPartnership", {"partnership_id": "P-AUD"}, auditor), "the auditor reads a partnership")
        for m in ("getHeight", "getNodeStatus", "getValidators", "getMembers"):
            check("result" in rpc(m, {}, auditor), "%s is open to the auditor" % m)
        check(forbidden(rpc("getInvariantDigest", {}, auditor)), "whole-ledger digest: FORBIDDEN to the auditor")
        check(forbidden(rpc("getBlock", {"height": 1, "full": True}, auditor)),
              "full blocks: FORBIDDEN to the auditor (no bank's token reads them)")
        tx = c.sign("WEBANK", "partnership.propose", {"partnership_id": "T-AUD"})
        r = rpc("submitTransaction", {"tx": tx, "wait": True}, auditor)
        check(forbidden(r) and "cannot submit" in r["error"]["message"],
              "the auditor's token submits nothing (FORBIDDEN): %s" % r.get("error"))
        r = post_tls(url, [{"jsonrpc": "2.0", "id": 1, "method": "getHeight", "params": {}},
                           {"jsonrpc": "2.0", "id": 2, "method": "submitTransaction", "params": {"tx": tx}}],
                     ctx, auditor)[1]
        check(isinstance(r, list) and "result" in r[0] and forbidden(r[1]),
              "the auditor's submission inside a batch: FORBIDDEN: %s" % str(r)[:200])
        check(rpc("getReceipt", {"tx_hash": hashlib.sha256(jcproc.ref.signing_bytes(tx)).hexdigest()},
                  tokens["WEBANK"]).get("result", 1) is None, "and nothing of it reached the ledger")
        discover = rpc("rpc.discover", {}, auditor).get("result", {})
        rules = {m["name"]: m.get("x-auditor-access") for m in discover.get("methods", [])}
        check(rules.get("getPositions") == "any-bank" and rules.get("getInvariantDigest") == "refused" and
              rules.get("getHeight") == "open" and rules.get("submitTransaction") == "checked",
              "rpc.discover states the auditor's access per method: %s" % {k: rules.get(k) for k in
                                                                         ("getPositions", "getInvariantDigest")})

        # wss: subscriptions with the read policy, and a notification for the bank's own event.
        ws = Wss("127.0.0.1", port, ctx, tokens["WEBANK"], "127.0.0.1")
        try:
            check(ws.status.startswith(b"HTTP/1.1 101"), "wss upgrade with a token: %s" % ws.status)
            ws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "receipts"}})
            check(forbidden(ws.recv()), "wss: every bank's receipts FORBIDDEN to a token")
            ws.send({"jsonrpc": "2.0", "id": 2, "method": "subscribe",
                     "params": {"topic": "bank_events", "bank_id": "HUARUI"}})
            check(forbidden(ws.recv()), "wss: another bank's events FORBIDDEN")
            ws.send({"jsonrpc": "2.0", "id": 3, "method": "subscribe",
                     "params": {"topic": "bank_events", "bank_id": "WEBANK"}})
            sub = ws.recv().get("result", {}).get("subscription")
            check(sub is not None, "wss: subscribe to own bank_events")
            tx = c.sign("WEBANK", "partnership.propose", {"partnership_id": "T-3"})
            status, body = post_tls(url, {"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                          "params": {"tx": tx}}, ctx, tokens["WEBANK"])
            note = ws.recv()
            check(note.get("method") == "subscription" and note["params"]["subscription"] == sub and
                  note["params"]["result"]["tx_hash"] == body.get("result", {}).get("tx_hash"),
                  "wss: the bank's own receipt arrives: %s" % note)
            # The auditor over wss: any bank's events, not every bank's receipts, and only its own
            # subscriptions to end.
            aws = Wss("127.0.0.1", port, ctx, auditor, "127.0.0.1")
            try:
                aws.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "receipts"}})
                check(forbidden(aws.recv()), "wss: every bank's receipts FORBIDDEN to the auditor")
                aws.send({"jsonrpc": "2.0", "id": 2, "method": "subscribe",
                          "params": {"topic": "bank_events", "bank_id": "HUARUI"}})
                asub = aws.recv().get("result", {}).get("subscription")
                check(asub is not None, "wss: the auditor subscribes to HUARUI's events")
                aws.send({"jsonrpc": "2.0", "id": 3, "method": "unsubscribe", "params": {"subscription": sub}})
                check(aws.recv().get("result") is False, "wss: the auditor cannot end WEBANK's subscription")
                aws.send({"jsonrpc": "2.0", "id": 4, "method": "unsubscribe", "params": {"subscription": asub}})
                check(aws.recv().get("result") is True, "wss: the auditor ends its own subscription")
            finally:
                aws.close()
            # WEBANK's subscription survived the auditor's attempt.
            tx = c.sign("WEBANK", "partnership.propose", {"partnership_id": "T-4"})
            status, body = post_tls(url, {"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                          "params": {"tx": tx}}, ctx, tokens["WEBANK"])
            note = ws.recv()
            check(note.get("method") == "subscription" and note["params"]["subscription"] == sub,
                  "wss: WEBANK's subscription still delivers: %s" % str(note)[:200])
        finally:
            ws.close()
        c.kill(0, 15)
        # A certificate/key mismatch stops the start with one precise line.
        cfg = c.config(0)
        cfg["rpc"]["tls"]["key"] = "tls.key"  # the p2p key: valid, but not the RPC certificate's
        c.write_config(0, cfg)
        c.start(0)
        code = c.procs.pop(0).wait(timeout=30)
        check(code == 1 and "rpc.tls.key" in c.log_tail(0, 3) and "is not the private key of" in c.log_tail(0, 3),
              "a mismatched rpc.tls.key stops the start: %s" % c.log_tail(0, 2))
    finally:
        c.close()


def joint_loan(c, url, ctx, tokens):
    """A FRONTED partnership WEBANK -> HUARUI and one 30/70 joint loan under it; returns its id."""
    terms = {"partnership_id": "P-AUD", "servicer_bank": "WEBANK", "partner_bank": "HUARUI",
             "agreement_ref": hashlib.sha256(b"P-AUD").hexdigest(), "funding_mode": "FRONTED",
             "min_tranche_share_bps": 3000, "max_outstanding_principal": "100000000000000",
             "fronting_limit": "100000000000000", "collection_limit": "100000000000000",
             "service_fee_bps": 1250, "fee_base": "INTEREST_AND_PENALTY", "require_partner_acceptance": False}
    loan = {"loan_id": "L-AUD", "product_code": "CONSUMER", "borrower_ref": hashlib.sha256(b"aud").hexdigest(),
            "principal": "1000000", "currency": "CNY", "value_date": "2024-01-15", "rate_ppb": "500000",
            "basis": "DAILY", "interest_method": "ACTUAL_DAYS", "penalty_rate_ppb": "750000",
            "penalty_mode": "REPLACE", "schedule": {"type": "EQUAL_PRINCIPAL", "n": 12, "first_due_date": "2024-02-15"},
            "prepay_mode": "SHORTEN",
            "tranches": [{"bank_id": "WEBANK", "share_bps": 3000},
                         {"bank_id": "HUARUI", "share_bps": 7000, "partnership_id": "P-AUD"}],
            "disbursement": {"channel_ref": "D-L-AUD", "mode": "FRONTED"}}
    for bank, tx_type, body in (("WEBANK", "partnership.propose", terms),
                                ("HUARUI", "partnership.accept", {"partnership_id": "P-AUD"}),
                                ("WEBANK", "loan.originate", loan)):
        status, r = post_tls(url, {"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                   "params": {"tx": c.sign(bank, tx_type, body), "wait": True}}, ctx, tokens[bank])
        check(r.get("result", {}).get("status") == "OK", "setup %s: %s" % (tx_type, str(r)[:300]))
    return "L-AUD"


def non_loopback_addresses():
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return [a for a in out if ":" not in a and not a.startswith("127.")]


def main():
    jcproc.init_reference(REFERENCE)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jc-access-") as root:
        c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, 1, banks=("WEBANK", "HUARUI"))
        try:
            listen = c.config(0)["rpc"]["listen"]
            check(listen.startswith("127.0.0.1:"), "init writes a loopback RPC address: %s" % listen)
            port = int(listen.rsplit(":", 1)[1])
            c.start(0)
            check(wait_until(lambda: c.ready(0), 30), "node ready")
            call = {"jsonrpc": "2.0", "id": 1, "method": "getHeight", "params": {}}
            check(post(c.rpc[0], call)[0] == 200, "no tokens configured: calls need none")
            others = non_loopback_addresses()
            for address in others:
                with socket.socket() as s:
                    s.settimeout(2)
                    check(s.connect_ex((address, port)) != 0, "RPC port not reachable on %s" % address)
            print("loopback only: refused on %s" % (others or "(no other address on this host)"), flush=True)
            c.kill(0, 15)

            tokens = {"WEBANK": os.urandom(32).hex(), "HUARUI": os.urandom(32).hex()}
            cfg = c.config(0)
            cfg["rpc"]["tokens"] = [{"bank": b, "sha256": hashlib.sha256(t.encode()).hexdigest()}
                                    for b, t in tokens.items()]
            c.write_config(0, cfg)
            c.start(0)
            check(wait_until(lambda: c.ready(0), 30), "node with tokens ready (probes need no token)")
            url = c.rpc[0]
            status, body = post(url, call)
            check(status == 401 and body["error"]["code"] == -32008 and
                  body["error"]["data"]["reason"] == "UNAUTHORIZED", "no token: 401 UNAUTHORIZED (%s %s)" % (status, body))
            status, body = post(url, call, token="f" * 64)
            check(status == 401 and body["error"]["code"] == -32008, "unknown token: 401")
            status, body = post(url, call, header="Basic " + tokens["WEBANK"])
            check(status == 401, "another scheme: 401")
            status, body = post(url, call, header="Bearer " + tokens["WEBANK"] + "x")
            check(status == 401, "a token with trailing junk: 401")
            status, body = post(url, call, token=tokens["WEBANK"])
            check(status == 200 and "result" in body, "a listed token reads")

            def submit(token, bank, k):
                tx = c.sign(bank, "partnership.propose", {"partnership_id": "A-%d" % k})
                return post(url, {"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                  "params": {"tx": tx, "wait": True}}, token=token)
            status, body = submit(tokens["WEBANK"], "WEBANK", 1)
            check(status == 200 and "result" in body and body["result"]["status"] in ("OK", "REJECTED"),
                  "WEBANK's token submits as WEBANK: %s" % body)
            status, body = submit(tokens["WEBANK"], "HUARUI", 2)
            check(status == 200 and body.get("error", {}).get("code") == -32009 and
                  body["error"]["data"]["reason"] == "FORBIDDEN", "WEBANK's token cannot submit as HUARUI: %s" % body)
            status, body = submit(tokens["HUARUI"], "HUARUI", 3)
            check("result" in body, "HUARUI's token submits as HUARUI")
            status, body = submit(None, "HUARUI", 4)
            check(status == 401, "submitting without a token: 401")
            # A batch is authenticated once, and each member is checked.
            status, body = post(url, [{"jsonrpc": "2.0", "id": 1, "method": "submitTransaction",
                                       "params": {"tx": c.sign("HUARUI", "partnership.propose", {"partnership_id": "A-5"})}},
                                      {"jsonrpc": "2.0", "id": 2, "method": "getHeight", "params": {}}],
                                token=tokens["WEBANK"])
            check(status == 200 and body[0]["error"]["code"] == -32009 and "result" in body[1],
                  "a batch is checked member by member: %s" % body)
            for probe in ("/healthz", "/readyz", "/metrics"):
                with urllib.request.urlopen(url + probe, timeout=5) as r:
                    check(r.status == 200, "%s needs no token" % probe)
            host, p = url[len("http://"):].split(":")
            for auth in ("", "Authorization: Bearer %s\r\n" % ("0" * 64)):
                with socket.create_connection((host, int(p)), timeout=10) as s:
                    s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
                               % auth).encode())
                    check(s.recv(64).startswith(b"HTTP/1.1 401"), "WebSocket upgrade without a valid token: 401")
            with socket.create_connection((host, int(p)), timeout=10) as s:
                s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                           "Authorization: Bearer %s\r\n\r\n" % tokens["HUARUI"]).encode())
                check(s.recv(64).startswith(b"HTTP/1.1 101"), "WebSocket upgrade with a token: 101")
            c.kill(0, 15)

            cfg["rpc"]["tokens"].append({"bank": "NOBANK", "sha256": "a" * 64})
            c.write_config(0, cfg)
            c.start(0)
            code = c.procs.pop(0).wait(timeout=30)
            check(code == 1 and "NOBANK" in c.log_tail(0, 2), "a token for a bank outside genesis stops the start")

            # An open-file limit that cannot hold the config's sockets beside LevelDB's floor stops the
            # start before anything is written (ADR 0167): this single validator needs 512 RPC clients +
            # 64 inbound p2p + 128 reserved + 148 tables = 852; with 256 RPC clients, 596.
            cfg["rpc"]["tokens"].pop()
            fresh_dir = os.path.join(root, "fd-starved-data")
            cfg["data_dir"] = fresh_dir
            c.write_config(0, cfg)
            low = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (600, 600))
            r = subprocess.run([c.jointcleard, "--config", c.node_dir(0) + "/config.json"], preexec_fn=low,
                               capture_output=True, text=True, timeout=30)
            out = r.stdout + r.stderr
            check(r.returncode == 1 and "open-file limit 600 is below the 852 this node needs" in out and
                  "rpc.connections_max 512" in out, "an open-file limit below the config's needs stops the start: %s"
                  % out.strip()[-400:])
            check(not os.path.exists(fresh_dir), "and leaves no data dir behind")
            cfg["rpc"]["connections_max"] = 256
            c.write_config(0, cfg)
            c.start(0, preexec_fn=low)
            check(wait_until(lambda: c.ready(0), 30), "fewer RPC clients (256) start and serve under the same limit")
            c.kill(0, 15)
        finally:
            c.close()
        tls_phase(root, None)
    print("access: %d checks, %d failed, %.1f s" % (CHECKS, len(FAILURES), time.monotonic() - started))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
