#!/usr/bin/env python3
"""Fault injection on a real 4-validator consortium (issue 12): nothing acknowledged is lost.

Goal: under steady signed load, a consortium of 4 jointcleard processes (f = 1) stays safe and
live while it is broken for real, and at the end every transaction that got a receipt is on
every validator with the same result, every height has the same block hash, state root and
receipt root everywhere, and the invariants watched during the run held.

Method: `jointclear init` makes the consortium (3 banks) in a temp dir; every p2p link (node i dials
j > i) goes through a TCP proxy of this test (jcproc.LinkProxy, via the node's
`p2p.peer_addresses`), so a validator can be cut off from all its peers and healed. A setup
step creates FRONTED partnerships between the banks and base loans; then loader threads sign
a money-moving mix (60 % loan.repay, 30 % loan.originate, 10 % partnership.propose with an
incomplete body, REJECTED by design) with
jcproc.fast_sign (checked against scripts/protocol_reference.py) and submit it with `wait` to
random live nodes at a bounded rate (jcproc.Load). A seeded scheduler then
injects, one at a time (never more than f validators faulty, except the deliberate power loss):
  kill       SIGKILL a random validator, restart it 1-3 s later;
  partition  cut every link of a random backup for 3 s, then heal;
  isolate    cut every link of the current primary until the others change view, then heal;
  pause      SIGSTOP the primary until the others change view (at least 3 s), then SIGCONT;
  power      SIGKILL all four at once and restart them all (full-cluster power loss).
After each fault the run waits (deadline-bounded) for the load to get a new receipt: liveness.
A monitor thread (jcproc.Monitor) polls every running node's head: heights never go down (not
even across a kill: a committed block is fsynced) and two nodes never report different hashes at
one height.
No process may exit on its own, and no log may hold a FATAL line. At the end the ledger's
invariant digest (double entry balanced, per-bank aggregates consistent) is checked and must be
identical on all four.

Bounds: the fault phase lasts JC_FAULT_SECONDS (default 45; CI total wall ~75-90 s on 2 cores),
load is capped at JC_FAULT_RATE tx/s (default 40) and every wait has a deadline. A long soak:
JC_FAULT_SECONDS=1800 python3 fault_test.py ... The seed (JC_FAULT_SEED, default random) is
printed first so a run can be repeated with the same schedule.

Usage: fault_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
"""
import json
import os
import random
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jcproc  # noqa: E402
from jcproc import wait_until  # noqa: E402

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
FAULT_SECONDS = float(os.environ.get("JC_FAULT_SECONDS", "45"))
RATE = float(os.environ.get("JC_FAULT_RATE", "40"))
SEED = int(os.environ.get("JC_FAULT_SEED", str(random.randrange(1 << 31))))
LOADERS = 4
N = 4

FAILURES = []
T0 = time.monotonic()


def say(*args):
    print("[%6.1fs]" % (time.monotonic() - T0), *args, flush=True)


def fail(what):
    FAILURES.append(what)
    say("FAIL:", what)


