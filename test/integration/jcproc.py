"""Shared helpers for the real-process tests (fault_test.py, disk_fault_test.py, ...).

What: a `Cluster` that makes a consortium with `jointclear init` in a temp dir, starts, kills,
pauses and restarts `jointcleard` processes, talks JSON-RPC to them (single calls and batches),
and signs envelopes; a `LinkProxy` that sits on one p2p link and can cut it; `wait_until`, which
polls a condition against a deadline (no fixed sleeps); `Load`, loader threads submitting a
seeded money-moving mix of signed transactions (after `setup_money` made partnerships and base
loans), and `Monitor`, which watches every node's head for a height going down or a fork
(fault_test.py and byzantine_test.py share both).

Signing: scripts/protocol_reference.py is the executable spec of the envelope signature, but its
affine secp256k1 arithmetic costs ~100 ms a signature, too slow for steady load. `fast_sign`
computes the same RFC 6979 signature with Jacobian coordinates and a precomputed table of 2^i·G,
and is checked against the reference at import, so a drift fails loudly rather than silently.

Thread-safety: Cluster.call/submit/sign may run from several threads (urllib per call, a
thread-safe counter); start/kill/pause belong to one controlling thread.
"""
import hashlib
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

ref = None  # protocol_reference, set by init_reference()

P = 2 ** 256 - 2 ** 32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8


def _jac_double(p):
    x, y, z = p
    if y == 0:
        return (0, 1, 0)
    s = 4 * x * y * y % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * pow(y, 4, P)) % P
    nz = 2 * y * z % P
    return (nx, ny, nz)


def _jac_add_affine(p, q):
    """p Jacobian, q affine (x, y); returns Jacobian."""
    x1, y1, z1 = p
    if z1 == 0:
        return (q[0], q[1], 1)
    z1z1 = z1 * z1 % P
    u2 = q[0] * z1z1 % P
    s2 = q[1] * z1 * z1z1 % P
    h = (u2 - x1) % P
    r = (s2 - y1) % P
    if h == 0:
        return _jac_double(p) if r == 0 else (0, 1, 0)
    hh = h * h % P
    hhh = h * hh % P
    v = x1 * hh % P
    nx = (r * r - hhh - 2 * v) % P
    ny = (r * (v - nx) - y1 * hhh) % P
    nz = z1 * h % P
    return (nx, ny, nz)


def _to_affine(p):
    x, y, z = p
    zi = pow(z, -1, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def _table():
    table, point = [], (GX, GY, 1)
    for _ in range(256):
        table.append(_to_affine(point))
        point = _jac_double(point)
    return table


_G_TABLE = _table()


def _mul_g(k):
    acc = (0, 1, 0)
    i = 0
    while k:
        if k & 1:
            acc = _jac_add_affine(acc, _G_TABLE[i])
        k >>= 1
        i += 1
    return _to_affine(acc)


def _compress(point):
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, "big")


def fast_sign(secret_hex, unsigned):
    """Same output as protocol_reference.sign_envelope (RFC 6979, low-S, recovery id)."""
    secret = int(secret_hex, 16)
    envelope = dict(unsigned)
    envelope["signer"] = _compress(_mul_g(secret)).hex()
    envelope.pop("sig", None)
    digest = hashlib.sha256(ref.signing_bytes(envelope)).digest()
    z = int.from_bytes(digest, "big")
    for nonce in ref.rfc6979_nonces(secret, digest):
        rp = _mul_g(nonce)
        r = rp[0] % N
        if r == 0:
            continue
        s = pow(nonce, -1, N) * (z + r * secret) % N
        if s == 0:
            continue
        recid = rp[1] & 1
        if s > N // 2:
            s, recid = N - s, recid ^ 1
        envelope["sig"] = (r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recid])).hex()
        return envelope
    raise AssertionError("unreachable: RFC 6979 yields a valid nonce")


def init_reference(reference_py):
    """Imports scripts/protocol_reference.py and checks fast_sign against it once."""
    global ref
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(reference_py)))
    import protocol_reference
    ref = protocol_reference
    probe = {"chain_id": "probe", "type": "partnership.propose", "sender": "X", "client_ref": "probe",
             "body": {"partnership_id": "P"}}
    secret = ref.EXAMPLE["secret"]
    assert fast_sign(secret, probe) == ref.sign_envelope(secret, probe), "fast_sign drifted from the reference"


