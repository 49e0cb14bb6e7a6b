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
without a token is refused; a token for a bank outside genesis stops the node at start.

Usage: access_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
"""
import hashlib
import json
import os
import socket
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
        finally:
            c.close()
    print("access: %d checks, %d failed, %.1f s" % (CHECKS, len(FAILURES), time.monotonic() - started))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