class Faults:
    def __init__(self, cluster, load, rng):
        self.c, self.load, self.rng = cluster, load, rng
        self.counts = {"kill": 0, "partition": 0, "isolate": 0, "pause": 0, "power": 0}

    def live(self):
        return [i for i in range(N) if i in self.c.procs and i not in self.c.paused]

    def primary(self):
        """The primary most running nodes agree on, with their view."""
        votes = {}
        for i in self.live():
            try:
                s = self.c.result(i, "getNodeStatus", timeout=2)
                votes.setdefault((s["view"], s["primary"]), []).append(i)
            except (OSError, ValueError):
                pass
        if not votes:
            return None, None
        (view, primary), _ = max(votes.items(), key=lambda kv: (len(kv[1]), kv[0][0]))
        return view, primary

    def view_moved(self, others, view):
        views = []
        for i in others:
            try:
                views.append(self.c.result(i, "getNodeStatus", timeout=2)["view"])
            except (OSError, ValueError):
                return False
        return sum(1 for v in views if v > view) >= 2

    def cut(self, i):
        for (a, b), proxy in self.c.proxies.items():
            if i in (a, b):
                proxy.cut()

    def heal(self, i):
        for (a, b), proxy in self.c.proxies.items():
            if i in (a, b):
                proxy.heal()

    def wait_progress(self, what, deadline_s=30):
        before = self.load.acked_count()
        if not wait_until(lambda: self.load.acked_count() > before, deadline_s):
            fail("no receipt within %ds after %s (liveness)" % (deadline_s, what))

    def wait_caught_up(self, i, deadline_s=30):
        def caught_up():
            others = max(self.c.result(j, "getHeight", timeout=2)["height"] for j in self.live() if j != i)
            return self.c.result(i, "getHeight", timeout=2)["height"] >= others - 1
        if not wait_until(caught_up, deadline_s, 0.2):
            fail("node %d did not catch up within %ds" % (i, deadline_s))

    def kill(self):
        i = self.rng.randrange(N)
        say("fault: SIGKILL node%d" % i)
        self.load.avoid.add(i)
        self.c.kill(i)
        time.sleep(self.rng.uniform(1.0, 3.0))
        self.c.start(i)
        if not wait_until(lambda: self.c.ready(i), 30):
            fail("node %d not ready 30 s after restart" % i)
        self.load.avoid.discard(i)
        self.counts["kill"] += 1
        self.wait_progress("killing node %d" % i)

    def partition(self):
        view, primary = self.primary()
        i = self.rng.choice([j for j in range(N) if j != primary])
        say("fault: partition node%d (a backup) away from all peers" % i)
        self.load.avoid.add(i)
        self.cut(i)
        time.sleep(3.0)
        self.wait_progress("partitioning node %d (the others must go on)" % i, 20)
        self.heal(i)
        self.counts["partition"] += 1
        self.wait_caught_up(i)
        self.load.avoid.discard(i)

    def isolate(self):
        view, primary = self.primary()
        if primary is None:
            fail("no node reports a primary")
            return
        say("fault: isolate the primary node%d (view %d)" % (primary, view))
        self.load.avoid.add(primary)
        self.cut(primary)
        others = [j for j in range(N) if j != primary]
        if not wait_until(lambda: self.view_moved(others, view), 30, 0.2):
            fail("no view change within 30 s of isolating primary %d" % primary)
        self.wait_progress("isolating primary %d" % primary, 20)
        self.heal(primary)
        self.counts["isolate"] += 1
        self.wait_caught_up(primary)
        self.load.avoid.discard(primary)

    def pause(self):
        view, primary = self.primary()
        if primary is None:
            fail("no node reports a primary")
            return
        say("fault: SIGSTOP the primary node%d (view %d)" % (primary, view))
        self.load.avoid.add(primary)
        self.c.pause(primary)
        started = time.monotonic()
        others = [j for j in range(N) if j != primary]
        if not wait_until(lambda: self.view_moved(others, view), 30, 0.2):
            fail("no view change within 30 s of pausing primary %d" % primary)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
        self.c.resume(primary)
        self.counts["pause"] += 1
        self.wait_progress("pausing primary %d" % primary)
        self.wait_caught_up(primary)
        self.load.avoid.discard(primary)

    def power(self):
        say("fault: power loss, SIGKILL all four at once")
        self.load.avoid.update(range(N))
        for i in range(N):
            self.c.procs[i].kill()
        for i in range(N):
            self.c.procs.pop(i).wait(timeout=30)
        time.sleep(self.rng.uniform(0.5, 1.5))
        for i in range(N):
            self.c.start(i)
        if not wait_until(lambda: all(self.c.ready(i) for i in range(N)), 60):
            fail("cluster not ready 60 s after the power came back")
        self.load.avoid.clear()
        self.counts["power"] += 1
        self.wait_progress("full-cluster restart")

    def check_processes(self):
        for i, code in self.c.exited_unexpectedly().items():
            fail("node %d exited on its own with %s: %s" % (i, code, self.c.log_tail(i)))
            self.c.procs.pop(i)
            self.c.start(i)


