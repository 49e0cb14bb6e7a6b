#!/usr/bin/env python3
"""A Byzantine validator on real processes (issue 12, ADR 0092): the honest three stay safe and live.

Goal: with one of four jointcleard validators (f = 1) Byzantine, the three honest ones keep
committing under steady signed load, never disagree at any height, hold every acknowledged
transaction with the same result, refuse every forged, stale and invalid message with a clear
logged reason, and nobody crashes.

Method: needs a jointcleard built with JC_BYZANTINE (the asan-ubsan preset; CMake refuses the
option for release build types). `jointclear init` makes a 4-validator consortium with mutual
TLS on 127.0.0.1; node0 starts with `--byzantine honest,equivocate,forge,stale,invalid` and
steps to the next behaviour on SIGUSR1. node0 is the primary of view 0, so it proposes from
the start; when a behaviour needs it to be primary and it is not, the test makes it primary by
pausing (SIGSTOP) each honest primary in turn until the others change view, then resuming it.
Under load (loader threads signing loan.repay / loan.originate / a deliberately incomplete
partnership.propose with jcproc.fast_sign, submitted with `wait` to random honest nodes), the
phases run one after the other:
  equivocate  as primary: two valid blocks for one height to different peers, both to one
              peer; a conflicting vote after each real one;
  forge       broken signatures, messages claiming other validators, truncated and garbage
              bytes, view changes with forged certificates, a NewView without a quorum, forged
              block-sync answers, gossiped envelopes whose signature is not the named signer's;
  stale       replays of captured old messages (other validators' too) and old-view/height votes;
  invalid     as primary: invalid blocks of eleven kinds (bad parent, tx root, badly signed and
              other-chain transactions, over the count and byte limits, a timestamp an hour
              ahead, wrong height, digest not the block's, undecodable bytes, unknown parent).
Each phase ends when (polling, with deadlines; no fixed sleeps) node0's /metrics show its
injections, the honest nodes committed new heights and new receipts were acknowledged, and the
honest logs or metrics show the refusals the behaviour must cause. Throughout, a monitor polls
every node's head: no honest head goes down, no two nodes report different hashes at a height.
At the end: the honest heads converge; every height has the same block hash, parent, tx root,
state root, receipt root and transactions on the three; every acknowledged transaction is on
all three at its acknowledged place with the same status, code, error and result; invariant
digests agree; no process exited on its own; no FATAL line; SIGTERM stops each with status 0.

Bounds: ~60-80 s wall on 2 cores with the sanitizer build; every wait has a deadline.
Usage: byzantine_test.py JOINTCLEAR JOINTCLEARD REFERENCE_PY
(JC_BYZ_SEED repeats the Byzantine layer's choices, JC_BYZ_RATE sets the load, JC_BYZ_KEEP=1
keeps the consortium directory with the node logs.)
"""
import json
import os
import random
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jcproc  # noqa: E402
from jcproc import wait_until  # noqa: E402

JOINTCLEAR, JOINTCLEARD, REFERENCE = sys.argv[1:4]
SEED = int(os.environ.get("JC_BYZ_SEED", str(random.randrange(1 << 31))))
RATE = float(os.environ.get("JC_BYZ_RATE", "30"))
N = 4
BYZ = 0
HONEST = (1, 2, 3)
LOADERS = 3
PHASE_DEADLINE_S = 45
# (behaviour, must node0 be primary, messages it must have injected before the phase ends).
# node0 leads view 0: it equivocates and then proposes invalid blocks as the first primary; the
# invalid blocks force the first view change, so the stale replays include an old view's
# messages; then the test rotates the view back to node0 (view 4) and repeats both attacks as a
# primary that came in through a NewView.
PLAN = (("equivocate", True, 40), ("invalid", True, 20), ("forge", False, 60), ("stale", False, 200),
        ("equivocate", True, 40), ("invalid", True, 20))

FAILURES = []
T0 = time.monotonic()


def say(*args):
    print("[%6.1fs]" % (time.monotonic() - T0), *args, flush=True)


def fail(what):
    FAILURES.append(what)
    say("FAIL:", what)


def injected(c, prefix):
    m = c.metrics(BYZ)
    return {k[len('jointclear_byzantine_injected_total{kind="'):-2]: v for k, v in m.items()
            if k.startswith('jointclear_byzantine_injected_total{kind="' + prefix)}


def refused(c, i):
    m = c.metrics(i)
    key = 'jointclear_consensus_messages_refused_total{reason="'
    return {k[len(key):-2]: v for k, v in m.items() if k.startswith(key)}