def wait_until(cond, deadline_s=30.0, interval_s=0.05):
    """Polls cond() until it is truthy or the deadline passes; returns the last value."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            value = cond()
            if value:
                return value
        except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError):
            value = None
        if time.monotonic() >= end:
            return value
        time.sleep(interval_s)


def quiet_base_port(count, low_bound=10000):
    """The first of `count` consecutive free loopback ports below the kernel's ephemeral range.

    `jointclear init` otherwise picks ports by binding port 0 and letting them go. Until the
    nodes bind them, any bind(0) or connect() on the machine (another test's init, a link proxy,
    a client) can be handed one of them, and the node that needs it exits with "Address already
    in use" (issue 12: one CI run of node_faults did not start). The kernel never hands out a
    port below ip_local_port_range that way, so only a process naming the port can collide: a
    candidate run is taken only if every port binds. None if no run is found.
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    if ephemeral_low - count <= low_bound:
        return None
    rng = random.SystemRandom()
    for _ in range(100):
        base = rng.randrange(low_bound, ephemeral_low - count)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LinkProxy:
    """A TCP relay for one p2p link (dialler → listener), with a switch to cut it.

    cut(): closes every relayed connection and refuses new ones (accept, then close at once), so
    both ends see the link die, as after a cable pull or a firewall rule with RST. heal() lets
    new connections through again; the node's own reconnect logic re-dials. Bytes relayed are
    counted (the test bounds its traffic).
    """

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.is_cut = False
        self.bytes = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                cut = self.is_cut
            if cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                with self.lock:
                    self.bytes += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        with self.lock:
            self.conns = [c for c in self.conns if c not in (src, dst)]

    def cut(self):
        with self.lock:
            self.is_cut = True
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def heal(self):
        with self.lock:
            self.is_cut = False

    def close(self):
        self.closed = True
        self.cut()
        self.listener.close()


