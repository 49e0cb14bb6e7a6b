#!/usr/bin/env python3
"""Disk faults on real jointcleard processes (issue 12): I/O errors, a full disk, damaged files.

Goal:
  1. A failed write stops a validator cleanly, under steady signed load on a 4-validator
     consortium: it refuses new work and answers the callers waiting on it with NOT_READY
     naming the failure, exits with status 2 (never a signal) and one FATAL line naming the
     failed operation and the file, writes nothing more where it failed, and never acknowledges
     what did not become durable; the other three go on committing; restarted with the fault
     disarmed it opens and verifies its store and catches up. Three write injections:
       - EIO on write, and the device stays broken ("a failed write");
       - EIO on the fsync of a block commit, once (Linux reports a lost writeback once; a later
         fsync returns 0): no receipt for that block or later from this node;
       - EIO on the write of a consensus-record batch, once: the records' votes are never
         released (the node reports the durable record seq below the failed batch).
     And EIO on reading a table file (a device whose reads fail): a start on it is refused
     (status 1, one line naming the store, the file and the error); on a running node, reads of
     old blocks and receipts are answered as internal errors naming the failure, never as
     "not found", or, if its own work needed a failed read, it stops with status 2 and one
     FATAL line; restarted with the fault gone it reads them again.
  2. A full disk (ENOSPC): the same clean stop, a start on the still-full disk is refused with a
     clear message, and after space returns the node restarts on its intact store.
  At the end the four agree on every block, state root, receipt root and acknowledged receipt.
  3. A damaged store file in either of the store's two databases (ADR 0136: ledger/chain and
     ledger/state; a flipped byte in a table, the MANIFEST, CURRENT, a deleted CURRENT) or a
     format-1 store (a LevelDB directly in ledger/) is detected at start: exit status 1 with a message saying the store is damaged,
     never a crash and never a silently re-created empty ledger.
Method: every validator runs with test/integration/eio_shim.cc preloaded (LD_PRELOAD), which
fails write/fsync calls (or table reads) on files under its data_dir with EIO once a control file appears
(ADR 0096); the shim reports what it failed and any later call on that file. "Disk full" is
node3's data_dir on a 32 MiB tmpfs mounted by this test and filled by a filler file; "space
returns" is deleting it. The full-disk part needs root (mount); without it that part is skipped
and said so (exit 77 only if nothing else ran). The corruption cases work on copies of a stopped
node's store.

Usage: disk_fault_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY EIO_SHIM
"""
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jcproc  # noqa: E402
from jcproc import wait_until  # noqa: E402

JOINTCLEAR, JOINTCLEARD, REFERENCE, SHIM = sys.argv[1:5]
FAILURES = []
CHECKS = 0
CRASH_WORDS = ("Segmentation", "Assertion", "ASSERT", "AddressSanitizer", "LeakSanitizer", "runtime error")
T0 = time.monotonic()


def say(*args):
    print("[%6.1fs]" % (time.monotonic() - T0), *args, flush=True)


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what)
        say("FAIL:", what)
    return cond