class Logs:
    """Reads what the honest nodes logged since a mark."""

    def __init__(self, c):
        self.c = c

    def mark(self):
        return {i: os.path.getsize(self.c.node_dir(i) + "/node.log") for i in range(N)}

    def since(self, i, mark):
        with open(self.c.node_dir(i) + "/node.log", "rb") as f:
            f.seek(mark[i])
            return f.read().decode(errors="replace")

    def refusals_from_byzantine(self, mark):
        """{kind: example line} of 'refused from validator 0' lines in the honest logs since mark."""
        kinds = {}
        for i in HONEST:
            for line in self.since(i, mark).splitlines():
                m = re.search(r"refused from validator %d: ([^:]+(?:: [a-z_ ]+)?): " % BYZ, line)
                if m:
                    kinds.setdefault(m.group(1), "node%d: %s" % (i, line.strip()[:300]))
        return kinds

    def sync_refusals(self, mark):
        return [line for i in HONEST for line in self.since(i, mark).splitlines()
                if "sync: block" in line and ("certificate" in line)]


class Test:
    def __init__(self, c):
        self.c = c
        self.logs = Logs(c)
        self.load = None
        self.figures = []
        self.invalid_reasons = set()
        self.invalid_phases_left = sum(1 for p in PLAN if p[0] == "invalid")

    def status(self, i):
        return self.c.result(i, "getNodeStatus", timeout=3)

    def honest_view(self):
        """(view, primary) that most running honest nodes report."""
        votes = {}
        for i in HONEST:
            if i in self.c.paused:
                continue
            try:
                s = self.status(i)
                votes.setdefault((s["view"], s["primary"]), []).append(i)
            except (OSError, ValueError):
                pass
        if not votes:
            return None, None
        (view, primary), _ = max(votes.items(), key=lambda kv: (len(kv[1]), kv[0][0]))
        return view, primary

    def honest_min_height(self):
        return min(self.c.result(i, "getHeight", timeout=3)["height"] for i in HONEST if i not in self.c.paused)

    def switch(self, behaviour):
        mark = self.logs.mark()
        self.c.procs[BYZ].send_signal(signal.SIGUSR1)
        if not wait_until(lambda: "BYZANTINE: behaviour now %s" % behaviour in self.logs.since(BYZ, mark), 10, 0.1):
            fail("node0 did not switch to %s" % behaviour)
        say("phase %s: node0 switched" % behaviour)

    def make_byzantine_primary(self):
        """Pauses honest primaries one at a time until the honest nodes are in a view node0 leads."""
        for _ in range(5):
            view, primary = self.honest_view()
            if primary == BYZ:
                return view
            if primary is None:
                fail("no honest node reports a primary")
                return None
            say("  pausing honest primary node%d (view %d) to rotate the view towards node0" % (primary, view))
            self.load.avoid.add(primary)
            self.c.pause(primary)
            others = [j for j in HONEST if j != primary]

            def moved():
                return all(self.status(j)["view"] > view for j in others)
            ok = wait_until(moved, 30, 0.1)
            self.c.resume(primary)
            self.load.avoid.discard(primary)
            if not ok:
                fail("the honest nodes did not leave view %d within 30 s of pausing its primary" % view)
                return None
        fail("node0 did not become primary")
        return None

    def progress(self, what, since, height_before, deadline_s=PHASE_DEADLINE_S):
        """Liveness: receipts for 3 transactions submitted after `since`, and 5 new honest
        heights, within the deadline. Returns seconds from `since` to the first such receipt."""
        if not wait_until(lambda: self.load.acked_since(since)[0] >= 3, deadline_s, 0.05):
            fail("fewer than 3 receipts within %ds after %s (liveness)" % (deadline_s, what))
            return None
        if not wait_until(lambda: self.honest_min_height() >= height_before + 5, deadline_s, 0.1):
            fail("the honest nodes did not commit 5 heights within %ds after %s" % (deadline_s, what))
        return self.load.acked_since(since)[1] - since

    def phase(self, behaviour, needs_primary, min_injected, evidence):
        acked0, height0 = self.load.acked_count(), self.honest_min_height()
        refused0 = {i: refused(self.c, i) for i in HONEST}
        inj0 = injected(self.c, behaviour + ".")
        mark = self.logs.mark()
        started = time.monotonic()
        self.switch(behaviour)
        view = None
        if needs_primary:
            view = self.make_byzantine_primary()
            say("  node0 is primary of view %s" % view)
        prefix = behaviour + "."

        def injected_now():
            return sum(injected(self.c, prefix).values()) - sum(inj0.values())
        if not wait_until(lambda: injected_now() > 0, PHASE_DEADLINE_S, 0.1):
            fail("node0 injected nothing in phase %s" % behaviour)
        attack_started = time.monotonic()
        first_receipt_s = self.progress("node0 started to %s" % behaviour, attack_started, self.honest_min_height())
        if not wait_until(lambda: injected_now() >= min_injected, PHASE_DEADLINE_S, 0.1):
            fail("phase %s: node0 injected only %d messages (want %d)" % (behaviour, injected_now(), min_injected))
        evidence(mark, view, refused0)
        self.check_processes()
        inj = {k: v - inj0.get(k, 0) for k, v in injected(self.c, prefix).items() if v - inj0.get(k, 0)}
        ref = {}
        for i in HONEST:
            for k, v in refused(self.c, i).items():
                d = v - refused0[i].get(k, 0)
                if d:
                    ref[k] = ref.get(k, 0) + d
        fig = {"behaviour": behaviour, "seconds": round(time.monotonic() - started, 1),
               "first_receipt_s": round(first_receipt_s, 2) if first_receipt_s is not None else None,
               "heights": self.honest_min_height() - height0, "receipts": self.load.acked_count() - acked0,
               "view_after": self.honest_view()[0], "injected": inj, "honest_refused": ref}
        self.figures.append(fig)
        say("  phase %s done in %.1fs: first receipt after %ss, %d heights, %d receipts, view now %s" %
            (behaviour, fig["seconds"], fig["first_receipt_s"], fig["heights"], fig["receipts"], fig["view_after"]))
        say("    injected: %s" % json.dumps(inj, sort_keys=True))
        say("    honest refusals (sum of 3): %s" % json.dumps(ref, sort_keys=True))

    def wait_refusals(self, mark, wanted, what):
        """Waits until the honest logs hold a 'refused from validator 0' line of every kind in
        `wanted` (each entry a set of acceptable kinds)."""
        def have():
            kinds = self.logs.refusals_from_byzantine(mark)
            return all(any(k in kinds for k in alts) for alts in wanted)
        if not wait_until(have, PHASE_DEADLINE_S, 0.2):
            kinds = self.logs.refusals_from_byzantine(mark)
            fail("%s: honest logs lack refusals %s; they have %s" % (what, wanted, sorted(kinds)))
        kinds = self.logs.refusals_from_byzantine(mark)
        for alts in wanted:
            for k in alts:
                if k in kinds:
                    say("    refused: %s" % kinds[k])
                    break

    def check_processes(self):
        for i, code in self.c.exited_unexpectedly().items():
            fail("node %d exited on its own with %s: %s" % (i, code, self.c.log_tail(i)))
            self.c.procs.pop(i)

    # ---- evidence per behaviour

    def equivocate_evidence(self, mark, view, refused0):
        self.wait_refusals(mark, [{"consensus equivocation"}], "equivocate")

    def forge_evidence(self, mark, view, refused0):
        self.wait_refusals(mark, [{"consensus bad_signature"}, {"consensus undecodable"},
                                  {"consensus bad_view_change", "consensus bad_new_view"},
                                  {"consensus not_primary", "consensus bad_signature"},
                                  {"gossip transaction"}], "forge")
        if not wait_until(lambda: self.logs.sync_refusals(mark), PHASE_DEADLINE_S, 0.2):
            fail("forge: no honest node logged a refused forged sync block")
        else:
            say("    refused: %s" % self.logs.sync_refusals(mark)[0].strip()[:300])

    def stale_evidence(self, mark, view, refused0):
        # Stale refusals are info-level (an honest cluster makes some too), so the check is on
        # the counters: the honest nodes refused at least half of what node0 replayed as stale.
        stale_kinds = ("stale_view", "stale_height", "duplicate")

        def enough():
            sent = sum(injected(self.c, "stale.").values())
            got = sum(refused(self.c, i).get(k, 0) - refused0[i].get(k, 0) for i in HONEST for k in stale_kinds)
            return sent >= 60 and got * 2 >= sent
        if not wait_until(enough, PHASE_DEADLINE_S, 0.2):
            fail("stale: honest refusals do not account for node0's replays")
        self.wait_refusals(mark, [{"consensus stale_view", "consensus stale_height", "consensus duplicate"}], "stale")

    def invalid_evidence(self, mark, view, refused0):
        # No valid block reaches anyone: the honest nodes must leave node0's view, then commit.
        if view is not None:
            if not wait_until(lambda: self.honest_view()[0] > view, PHASE_DEADLINE_S, 0.2):
                fail("invalid: the honest nodes stayed in node0's view %d" % view)
            self.progress("leaving node0's view of invalid blocks", time.monotonic(), self.honest_min_height())
        # Each peer gets a different variant per send, so within a view-change timeout every
        # honest node sees most of them; the logs must name each reason.
        wanted = ["invalid proposal: " + k for k in
                  ("undecodable", "oversize", "digest", "height", "parent", "timestamp", "transaction signature",
                   "transaction chain")]

        # How many fresh heights node0 gets to propose before the view changes varies (heights
        # it proposed in the previous phase are re-sent too, and those count as equivocations),
        # so each phase must show 3 reasons and the two phases together 6 of the 8.
        last = self.invalid_phases_left == 1

        def have():
            kinds = self.logs.refusals_from_byzantine(mark)
            seen_now = {k for k in wanted if k in kinds}
            return len(seen_now) >= 3 and (not last or len(self.invalid_reasons | seen_now) >= 6)
        wait_until(have, 10, 0.2)
        kinds = self.logs.refusals_from_byzantine(mark)
        seen = [k for k in wanted if k in kinds]
        self.invalid_reasons.update(seen)
        if len(seen) < 3:
            fail("invalid: fewer than 3 of the reasons %s refused in the honest logs: %s" % (wanted, sorted(kinds)))
        if last and len(self.invalid_reasons) < 6:
            fail("invalid: over both phases fewer than 6 of the reasons %s refused: %s" %
                 (wanted, sorted(self.invalid_reasons)))
        self.invalid_phases_left -= 1
        for k in sorted(kinds):
            if k.startswith("invalid proposal") or k == "consensus parent_mismatch":
                say("    refused: %s" % kinds[k])