class Cluster:
    """A consortium in `root`, made by `jointclear init`, its validators run as processes."""

    def __init__(self, jointclear, jointcleard, root, validators, banks=("WEBANK", "HUARUI"), proxied=False,
                 init_args=(), name=None):
        self.jointcleard = jointcleard
        self.dir = os.path.join(root, name or "c%d" % validators)
        if not any(a in init_args for a in ("--base-port", "--p2p-port")):
            base = quiet_base_port(2 * validators)
            if base is not None:
                init_args = ("--base-port", str(base), *init_args)
        subprocess.run([jointclear, "init", "--out", self.dir, "--validators", str(validators),
                        "--banks", ",".join(banks), *init_args],
                       check=True, stdout=subprocess.DEVNULL)
        self.n = validators
        self.procs = {}
        self.paused = set()
        self.genesis = json.load(open(os.path.join(self.dir, "genesis.json")))
        self.bank_keys = {b: json.load(open(os.path.join(self.dir, "banks", b + ".json"))) for b in banks}
        self.rpc = []
        self.p2p_port = []
        for i in range(validators):
            cfg = self.config(i)
            self.rpc.append(("https://" if "tls" in cfg["rpc"] else "http://") + cfg["rpc"]["listen"])
            self.p2p_port.append(int(cfg["p2p"]["listen"].rsplit(":", 1)[1]))
        self.counter = itertools.count(1)
        self.proxies = {}
        if proxied:
            # Node i dials every j > i (p2p/transport.h): route each such link through its own
            # proxy, so a test can cut exactly the links of one validator.
            # Where the nodes' ports came from bind(0) (no quiet run below the ephemeral range
            # was found), a proxy's own port 0 can come back as one of them; such a proxy would
            # hold a port a node must listen on. Draw again until none does.
            node_ports = set(self.p2p_port) | {int(url.rsplit(":", 1)[1]) for url in self.rpc}
            for i in range(validators):
                for j in range(i + 1, validators):
                    proxy = LinkProxy(self.p2p_port[j])
                    while proxy.port in node_ports:
                        spare = proxy
                        proxy = LinkProxy(self.p2p_port[j])
                        spare.close()
                    self.proxies[(i, j)] = proxy
                cfg = self.config(i)
                cfg["p2p"]["peer_addresses"] = {str(j): "127.0.0.1:%d" % self.proxies[(i, j)].port
                                                for j in range(i + 1, validators)}
                self.write_config(i, cfg)

    def node_dir(self, i):
        return os.path.join(self.dir, "node%d" % i)

    def config(self, i):
        return json.load(open(self.node_dir(i) + "/config.json"))

    def write_config(self, i, cfg):
        with open(self.node_dir(i) + "/config.json", "w") as f:
            json.dump(cfg, f, indent=2)

    def start(self, i, extra_args=(), preexec_fn=None):
        log = open(self.node_dir(i) + "/node.log", "ab")
        self.procs[i] = subprocess.Popen([self.jointcleard, "--config", self.node_dir(i) + "/config.json",
                                          *extra_args], stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        self.paused.discard(i)

    def kill(self, i, sig=signal.SIGKILL, timeout=30):
        p = self.procs.pop(i)
        if i in self.paused:
            p.send_signal(signal.SIGCONT)
            self.paused.discard(i)
        p.send_signal(sig)
        return p.wait(timeout=timeout)

    def pause(self, i):
        self.procs[i].send_signal(signal.SIGSTOP)
        self.paused.add(i)

    def resume(self, i):
        self.procs[i].send_signal(signal.SIGCONT)
        self.paused.discard(i)

    def exited_unexpectedly(self):
        """{index: exit code} of processes that died without the test killing them."""
        return {i: p.returncode for i, p in self.procs.items() if p.poll() is not None}

    def stop_all(self):
        for i in list(self.procs):
            try:
                self.kill(i, signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.kill(i, signal.SIGKILL)

    def close(self):
        for i in list(self.procs):
            try:
                self.kill(i, signal.SIGKILL)
            except (OSError, subprocess.TimeoutExpired, KeyError):
                pass
        for p in self.proxies.values():
            p.close()

    def post(self, i, body, timeout=30):
        req = urllib.request.Request(self.rpc[i], data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def call(self, i, method, params=None, timeout=30):
        return self.post(i, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                        "params": params or {}}).encode(), timeout)

    def result(self, i, method, params=None, timeout=30):
        status, body = self.call(i, method, params, timeout)
        if body is None or "result" not in body:
            raise ValueError("%s on node %d: %s" % (method, i, body))
        return body["result"]

    def batch(self, i, calls, timeout=60):
        """Runs [(method, params)] as JSON-RPC batches of at most 100; returns the results in order."""
        out = []
        for start in range(0, len(calls), 100):
            chunk = calls[start:start + 100]
            body = json.dumps([{"jsonrpc": "2.0", "id": k, "method": m, "params": p}
                               for k, (m, p) in enumerate(chunk)]).encode()
            status, answers = self.post(i, body, timeout)
            by_id = {a["id"]: a for a in answers}
            for k in range(len(chunk)):
                if "result" not in by_id[k]:
                    raise ValueError("batch call %s on node %d: %s" % (chunk[k][0], i, by_id[k]))
                out.append(by_id[k]["result"])
        return out

    def ready(self, i):
        try:
            with urllib.request.urlopen(self.rpc[i] + "/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def sign(self, bank, tx_type, body, chain_id=None, client_ref=None):
        unsigned = {"chain_id": chain_id or self.genesis["chain_id"], "type": tx_type, "sender": bank,
                    "client_ref": client_ref or "FT-%d-%d" % (os.getpid(), next(self.counter)), "body": body}
        return fast_sign(self.bank_keys[bank]["secret_key"], unsigned)

    def metrics(self, i):
        """{name{labels}: value} of node i's /metrics."""
        with urllib.request.urlopen(self.rpc[i] + "/metrics", timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = int(float(value))
        return out

    def submit(self, i, tx, wait=True, timeout_ms=20000):
        return self.call(i, "submitTransaction", {"tx": tx, "wait": wait, "timeout_ms": timeout_ms},
                         timeout=timeout_ms / 1000 + 5)[1]

    def log_tail(self, i, lines=20):
        try:
            with open(self.node_dir(i) + "/node.log", "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# Steady signed load and a head monitor, shared by fault_test.py and byzantine_test.py.

def loan_body(loan_id, servicer, partner, partnership, principal, borrower_tag="fault"):
    """A 12-instalment FRONTED loan split 30/70 (the bench's shape, tools/src/bench_workload.cc)."""
    return {"loan_id": loan_id, "product_code": "CONSUMER",
            "borrower_ref": hashlib.sha256(("%s borrower %s" % (borrower_tag, loan_id)).encode()).hexdigest(),
            "principal": str(principal), "currency": "CNY", "value_date": "2024-01-15", "rate_ppb": "500000",
            "basis": "DAILY", "interest_method": "ACTUAL_DAYS", "penalty_rate_ppb": "750000",
            "penalty_mode": "REPLACE",
            "schedule": {"type": "EQUAL_PRINCIPAL", "n": 12, "first_due_date": "2024-02-15"},
            "prepay_mode": "SHORTEN",
            "tranches": [{"bank_id": servicer, "share_bps": 3000},
                         {"bank_id": partner, "share_bps": 7000, "partnership_id": partnership}],
            "disbursement": {"channel_ref": "D-" + loan_id, "mode": "FRONTED"}}


def setup_money(c, node, fail, tag="FT", base_loans=6, borrower_tag="fault"):
    """Partnerships between the banks and base loans, so the load moves money between banks.

    Submits through `node`; every step must commit OK (else `fail(what)`). Returns (deals,
    loans): [(servicer, partner, partnership_id)] and [(servicer, loan_id)] of the base loans.
    """
    banks = list(c.bank_keys)
    deals, loans = [], []
    for i, b in enumerate(banks):
        partner = banks[(i + 1) % len(banks)]
        pid = "P-%s-%d" % (tag, i)
        terms = {"partnership_id": pid, "servicer_bank": b, "partner_bank": partner,
                 "agreement_ref": hashlib.sha256(pid.encode()).hexdigest(), "funding_mode": "FRONTED",
                 "min_tranche_share_bps": 3000, "max_outstanding_principal": "100000000000000",
                 "fronting_limit": "100000000000000", "collection_limit": "100000000000000",
                 "service_fee_bps": 1250, "fee_base": "INTEREST_AND_PENALTY", "require_partner_acceptance": False}
        deals.append((b, partner, pid))
        for bank, tx_type, body in ((b, "partnership.propose", terms),
                                    (partner, "partnership.accept", {"partnership_id": pid})):
            r = c.submit(node, c.sign(bank, tx_type, body))
            if not (r and "result" in r and r["result"]["status"] == "OK"):
                fail("setup %s: %s" % (tx_type, r))
    for j in range(base_loans):
        b, partner, pid = deals[j % len(deals)]
        loan_id = "BASE-%d" % j
        r = c.submit(node, c.sign(b, "loan.originate", loan_body(loan_id, b, partner, pid, 100000000, borrower_tag)))
        if not (r and "result" in r and r["result"]["status"] == "OK"):
            fail("setup loan.originate: %s" % r)
        loans.append((b, loan_id))
    return deals, loans


class Load:
    """Loader threads: signed submissions with `wait` to random nodes of `targets`, rate-capped.

    The mix moves money: 60 % loan.repay of a base loan (split between the funding banks), 30 %
    loan.originate of a new joint loan, 10 % partnership.propose with an incomplete body, whose
    REJECTED receipts must agree everywhere too. Each thread k draws from random.Random(seed *
    10 + k), so a seed repeats the mix. `avoid` holds nodes not to target right now (down, cut
    off, paused). A refusal of an honest envelope (BAD_TX, BAD_SIGNATURE) is a failure
    (`fail(what)`); anything else without a receipt (error, timeout, a node down) is recorded as
    unacknowledged: the transaction may still commit.
    """

    def __init__(self, cluster, deals, loans, fail, targets, threads, rate, seed, ref_prefix, timeout_ms,
                 borrower_tag="fault"):
        self.c = cluster
        self.deals, self.loans = deals, loans
        self.fail = fail
        self.targets = tuple(targets)
        self.seed, self.ref_prefix, self.timeout_ms, self.borrower_tag = seed, ref_prefix, timeout_ms, borrower_tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}      # tx_hash -> receipt returned to the client
        self.ack_times = []  # (submitted at, acknowledged at), monotonic seconds
        self.unacked = []    # tx_hash of submissions that got no receipt (error, timeout, cut)
        self.avoid = set()   # nodes the loaders should not target right now
        self.sent = 0
        self.interval = threads / rate
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(threads)]
        self.banks = list(cluster.bank_keys)

    def start(self):
        for t in self.threads:
            t.start()

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def acked_since(self, t):
        """Acknowledgements of transactions submitted at or after t: (count, first ack time)."""
        with self.lock:
            times = [a for s, a in self.ack_times if s >= t]
        return len(times), (min(times) if times else None)

    def _run(self, k):
        rng = random.Random(self.seed * 10 + k)
        n = 0
        while not self.stop.is_set():
            started = time.monotonic()
            n += 1
            with self.lock:
                targets = [i for i in self.targets if i not in self.avoid]
            if not targets:
                time.sleep(0.05)
                continue
            target = rng.choice(targets)
            pick = rng.randrange(10)
            ref_ = "%s-%d-%d" % (self.ref_prefix, k, n)
            if pick < 6:
                bank, loan_id = rng.choice(self.loans)
                tx = self.c.sign(bank, "loan.repay", {"loan_id": loan_id, "value_date": "2024-02-15",
                                                      "amount": "5000", "channel_ref": "R-" + ref_})
            elif pick < 9:
                bank, partner, pid = rng.choice(self.deals)
                tx = self.c.sign(bank, "loan.originate",
                                 loan_body("L-" + ref_, bank, partner, pid, 800000, self.borrower_tag))
            else:
                tx = self.c.sign(rng.choice(self.banks), "partnership.propose", {"partnership_id": ref_})
            acked = False
            try:
                r = self.c.submit(target, tx, wait=True, timeout_ms=self.timeout_ms)
                if r and "result" in r:
                    receipt = r["result"].get("receipt", r["result"])
                    with self.lock:
                        self.acked[receipt["tx_hash"]] = receipt
                        self.ack_times.append((started, time.monotonic()))
                    acked = True
                elif r and "error" in r and r["error"].get("data", {}).get("reason") in ("BAD_TX", "BAD_SIGNATURE"):
                    self.fail("node %d refused an honest transaction: %s" % (target, r))
            except (OSError, ValueError):
                pass  # the node is down, cut off or stopped: the transaction may still commit
            with self.lock:
                self.sent += 1
                if not acked:
                    self.unacked.append(hashlib.sha256(ref.signing_bytes(tx)).hexdigest())
            spare = self.interval - (time.monotonic() - started)
            if spare > 0:
                time.sleep(spare)

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


class Monitor:
    """Every 0.3 s: heads never go down per node (not even across a kill: a committed block is
    fsynced); two nodes never report different hashes at one height. Paused and stopped nodes
    are skipped; a failure goes to `fail(what)`. Start with monitor.thread.start(); end with
    finish(), which fails the test if the monitor died or never sampled (its checks would then
    have passed without checking anything)."""

    def __init__(self, cluster, fail, call_timeout_s):
        self.c = cluster
        self.fail = fail
        self.call_timeout_s = call_timeout_s
        self.stop = threading.Event()
        self.max_height = [0] * cluster.n
        self.hash_at = {}  # height -> (hash, first node that reported it)
        self.samples = 0
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def finish(self, samples_min=10):
        self.stop.set()
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.fail("head monitor did not stop within 10 s")
        if self.error is not None:
            self.fail("head monitor died: %r" % (self.error,))
        if self.samples < samples_min:
            self.fail("head monitor took %d samples (< %d): heads were not watched" % (self.samples, samples_min))

    def _run(self):
        try:
            self._watch()
        except Exception as e:  # noqa: BLE001 - reported by finish(), never swallowed
            self.error = e

    def _watch(self):
        while not self.stop.is_set():
            for i in range(self.c.n):
                if i not in self.c.procs or i in self.c.paused:
                    continue
                try:
                    head = self.c.result(i, "getHeight", timeout=self.call_timeout_s)
                except (OSError, ValueError):
                    continue
                self.samples += 1
                h = head["height"]
                if h < self.max_height[i]:
                    self.fail("node %d head went down from %d to %d" % (i, self.max_height[i], h))
                self.max_height[i] = max(self.max_height[i], h)
                seen = self.hash_at.setdefault(h, (head["hash"], i))
                if seen[0] != head["hash"]:
                    self.fail("fork: height %d is %s on node %d and %s on node %d" % (h, seen[0], seen[1], head["hash"], i))
            time.sleep(0.3)