def final_checks(c, load, monitor):
    # Everyone back, everything healed, then quiesce and compare.
    for i in range(N):
        if i in c.paused:
            c.resume(i)
        if i not in c.procs:
            c.start(i)
    for proxy in c.proxies.values():
        proxy.heal()
    wait_until(lambda: all(c.ready(i) for i in range(N)), 30)
    load.join()
    monitor.finish()

    def same_head():
        heads = [c.result(i, "getHeight", timeout=5) for i in range(N)]
        return heads if len({json.dumps(h, sort_keys=True) for h in heads}) == 1 else None
    heads = wait_until(same_head, 60, 0.2)
    if not heads:
        fail("the four heads did not converge within 60 s: %s" %
             [c.result(i, "getHeight", timeout=5) for i in range(N)])
        return 0, 0
    height = heads[0]["height"]

    # Every height: the same block hash, state root, receipt root and transactions everywhere.
    blocks = [c.batch(i, [("getBlock", {"height": h}) for h in range(1, height + 1)]) for i in range(N)]
    keys = ("hash", "parent_hash", "tx_root", "state_root", "receipt_root", "tx_hashes")
    tx_location = {}
    reincluded = []
    for h in range(height):
        first = {k: blocks[0][h].get(k) for k in keys}
        if first["state_root"] is None or first["receipt_root"] is None:
            fail("block %d has no execution results on node 0" % (h + 1))
        for i in range(1, N):
            if {k: blocks[i][h].get(k) for k in keys} != first:
                fail("height %d differs between node 0 and node %d" % (h + 1, i))
        if h > 0 and first["parent_hash"] != blocks[0][h - 1]["hash"]:
            fail("block %d does not chain to block %d" % (h + 1, h))
        for k, tx_hash in enumerate(first["tx_hashes"]):
            # A transaction may be included again after a view change (the new primary re-proposes
            # what it had not seen commit); the re-inclusion gets a DUPLICATE receipt and the
            # indexes keep the first inclusion (ADR 0021, docs/spec/contracts.md). Count them.
            if tx_hash in tx_location:
                reincluded.append((tx_hash, tx_location[tx_hash][0], h + 1))
                continue
            tx_location[tx_hash] = (h + 1, k)
    if heads[0]["state_root"] != blocks[0][height - 1]["state_root"]:
        fail("the head's state root is not block %d's" % height)

    for tx_hash, first_height, again in reincluded:
        r = c.result(0, "getReceipt", {"tx_hash": tx_hash})
        if r is None or r["height"] != first_height:
            fail("re-included %s: the receipt is not the first inclusion's: %s" % (tx_hash[:16], r))
    say("re-inclusions of an already committed transaction (DUPLICATE receipts): %d" % len(reincluded))

    # The ledger's own invariants (double entry, per-bank aggregates) hold and agree everywhere.
    digests = [c.result(i, "getInvariantDigest", timeout=10) for i in range(N)]
    if len({json.dumps(d, sort_keys=True) for d in digests}) != 1:
        fail("invariant digests differ between nodes")
    if not digests[0]["ledger"]["balanced"] or not all(b["consistent"] for b in digests[0]["banks"]):
        fail("ledger invariants broken: %s" % digests[0])
    say("ledger invariants: balanced, %d banks consistent, debits total %s fen" %
        (len(digests[0]["banks"]), digests[0]["ledger"]["debits_total"]))
    statuses = {}
    for receipt in load.acked.values():
        statuses[receipt["status"]] = statuses.get(receipt["status"], 0) + 1
    say("acknowledged receipts by status: %s" % statuses)
    if statuses.get("OK", 0) < len(load.acked) // 2:
        fail("most of the load should succeed, got %s" % statuses)

    # Every acknowledged transaction: on every node, at the acknowledged place, with the same result.
    acked = sorted(load.acked.items())
    fields = ("tx_hash", "height", "index", "status", "code", "error", "result")
    for i in range(N):
        got = c.batch(i, [("getReceipt", {"tx_hash": h}) for h, _ in acked])
        for (tx_hash, receipt), mine in zip(acked, got):
            if mine is None or any(mine.get(f) != receipt.get(f) for f in fields):
                fail("node %d: acknowledged %s is %s, the client got %s" % (i, tx_hash[:16], mine, receipt))
            elif tx_location.get(tx_hash) != (receipt["height"], receipt["index"]):
                fail("acknowledged %s is not in block %d at index %d" % (tx_hash[:16], receipt["height"], receipt["index"]))
    # Unacknowledged ones may or may not have committed, but identically on every node.
    unacked = sorted(set(load.unacked) - set(load.acked))
    views = [c.batch(i, [("getReceipt", {"tx_hash": h}) for h in unacked]) for i in range(N)]
    committed_unacked = 0
    for k, tx_hash in enumerate(unacked):
        answers = {json.dumps(views[i][k], sort_keys=True) for i in range(N)}
        if len(answers) != 1:
            fail("unacknowledged %s differs between nodes: %s" % (tx_hash[:16], answers))
        committed_unacked += views[0][k] is not None
    say("unacknowledged submissions: %d, of which %d committed (identically everywhere)" %
        (len(unacked), committed_unacked))
    return len(acked) + len(unacked), height