def fill(path):
    """Writes a filler file until the filesystem refuses (ENOSPC); returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(chunk)
            except OSError:
                break
        # Whatever is left is smaller than a chunk: take it byte-block by byte-block.
        for size in (4096, 512, 1):
            while True:
                try:
                    written += f.write(b"\0" * size)
                except OSError:
                    break
    return written


class Load:
    """One client thread per validator, each submitting with `wait` to its own node while that
    node is up (to the next one while it is down), so every node always has callers waiting on
    it when a fault hits. Records each acknowledged receipt with the node that gave it, and the
    error answers."""

    def __init__(self, c):
        self.c = c
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.down = set()
        self.acked = {}        # tx_hash -> (receipt, node)
        self.errors = {}       # node -> [error objects]
        self.dropped = {}      # node -> connections lost without an answer
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(c.n)]

    def start(self):
        for t in self.threads:
            t.start()

    def _run(self, i):
        k = 0
        while not self.stop.is_set():
            k += 1
            with self.lock:
                target = i if i not in self.down else next(j for j in range(self.c.n) if j not in self.down)
            # Mostly new joint loans (money split between the banks); every fourth a proposal
            # with an incomplete body, whose REJECTED receipt must agree everywhere too.
            if k % 4:
                tx = self.c.sign("WEBANK", "loan.originate", loan_body("L-%d-%d" % (i, k), 800000 + k))
            else:
                tx = self.c.sign("HUARUI", "partnership.propose", {"partnership_id": "D-%d-%d" % (i, k)})
            try:
                r = self.c.submit(target, tx, timeout_ms=5000)
            except (OSError, ValueError):
                with self.lock:
                    self.dropped[target] = self.dropped.get(target, 0) + 1
                time.sleep(0.05)
                continue
            with self.lock:
                if r and "result" in r:
                    self.acked[r["result"]["tx_hash"]] = (r["result"], target)
                elif r and "error" in r:
                    self.errors.setdefault(target, []).append(r["error"])
            time.sleep(0.02)

    def mark_down(self, i):
        with self.lock:
            self.down.add(i)

    def mark_up(self, i):
        with self.lock:
            self.down.discard(i)

    def halt_answers(self, i):
        with self.lock:
            return [e for e in self.errors.get(i, []) if "halted" in e.get("message", "")]


def loan_body(loan_id, principal):
    """A 12-instalment FRONTED joint loan, WEBANK servicing 30 %, HUARUI funding 70 % (P-DISK)."""
    return {"loan_id": loan_id, "product_code": "CONSUMER",
            "borrower_ref": hashlib.sha256(("disk borrower " + loan_id).encode()).hexdigest(),
            "principal": str(principal), "currency": "CNY", "value_date": "2024-01-15", "rate_ppb": "500000",
            "basis": "DAILY", "interest_method": "ACTUAL_DAYS", "penalty_rate_ppb": "750000",
            "penalty_mode": "REPLACE",
            "schedule": {"type": "EQUAL_PRINCIPAL", "n": 12, "first_due_date": "2024-02-15"},
            "prepay_mode": "SHORTEN",
            "tranches": [{"bank_id": "WEBANK", "share_bps": 3000},
                         {"bank_id": "HUARUI", "share_bps": 7000, "partnership_id": "P-DISK"}],
            "disbursement": {"channel_ref": "D-" + loan_id, "mode": "FRONTED"}}


def setup_partnership(c):
    terms = {"partnership_id": "P-DISK", "servicer_bank": "WEBANK", "partner_bank": "HUARUI",
             "agreement_ref": hashlib.sha256(b"P-DISK").hexdigest(), "funding_mode": "FRONTED",
             "min_tranche_share_bps": 3000, "max_outstanding_principal": "100000000000000",
             "fronting_limit": "100000000000000", "collection_limit": "100000000000000",
             "service_fee_bps": 1250, "fee_base": "INTEREST_AND_PENALTY", "require_partner_acceptance": False}
    for bank, tx_type, body in (("WEBANK", "partnership.propose", terms),
                                ("HUARUI", "partnership.accept", {"partnership_id": "P-DISK"})):
        r = c.submit(0, c.sign(bank, tx_type, body))
        check(r and "result" in r and r["result"]["status"] == "OK", "setup %s: %s" % (tx_type, r))


def data_dir_of(c, i):
    d = c.config(i)["data_dir"]
    return d if os.path.isabs(d) else os.path.join(c.node_dir(i), d)


class Shim:
    """The EIO shim's files for each validator: control (arms it), report (what it did)."""

    def __init__(self, c, root):
        self.c = c
        self.dir = os.path.join(root, "eio")
        os.makedirs(self.dir, exist_ok=True)

    def control(self, i):
        return os.path.join(self.dir, "node%d.control" % i)

    def report_path(self, i):
        return os.path.join(self.dir, "node%d.report" % i)

    def env(self, i):
        env = dict(os.environ)
        env["LD_PRELOAD"] = SHIM
        env["JC_EIO_DIR"] = os.path.realpath(data_dir_of(self.c, i))
        env["JC_EIO_CONTROL"] = self.control(i)
        env["JC_EIO_REPORT"] = self.report_path(i)
        # A sanitizer build's runtime must otherwise come first in the library list.
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
        return env

    def arm(self, i, spec):
        tmp = self.control(i) + ".tmp"
        with open(tmp, "w") as f:
            f.write(spec + "\n")
        os.rename(tmp, self.control(i))  # appears whole: the shim never reads half a line

    def disarm(self, i):
        for p in (self.control(i), self.report_path(i)):
            if os.path.exists(p):
                os.remove(p)

    def report(self, i):
        try:
            return [line.split() for line in open(self.report_path(i)).read().splitlines()]
        except OSError:
            return []