def final_checks(t, c, load, monitor):
    for i in list(c.paused):
        c.resume(i)
    load.join()
    monitor.finish()

    def same_head():
        heads = [c.result(i, "getHeight", timeout=5) for i in HONEST]
        return heads if len({json.dumps(h, sort_keys=True) for h in heads}) == 1 else None
    heads = wait_until(same_head, 60, 0.2)
    if not heads:
        fail("the honest heads did not converge within 60 s: %s" % [c.result(i, "getHeight") for i in HONEST])
        return 0, 0
    height = heads[0]["height"]
    keys = ("hash", "parent_hash", "tx_root", "state_root", "receipt_root", "tx_hashes")
    blocks = {i: c.batch(i, [("getBlock", {"height": h}) for h in range(1, height + 1)]) for i in HONEST}
    tx_location = {}
    for h in range(height):
        first = {k: blocks[HONEST[0]][h].get(k) for k in keys}
        if first["state_root"] is None or first["receipt_root"] is None:
            fail("block %d has no execution results" % (h + 1))
        for i in HONEST[1:]:
            if {k: blocks[i][h].get(k) for k in keys} != first:
                fail("height %d differs between node %d and node %d" % (h + 1, HONEST[0], i))
        if h > 0 and first["parent_hash"] != blocks[HONEST[0]][h - 1]["hash"]:
            fail("block %d does not chain to block %d" % (h + 1, h))
        for k, tx_hash in enumerate(first["tx_hashes"]):
            tx_location.setdefault(tx_hash, (h + 1, k))
    # node0 runs the real replica under its lies: report whether its own ledger agrees.
    byz_head = c.result(BYZ, "getHeight", timeout=5)["height"]
    upto = min(byz_head, height)
    byz_blocks = c.batch(BYZ, [("getBlock", {"height": h}) for h in range(1, upto + 1)])
    byz_agrees = all(byz_blocks[h]["hash"] == blocks[HONEST[0]][h]["hash"] for h in range(upto))
    say("node0 (Byzantine) ledger: head %d, agrees with the honest chain on all %d heights it holds: %s" %
        (byz_head, upto, byz_agrees))

    digests = [c.result(i, "getInvariantDigest", timeout=10) for i in HONEST]
    if len({json.dumps(d, sort_keys=True) for d in digests}) != 1:
        fail("invariant digests differ between honest nodes")
    if not digests[0]["ledger"]["balanced"] or not all(b["consistent"] for b in digests[0]["banks"]):
        fail("ledger invariants broken: %s" % digests[0])
    statuses = {}
    for receipt in load.acked.values():
        statuses[receipt["status"]] = statuses.get(receipt["status"], 0) + 1
    say("acknowledged receipts by status: %s" % statuses)
    if statuses.get("OK", 0) < len(load.acked) // 2:
        fail("most of the load should succeed, got %s" % statuses)
    acked = sorted(load.acked.items())
    fields = ("tx_hash", "height", "index", "status", "code", "error", "result")
    for i in HONEST:
        got = c.batch(i, [("getReceipt", {"tx_hash": h}) for h, _ in acked])
        for (tx_hash, receipt), mine in zip(acked, got):
            if mine is None or any(mine.get(f) != receipt.get(f) for f in fields):
                fail("node %d: acknowledged %s is %s, the client got %s" % (i, tx_hash[:16], mine, receipt))
            elif tx_location.get(tx_hash) != (receipt["height"], receipt["index"]):
                fail("acknowledged %s is not in block %d at index %d" % (tx_hash[:16], receipt["height"], receipt["index"]))
    unacked = sorted(set(load.unacked) - set(load.acked))
    views = [c.batch(i, [("getReceipt", {"tx_hash": h}) for h in unacked]) for i in HONEST]
    for k, tx_hash in enumerate(unacked):
        if len({json.dumps(v[k], sort_keys=True) for v in views}) != 1:
            fail("unacknowledged %s differs between honest nodes" % tx_hash[:16])
    return len(acked), height