def main():
    say("fault_test seed=%d fault_seconds=%g rate=%g tx/s" % (SEED, FAULT_SECONDS, RATE))
    jcproc.init_reference(REFERENCE)
    rng = random.Random(SEED)
    checked = height = 0
    with tempfile.TemporaryDirectory(prefix="jc-fault-") as root:
        c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, N, banks=("WEBANK", "HUARUI", "BANKC"), proxied=True)
        try:
            for i in range(N):
                c.start(i)
            if not wait_until(lambda: all(c.ready(i) for i in range(N)), 60):
                # Say why: which nodes answer, which exited (and how), and what each logged.
                fail("cluster not ready within 60 s of start: ready %s, exited %s" %
                     ([i for i in range(N) if c.ready(i)], c.exited_unexpectedly()))
                for i in range(N):
                    say("node%d log tail:\n%s" % (i, c.log_tail(i, 15)))
                raise SystemExit(1)
            deals, loans = jcproc.setup_money(c, 0, fail, tag="FT", base_loans=6, borrower_tag="fault")
            load = jcproc.Load(c, deals, loans, fail, targets=range(N), threads=LOADERS, rate=RATE, seed=SEED,
                               ref_prefix="F", timeout_ms=8000, borrower_tag="fault")
            monitor = jcproc.Monitor(c, fail, call_timeout_s=1)
            load.start()
            monitor.thread.start()
            faults = Faults(c, load, rng)
            faults.wait_progress("start")
            # Every kind at least once, in a seeded order, then seeded picks until the time is up.
            plan = ["kill", "partition", "isolate", "pause", "power"]
            rng.shuffle(plan)
            end = time.monotonic() + FAULT_SECONDS
            while (plan or time.monotonic() < end) and len(FAILURES) < 5:
                kind = plan.pop(0) if plan else rng.choice(["kill", "kill", "kill", "partition", "isolate",
                                                             "pause", "power"])
                getattr(faults, kind)()
                faults.check_processes()
                time.sleep(rng.uniform(0.5, 2.0))
            say("faults done; checking")
            checked, height = final_checks(c, load, monitor)
            for i in range(N):
                with open(c.node_dir(i) + "/node.log", "rb") as f:
                    fatal = [line for line in f.read().splitlines() if b"FATAL" in line]
                if fatal:
                    fail("node %d logged FATAL: %s" % (i, fatal[0].decode(errors="replace")))
            traffic = sum(p.bytes for p in c.proxies.values())
            stopped = {}
            for i in list(c.procs):
                stopped[i] = c.kill(i, signal.SIGTERM)
            for i, code in stopped.items():
                if code != 0:
                    fail("node %d exited %s on SIGTERM" % (i, code))
            total = sum(faults.counts.values())
            say("faults injected: %d (%s)" % (total, ", ".join("%s %d" % kv for kv in faults.counts.items())))
            say("transactions checked: %d (%d acknowledged) on %d validators; %d heights compared; "
                "%d head samples; p2p bytes relayed %d" % (checked, len(load.acked), N, height, monitor.samples, traffic))
        finally:
            c.close()
    say("%s (seed %d)" % ("FAILED: %d failures" % len(FAILURES) if FAILURES else "PASSED", SEED))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
