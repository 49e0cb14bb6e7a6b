#!/usr/bin/env python3
"""Disk faults on real jointcleard processes (issue 12): full disk, and damaged store files.

Goal:
  1. When a validator's disk fills up under load, it stops accepting work and exits cleanly
     (exit status 2, one FATAL line naming the failed write, no crash signal), the other three
     go on committing, a restart while the disk is still full is refused with a clear message,
     and after space returns the node restarts on its intact store and catches up: the four
     agree on every block, state root, receipt root and acknowledged receipt.
  2. A damaged store file (a flipped byte in a table, the MANIFEST, CURRENT, a deleted
     CURRENT) is detected at start: exit status 1 with a message saying the store is damaged,
     never a crash and never a silently re-created empty ledger.
Method: node3's data_dir is a small tmpfs mounted by this test; "disk full" is a filler file
that takes every free byte, "space returns" is deleting it. The corruption cases work on copies
of a stopped node's store. Needs root (mount); without it the test says why and exits 77
(CTest: skipped).

Usage: disk_fault_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
"""
import glob
import json
import os
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

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
FAILURES = []
CHECKS = 0
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
    def __init__(self, c, targets):
        self.c, self.targets = c, targets
        self.stop = threading.Event()
        self.acked = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        k = 0
        while not self.stop.is_set():
            k += 1
            target = self.targets[k % len(self.targets)]
            try:
                r = self.c.submit(target, self.c.sign("WEBANK", "partnership.propose", {"partnership_id": "D-%d" % k}),
                                  timeout_ms=5000)
                if r and "result" in r:
                    self.acked[r["result"]["tx_hash"]] = r["result"]
            except (OSError, ValueError):
                pass
            time.sleep(0.02)


def full_disk(root):
    c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, 4)
    data_dir = c.config(3)["data_dir"]
    data_dir = os.path.join(c.node_dir(3), data_dir) if not os.path.isabs(data_dir) else data_dir
    os.makedirs(data_dir, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "jc-disk-fault", data_dir], check=True)
    filler = os.path.join(data_dir, "filler")
    try:
        for i in range(4):
            c.start(i)
        check(wait_until(lambda: all(c.ready(i) for i in range(4)), 30), "cluster ready")
        load = Load(c, [0, 1, 2, 3])
        load.thread.start()
        check(wait_until(lambda: c.result(3, "getHeight")["height"] >= 3, 30), "node3 commits blocks")

        say("disk full on node3")
        fill(filler)
        code = None
        try:
            code = c.procs[3].wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        c.procs.pop(3, None)
        load.targets = [0, 1, 2]
        log = open(c.node_dir(3) + "/node.log", errors="replace").read()
        check(code == 2, "node3 exits with status 2 on a full disk (got %s)" % code)
        fatal = [line for line in log.splitlines() if "FATAL" in line]
        check(len(fatal) >= 1 and ("No space left" in fatal[0] or "space" in fatal[0].lower()),
              "the FATAL line names the full disk: %s" % fatal[:1])
        say("node3:", fatal[0] if fatal else "(no FATAL line)")
        check("Segmentation" not in log and "Assertion" not in log and "ASSERT" not in log, "no crash in node3's log")
        before = c.result(0, "getHeight")["height"]
        check(wait_until(lambda: c.result(0, "getHeight")["height"] > before + 10, 30),
              "the other three keep committing")

        say("restart while the disk is still full")
        c.start(3)
        try:
            code = c.procs[3].wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
            c.kill(3)
        c.procs.pop(3, None)
        check(code in (1, 2), "a start on a full disk is refused (status %s)" % code)
        tail = c.log_tail(3, 5)
        check("No space left" in tail or "space" in tail.lower(), "and says why: %s" % tail.splitlines()[-1:])
        say("restart on a full disk -> status %s: %s" % (code, (tail.splitlines() or [""])[-1][:200]))

        say("space returns; restart node3")
        os.remove(filler)
        c.start(3)
        check(wait_until(lambda: c.ready(3), 30), "node3 restarts on its store")
        load.targets = [0, 1, 2, 3]
        time.sleep(1.0)
        load.stop.set()
        load.thread.join(timeout=30)

        def same_head():
            heads = [json.dumps(c.result(i, "getHeight"), sort_keys=True) for i in range(4)]
            return len(set(heads)) == 1
        check(wait_until(same_head, 60), "node3 catches up: all four heads agree")
        height = c.result(0, "getHeight")["height"]
        keys = ("hash", "state_root", "receipt_root", "tx_hashes")
        blocks = [c.batch(i, [("getBlock", {"height": h}) for h in range(1, height + 1)]) for i in range(4)]
        diff = [h + 1 for h in range(height) if len({json.dumps({k: b[h].get(k) for k in keys}) for b in blocks}) != 1]
        check(not diff, "every height identical on all four (first differing: %s)" % diff[:3])
        acked = sorted(load.acked)
        for i in range(4):
            got = c.batch(i, [("getReceipt", {"tx_hash": h}) for h in acked])
            bad = [h for h, r in zip(acked, got) if r is None or r["status"] != load.acked[h]["status"]
                   or r["height"] != load.acked[h]["height"]]
            check(not bad, "node %d holds every acknowledged receipt (%d missing or different)" % (i, len(bad)))
        say("full disk: %d acknowledged transactions checked on 4 nodes, %d heights" % (len(acked), height))
        c.stop_all()
    finally:
        c.close()
        subprocess.run(["umount", "-l", data_dir], check=False)


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
        tables = sorted(glob.glob(os.path.join(pristine, "ledger", "*.ldb")), key=os.path.getsize)
        check(tables, "the store has a table file to damage")

        def flip(path, offset_fraction):
            data = bytearray(open(path, "rb").read())
            at = int(len(data) * offset_fraction)
            data[at] ^= 0x5A
            open(path, "wb").write(bytes(data))

        cases = {
            "flipped byte in the largest table": lambda d: flip(os.path.join(d, os.path.basename(tables[-1])), 0.3),
            "flipped byte in the MANIFEST": lambda d: flip(glob.glob(os.path.join(d, "MANIFEST-*"))[0], 0.5),
            "CURRENT names a missing MANIFEST": lambda d: open(os.path.join(d, "CURRENT"), "w").write("MANIFEST-999999\n"),
            "CURRENT deleted": lambda d: os.remove(os.path.join(d, "CURRENT")),
        }
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
    with tempfile.TemporaryDirectory(prefix="jc-disk-") as root:
        corrupted_store(root)
        if os.geteuid() != 0:
            say("SKIP full-disk part: needs root to mount a tmpfs (the corruption part ran)")
            print("%d checks, %d failed" % (CHECKS, len(FAILURES)))
            return 1 if FAILURES else 77
        probe = os.path.join(root, "probe")
        os.makedirs(probe)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "jc-probe", probe]).returncode != 0:
            say("SKIP full-disk part: mount is not permitted here (the corruption part ran)")
            print("%d checks, %d failed" % (CHECKS, len(FAILURES)))
            return 1 if FAILURES else 77
        subprocess.run(["umount", probe], check=False)
        full_disk(root)
    say("%d checks, %d failed" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