def start(c, shim, i):
    log = open(c.node_dir(i) + "/node.log", "ab")
    c.procs[i] = subprocess.Popen([c.jointcleard, "--config", c.node_dir(i) + "/config.json"],
                                  stdout=log, stderr=subprocess.STDOUT, env=shim.env(i))


def wait_exit(c, i, timeout=30):
    try:
        code = c.procs[i].wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
        c.kill(i)
    c.procs.pop(i, None)
    return code


def log_since(c, i, offset):
    with open(c.node_dir(i) + "/node.log", "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def log_size(c, i):
    return os.path.getsize(c.node_dir(i) + "/node.log")


def others_commit(c, down, what, blocks=5):
    live = [j for j in range(c.n) if j != down]
    before = max(c.result(j, "getHeight")["height"] for j in live)
    check(wait_until(lambda: min(c.result(j, "getHeight")["height"] for j in live) >= before + blocks, 30),
          "%s: the other three keep committing (%d blocks)" % (what, blocks))


def restart_intact(c, shim, load, i, what):
    """Disarms the fault, starts node i again (shim still preloaded) and waits until it has
    verified its store and caught up with the others."""
    shim.disarm(i)
    offset = log_size(c, i)
    start(c, shim, i)
    check(wait_until(lambda: c.ready(i), 30), "%s: node%d restarts on its store" % (what, i))
    out = log_since(c, i, offset)
    check("ledger verified:" in out and "checksums ok" in out, "%s: the store opened and verified" % what)
    live = [j for j in range(c.n) if j != i]
    target = max(c.result(j, "getHeight")["height"] for j in live)
    check(wait_until(lambda: c.result(i, "getHeight")["height"] >= target, 30),
          "%s: node%d catches up to height %d" % (what, i, target))
    load.mark_up(i)
    check(not shim.report(i), "%s: the disarmed shim failed nothing" % what)


def eio_fault(c, shim, load, i, spec, what):
    """Arms `spec` on node i and checks the clean stop. Returns (fatal line, report lines)."""
    offset = log_size(c, i)
    say("%s: arm \"%s\" on node%d" % (what, spec, i))
    shim.arm(i, spec)
    code = wait_exit(c, i)
    load.mark_down(i)
    out = log_since(c, i, offset)
    rep = shim.report(i)
    fired = [r for r in rep if r[0] == "fired"]
    check(len(fired) == 1, "%s: the shim failed a call (report %s)" % (what, rep[:3]))
    path = fired[0][2] if fired else "?"
    check(code == 2, "%s: node%d exits with status 2 (got %s)" % (what, i, code))
    fatal = [line for line in out.splitlines() if "FATAL" in line]
    check(len(fatal) == 1, "%s: exactly one FATAL line (%d)" % (what, len(fatal)))
    line = fatal[0] if fatal else ""
    check("Input/output error" in line and os.path.basename(path) in line,
          "%s: the FATAL line names the error and the file %s: %s" % (what, path, line))
    # Whichever store write came first after arming: a block commit, a consensus-record batch,
    # a checkpoint certificate, or the pruning of old records.
    check(re.search(r"FATAL: cannot (commit block \d+|persist consensus records|store checkpoint certificate \d+|"
                    r"erase old consensus records)", line),
          "%s: the FATAL line names the failed operation: %s" % (what, line))
    check(not any(w in out for w in CRASH_WORDS), "%s: no crash or sanitizer report" % what)
    # Nothing written or synced to the failed file afterwards (a later record after a failed
    # append would be unreadable, and a retried fsync would lie).
    later = [r for r in rep if r[0] in ("after", "failed") and len(r) > 2 and r[2] == path]
    check(not later, "%s: no call on %s after the failure (%s)" % (what, path, later[:3]))
    say("%s: node%d -> status %s: %s" % (what, i, code, line[line.find("FATAL"):][:230]))
    return line, rep, out


def eio_faults(c, shim, load):
    # 1. A failed write; the device stays broken.
    what = "EIO on write"
    line, rep, out = eio_fault(c, shim, load, 2, "write", what)
    halts = load.halt_answers(2)
    check(halts, "%s: callers of node2 were told why (%d answers, %d connections dropped)"
          % (what, len(halts), load.dropped.get(2, 0)))
    if halts:
        say("%s: a waiting caller got %s %s" % (what, halts[0]["code"], halts[0]["message"][:200]))
        check(halts[0]["code"] == -32004 and halts[0].get("data", {}).get("reason") == "NOT_READY",
              "%s: the answer is NOT_READY (-32004)" % what)
    others_commit(c, 2, what)
    restart_intact(c, shim, load, 2, what)

    # 2. The fsync of a block commit fails, once.
    what = "EIO on the fsync of a block commit"
    line, rep, out = eio_fault(c, shim, load, 1, "sync match=Mhead once", what)
    check(rep and rep[0][1] in ("fdatasync", "fsync"), "%s: the failed call is a sync (%s)" % (what, rep[:1]))
    m = re.search(r"cannot commit block (\d+)", line)
    failed_height = int(m.group(1)) if m else None
    check(failed_height is not None, "%s: the FATAL line names the block: %s" % (what, line))
    if failed_height is not None:
        with load.lock:
            late = [h for h, (r, node) in load.acked.items() if node == 1 and r["height"] >= failed_height]
        check(not late, "%s: node1 acknowledged nothing at or above height %d (%d receipts)"
              % (what, failed_height, len(late)))
    check(load.halt_answers(1), "%s: callers of node1 were told why" % what)
    others_commit(c, 1, what)
    restart_intact(c, shim, load, 1, what)

    # 3. A consensus-record batch fails to be written, once.
    what = "EIO on consensus-record persistence"
    line, rep, out = eio_fault(c, shim, load, 3, "write match=Prec/ once", what)
    check("cannot persist consensus records" in line, "%s: the FATAL line names the records: %s" % (what, line))
    failed_seq = durable = held = batch = None
    m = re.search(r"cannot persist consensus records \((\d+) up to seq (\d+);", line)
    if m:
        batch, failed_seq = int(m.group(1)), int(m.group(2))
    m = re.search(r"records durable through seq (\d+);.*not durable: (\d+)", out)
    if m:
        durable, held = int(m.group(1)), int(m.group(2))
    check(load.halt_answers(3), "%s: callers of node3 were told why" % what)
    check(failed_seq is not None and durable is not None and durable <= failed_seq - batch,
          "%s: no record at or after the failed batch (up to seq %s, %s records) counted durable (durable through %s)"
          % (what, failed_seq, batch, durable))
    say("%s: failed batch up to seq %s; durable through seq %s; %s messages held back unsent"
        % (what, failed_seq, durable, held))
    others_commit(c, 3, what)
    restart_intact(c, shim, load, 3, what)


def read_faults(c, shim, load):
    """EIO on reading a table file (pread, ADR 0166): at start, and under a running node."""
    i = 0
    # A restart leaves everything the node held in table files (LevelDB turns its log into a
    # table at open) and its block cache empty, so its old blocks and receipts are read from disk.
    what = "EIO on reading a table at start"
    c.kill(i, signal.SIGTERM)
    load.mark_down(i)
    say("%s: arm \"read\" on node%d, then start it" % (what, i))
    shim.arm(i, "read")
    offset = log_size(c, i)
    start(c, shim, i)
    code = wait_exit(c, i)
    out = log_since(c, i, offset)
    fired = [r for r in shim.report(i) if r[0] == "fired"]
    path = fired[0][2] if fired else "?"
    check(fired and fired[0][1] in ("pread", "pread64") and path.endswith(".ldb"),
          "%s: the shim failed a table read (%s)" % (what, fired[:1]))
    check(code == 1, "%s: the start is refused with status 1 (got %s)" % (what, code))
    line = next((x for x in out.splitlines() if "Input/output error" in x), "")
    check(os.path.basename(path) in line and "ledger store" in line,
          "%s: one line names the store, the file and the error: %s" % (what, line[-300:]))
    check(not any(w in out for w in CRASH_WORDS), "%s: no crash or sanitizer report" % what)
    say("%s: node%d -> status %s: %s" % (what, i, code, line[-230:]))
    restart_intact(c, shim, load, i, what)

    # Old records to ask for, named from another node so that node0 reads nothing before the
    # fault: the first acknowledged receipt (committed before the restarts) and block 2.
    what = "EIO on reading a table while running"
    with load.lock:
        first_tx, (first_receipt, _) = min(load.acked.items(), key=lambda kv: kv[1][0]["height"])
    block2 = c.result(1, "getBlock", {"height": 2})["hash"]
    offset = log_size(c, i)
    say("%s: arm \"read\" on node%d" % (what, i))
    shim.arm(i, "read")
    answers = {}
    for name, method, params in (("receipt", "getReceipt", {"tx_hash": first_tx}),
                                 ("block by height", "getBlock", {"height": 2}),
                                 ("block by hash", "getBlock", {"hash": block2})):
        try:
            answers[name] = c.call(i, method, params)[1]
        except OSError as e:
            answers[name] = {"dropped": str(e)}
    # The node either answers each read with an internal error naming the failure, never with
    # "not found" (null), or has already stopped on a read its own work needed (a block's state):
    # then every later call is refused, and the exit below says why.
    for name, body in answers.items():
        err = (body or {}).get("error", {})
        ok = (err.get("code") == -32603 and "Input/output error" in err.get("data", {}).get("detail", "")) or \
            "dropped" in (body or {})
        check(ok, "%s: the %s read is an internal error naming the I/O error, not null: %s" % (what, name, body))
    running = c.procs[i].poll() is None
    if running:
        code = c.kill(i, signal.SIGTERM)
        check(code == 0, "%s: still up after its reads failed, node%d stops on SIGTERM (got %s)" % (what, i, code))
    else:
        code = wait_exit(c, i)
        out = log_since(c, i, offset)
        fatal = [x for x in out.splitlines() if "FATAL" in x]
        check(code == 2 and len(fatal) == 1 and "Input/output error" in fatal[0],
              "%s: a failed read of its own work stops node%d with status 2 and one FATAL line (%s, %s)"
              % (what, i, code, fatal[:1]))
    load.mark_down(i)
    failed = [r for r in shim.report(i) if r[0] in ("fired", "failed")]
    check(failed and all(r[1] in ("pread", "pread64") for r in failed),
          "%s: only reads failed (%d calls)" % (what, len(failed)))
    say("%s: %d reads failed; node%d %s; getReceipt answered %s" % (
        what, len(failed), i, "stayed up" if running else "halted",
        (answers["receipt"] or {}).get("error", answers["receipt"])))
    restart_intact(c, shim, load, i, what)
    check(c.result(i, "getReceipt", {"tx_hash": first_tx})["height"] == first_receipt["height"],
          "%s: after the restart node%d reads the receipt again" % (what, i))


def full_disk(c, shim, load, data_dir):
    filler = os.path.join(data_dir, "filler")
    what = "disk full"
    say("disk full on node3")
    offset = log_size(c, 3)
    fill(filler)
    code = wait_exit(c, 3)
    load.mark_down(3)
    out = log_since(c, 3, offset)
    check(code == 2, "node3 exits with status 2 on a full disk (got %s)" % code)
    fatal = [line for line in out.splitlines() if "FATAL" in line]
    check(len(fatal) == 1 and "No space left" in fatal[0], "the FATAL line names the full disk: %s" % fatal[:1])
    say("node3:", fatal[0][fatal[0].find("FATAL"):][:230] if fatal else "(no FATAL line)")
    check(not any(w in out for w in CRASH_WORDS), "no crash or sanitizer report in node3's log")
    others_commit(c, 3, what, blocks=10)

    say("restart while the disk is still full")
    start(c, shim, 3)
    code = wait_exit(c, 3)
    check(code in (1, 2), "a start on a full disk is refused (status %s)" % code)
    tail = c.log_tail(3, 5)
    check("No space left" in tail, "and says why: %s" % tail.splitlines()[-1:])
    say("restart on a full disk -> status %s: %s" % (code, (tail.splitlines() or [""])[-1][:200]))

    say("space returns; restart node3")
    os.remove(filler)
    restart_intact(c, shim, load, 3, what)


def faults(root, can_mount):
    c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, 4)
    shim = Shim(c, root)
    tmpfs = None
    if can_mount:
        tmpfs = data_dir_of(c, 3)
        os.makedirs(tmpfs, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "jc-disk-fault", tmpfs], check=True)
    load = Load(c)
    try:
        for i in range(4):
            start(c, shim, i)
        check(wait_until(lambda: all(c.ready(i) for i in range(4)), 30), "cluster ready")
        setup_partnership(c)
        load.start()
        check(wait_until(lambda: min(c.result(i, "getHeight")["height"] for i in range(4)) >= 3, 30),
              "all four commit blocks")
        eio_faults(c, shim, load)
        read_faults(c, shim, load)
        if tmpfs:
            full_disk(c, shim, load, tmpfs)
        time.sleep(1.0)
        load.stop.set()
        for t in load.threads:
            t.join(timeout=30)

        def same_head():
            heads = [json.dumps(c.result(i, "getHeight"), sort_keys=True) for i in range(4)]
            return len(set(heads)) == 1
        check(wait_until(same_head, 60), "all four heads agree")
        height = c.result(0, "getHeight")["height"]
        keys = ("hash", "state_root", "receipt_root", "tx_hashes")
        blocks = [c.batch(i, [("getBlock", {"height": h}) for h in range(1, height + 1)]) for i in range(4)]
        diff = [h + 1 for h in range(height) if len({json.dumps({k: b[h].get(k) for k in keys}) for b in blocks}) != 1]
        check(not diff, "every height identical on all four (first differing: %s)" % diff[:3])
        acked = sorted(load.acked)
        for i in range(4):
            got = c.batch(i, [("getReceipt", {"tx_hash": h}) for h in acked])
            bad = [h for h, r in zip(acked, got) if r is None or
                   any(r[k] != load.acked[h][0][k] for k in ("status", "height", "index", "code", "error", "result"))]
            check(not bad, "node %d holds every acknowledged receipt with the same result (%d missing or different)"
                  % (i, len(bad)))
        statuses = {}
        for r, _ in load.acked.values():
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        say("%d acknowledged transactions checked on 4 nodes (%s), %d heights; halt answers by node %s"
            % (len(acked), statuses, height, {i: len(load.halt_answers(i)) for i in range(4)}))
        for i in range(4):
            code = c.kill(i, signal.SIGTERM)
            log = open(c.node_dir(i) + "/node.log", errors="replace").read()
            check(code == 0 and not any(w in log for w in CRASH_WORDS),
                  "node%d stops on SIGTERM with status 0 (got %s), no crash or sanitizer report in its log" % (i, code))
    finally:
        load.stop.set()
        c.close()
        if tmpfs:
            subprocess.run(["umount", "-l", tmpfs], check=False)