class _Kept:
    def __enter__(self):
        return tempfile.mkdtemp(prefix="jc-byz-")

    def __exit__(self, *exc):
        return False


def main():
    say("byzantine_test seed=%d rate=%g tx/s" % (SEED, RATE))
    jcproc.init_reference(REFERENCE)
    # JC_BYZ_KEEP=1 keeps the consortium directory (configs, stores, node logs) for a look.
    keep = os.environ.get("JC_BYZ_KEEP") == "1"
    with (tempfile.TemporaryDirectory(prefix="jc-byz-") if not keep else _Kept()) as root:
        if keep:
            say("keeping %s" % root)
        c = jcproc.Cluster(JOINTCLEAR, JOINTCLEARD, root, N, banks=("WEBANK", "HUARUI", "BANKC"))
        t = Test(c)
        checked = height = 0
        try:
            c.start(BYZ, ["--byzantine", ",".join(["honest"] + [p[0] for p in PLAN]), "--byzantine-seed", str(SEED)])
            for i in HONEST:
                c.start(i)
            if not wait_until(lambda: all(c.ready(i) for i in range(N)), 60, 0.1):
                fail("cluster not ready: %s" % [c.log_tail(i, 5) for i in range(N)])
                raise SystemExit(1)
            if "BYZANTINE TEST BUILD" not in t.logs.since(BYZ, {i: 0 for i in range(N)}):
                fail("node0 does not say it is Byzantine")
            deals, loans = jcproc.setup_money(c, HONEST[0], fail, tag="BZ", base_loans=3, borrower_tag="byz")
            say("setup committed (partnerships and base loans)")
            t.load = load = jcproc.Load(c, deals, loans, fail, targets=HONEST, threads=LOADERS, rate=RATE, seed=SEED,
                                        ref_prefix="B", timeout_ms=10000, borrower_tag="byz")
            monitor = jcproc.Monitor(c, fail, call_timeout_s=2)
            for th in load.threads:
                th.start()
            monitor.thread.start()
            if not wait_until(lambda: load.acked_count() > 0, 30, 0.05):
                fail("no receipt under honest load")
            for behaviour, needs_primary, min_injected in PLAN:
                if len(FAILURES) >= 5:
                    break
                t.phase(behaviour, needs_primary, min_injected, getattr(t, behaviour + "_evidence"))
            say("phases done; checking")
            checked, height = final_checks(t, c, load, monitor)
            for i in range(N):
                with open(c.node_dir(i) + "/node.log", "rb") as f:
                    fatal = [line for line in f.read().splitlines() if b"FATAL" in line]
                if fatal:
                    fail("node %d logged FATAL: %s" % (i, fatal[0].decode(errors="replace")))
            t.check_processes()
            for i in list(c.procs):
                code = c.kill(i, signal.SIGTERM, timeout=60)
                if code != 0:
                    fail("node %d exited %s on SIGTERM" % (i, code))
            say("acknowledged transactions checked on 3 honest validators: %d; heights compared: %d; head samples: %d" %
                (checked, height, monitor.samples))
            say("figures: %s" % json.dumps(t.figures, sort_keys=True))
        finally:
            c.close()
    say("%s (seed %d)" % ("FAILED: %d failures" % len(FAILURES) if FAILURES else "PASSED", SEED))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