def corrupted_store(root):
    """A 1-validator chain with a few blocks, then copies of its store damaged in various ways."""
    c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, 1)
    try:
        c.start(0)
        check(wait_until(lambda: c.ready(0), 30), "single validator ready")
        for k in range(20):
            c.submit(0, c.sign("WEBANK", "partnership.propose", {"partnership_id": "C-%d" % k}))
        head = c.result(0, "getHeight")
        c.kill(0, signal.SIGTERM)
        # A restart compacts the write-ahead log into a table file, so there is an .ldb to damage.
        c.start(0)
        check(wait_until(lambda: c.ready(0), 30), "restart")
        c.kill(0, signal.SIGTERM)
        cfg = c.config(0)
        data_dir = cfg["data_dir"] if os.path.isabs(cfg["data_dir"]) else os.path.join(c.node_dir(0), cfg["data_dir"])
        pristine = os.path.join(root, "pristine")
        shutil.copytree(data_dir, pristine)
        ledger = os.path.join(data_dir, "ledger")
        tables = {db: sorted(glob.glob(os.path.join(pristine, "ledger", db, "*.ldb")), key=os.path.getsize)
                  for db in ("chain", "state")}
        check(tables["chain"] and tables["state"], "each database of the store has a table file to damage")

        def flip(path, offset_fraction):
            data = bytearray(open(path, "rb").read())
            at = int(len(data) * offset_fraction)
            data[at] ^= 0x5A
            open(path, "wb").write(bytes(data))

        def format_1(d):
            # What a format-1 store looked like: the LevelDB files directly in ledger/.
            for name in os.listdir(os.path.join(d, "state")):
                shutil.move(os.path.join(d, "state", name), os.path.join(d, name))
            shutil.rmtree(os.path.join(d, "state"))
            shutil.rmtree(os.path.join(d, "chain"))

        cases = {}
        for db in ("chain", "state"):
            cases.update({
                db + ": flipped byte in the largest table":
                    lambda d, db=db: flip(os.path.join(d, db, os.path.basename(tables[db][-1])), 0.3),
                db + ": flipped byte in the MANIFEST":
                    lambda d, db=db: flip(glob.glob(os.path.join(d, db, "MANIFEST-*"))[0], 0.5),
                db + ": CURRENT names a missing MANIFEST":
                    lambda d, db=db: open(os.path.join(d, db, "CURRENT"), "w").write("MANIFEST-999999\n"),
                db + ": CURRENT deleted": lambda d, db=db: os.remove(os.path.join(d, db, "CURRENT")),
                db + ": database deleted": lambda d, db=db: shutil.rmtree(os.path.join(d, db)),
            })
        cases["format-1 store"] = format_1
        for what, damage in cases.items():
            shutil.rmtree(data_dir)
            shutil.copytree(pristine, data_dir)
            damage(ledger)
            c.start(0)
            try:
                code = c.procs[0].wait(timeout=30)
            except subprocess.TimeoutExpired:
                code = None
                c.kill(0)
            c.procs.pop(0, None)
            out = c.log_tail(0, 3)
            check(code == 1, "%s: start refused with status 1 (got %s)" % (what, code))
            if what == "format-1 store":
                check("format-1" in out and "docs/operations.md" in out,
                      "%s: the message names the format and the upgrade note: %s" % (what, out.splitlines()[-1:]))
            else:
                check("damaged" in out, "%s: the message says the store is damaged: %s" % (what, out.splitlines()[-1:]))
            say("%s -> status %s: %s" % (what, code, (out.splitlines() or [""])[-1][:160]))
        # The undamaged copy still opens at the same head.
        shutil.rmtree(data_dir)
        shutil.copytree(pristine, data_dir)
        c.start(0)
        check(wait_until(lambda: c.ready(0), 30), "the undamaged store opens")
        check(c.result(0, "getHeight") == head, "at the same head")
        c.kill(0, signal.SIGTERM)
    finally:
        c.close()


def main():
    jcproc.init_reference(REFERENCE)
    check(os.path.exists(SHIM), "the EIO shim is built: %s" % SHIM)
    with tempfile.TemporaryDirectory(prefix="jc-disk-") as root:
        corrupted_store(root)
        can_mount = False
        if os.geteuid() != 0:
            say("SKIP full-disk part: needs root to mount a tmpfs (the EIO and corruption parts run)")
        else:
            probe = os.path.join(root, "probe")
            os.makedirs(probe)
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "jc-probe", probe]).returncode != 0:
                say("SKIP full-disk part: mount is not permitted here (the EIO and corruption parts run)")
            else:
                subprocess.run(["umount", probe], check=False)
                can_mount = True
        faults(root, can_mount)
    say("%d checks, %d failed" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
