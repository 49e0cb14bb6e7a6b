#!/usr/bin/env python3
"""Measures PERFORMANCE.md's P3: a validator restarted after missing N transactions is back in
consensus within 15 s.

Method, against a running cluster of `jointclear init` (4 validators):
  1. stop one validator (default the last) with `jointclear cluster stop`;
  2. commit N transactions through the others with `jointclear bench --nodes ...` (flat out);
  3. start it again with `jointclear cluster start` and poll `getNodeStatus` on every node until the
     restarted one is back: not syncing, at the others' view, and at or past the height the
     others had when it started. That time is P3's figure. Then, as a check that it takes part,
     50 transactions sent only to it (`bench --nodes <it>`) must all commit.
It prints the time to catch up and the blocks and transactions it missed, as text or one JSON
line (--json). Polls have deadlines; nothing sleeps
and hopes.

Because wall time on a shared machine moves with other people's work, it also reports what load
distorts less: the restarted validator's CPU seconds from its start to the moment it was back
(utime + stime from /proc, per thread name too), and the 1-minute load average at the start and at
the end. --perf FILE records the restarted validator with `perf record -g` from its start until it is
back (perf attaches a few ms after the process starts).

Usage: scripts/bench_catchup.py CLUSTER_DIR [--txs 100000] [--node node3] [--deadline 300] [--json]
                                [--perf FILE]
   env JOINTCLEAR=build/release/tools/jointclear
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

JOINTCLEAR = os.environ.get("JOINTCLEAR", "build/release/tools/jointclear")


def run(*args, capture=True):
    p = subprocess.run([JOINTCLEAR, *args], capture_output=capture, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_catchup: `jointclear {' '.join(args)}` failed ({p.returncode}): "
                 f"{(p.stderr or '').strip().splitlines()[-1:] or ''}")
    return p.stdout


def status(cluster, node):
    """getNodeStatus of one node, or None while it does not answer."""
    p = subprocess.run([JOINTCLEAR, "call", "--cluster", cluster, "--node", str(node), "--json",
                        "--timeout-ms", "2000", "getNodeStatus"], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def cpu_seconds(pid):
    """utime + stime of a process and of each of its threads by name, in seconds; None if gone."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(path):
        with open(path) as f:
            text = f.read()
        fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    try:
        total = stat(f"/proc/{pid}/stat")
        threads = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
                threads[name] = round(threads.get(name, 0) + stat(f"/proc/{pid}/task/{tid}/stat"), 2)
            except OSError:
                continue  # the thread ended
        return total, threads
    except OSError:
        return None


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cluster")
    ap.add_argument("--txs", type=int, default=100000, help="transactions the validator misses")
    ap.add_argument("--node", default="", help="validator to restart (default: the last)")
    ap.add_argument("--deadline", type=float, default=300, help="give up on catching up after this many s")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--perf", default="", help="perf record -g the restarted validator into this file")
    a = ap.parse_args()

    nodes = [d for d in sorted(os.listdir(a.cluster)) if os.path.isfile(os.path.join(a.cluster, d, "config.json"))]
    if len(nodes) < 4:
        sys.exit(f"bench_catchup: {a.cluster} has {len(nodes)} validators; P3 needs 4")
    victim = a.node or nodes[-1]
    if victim not in nodes:
        sys.exit(f"bench_catchup: no node {victim} in {a.cluster} ({', '.join(nodes)})")
    others = [n for n in nodes if n != victim]

    run("cluster", "stop", a.cluster, victim)
    before = status(a.cluster, others[0])
    print(f"bench_catchup: {victim} stopped at cluster height {before['height']}; "
          f"committing {a.txs} transactions through {', '.join(others)}", file=sys.stderr)
    bench = json.loads(run("bench", "--cluster", a.cluster, "--nodes", ",".join(others),
                           "--txs", str(a.txs), "--warmup", "0", "--json"))
    missed_from = status(a.cluster, others[0])
    target = missed_from["height"]

    load_at_start = load1()
    started = time.monotonic()
    run("cluster", "start", a.cluster, victim)
    with open(os.path.join(a.cluster, victim, "jointcleard.pid")) as f:
        pid = int(f.read().strip())
    perf = None
    if a.perf:
        perf = subprocess.Popen(["perf", "record", "-g", "-q", "-o", a.perf, "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught_up = None
    cpu = None
    last = None
    while time.monotonic() - started < a.deadline:
        s = status(a.cluster, victim)
        ref = status(a.cluster, others[0])
        if s is not None and ref is not None:
            last = s
            if not s["syncing"] and s["view"] == ref["view"] and s["height"] >= target:
                caught_up = time.monotonic() - started
                cpu = cpu_seconds(pid)
                break
        time.sleep(0.05)  # poll interval, not a wait for an outcome: the deadline bounds the loop
    if perf is not None:
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=60)
    if caught_up is None:
        sys.exit(f"bench_catchup: {victim} not back within {a.deadline:.0f} s (last status {last}); "
                 f"the others are at height {target}")

    # Taking part: transactions sent only to the restarted validator commit only if it gossips
    # them and the quorum (which needs it or all three others) orders them.
    own = json.loads(run("bench", "--cluster", a.cluster, "--nodes", victim, "--txs", "50",
                         "--warmup", "0", "--connections", "2", "--batch", "10", "--json"))
    if own["committed"] != own["txs"]:
        sys.exit(f"bench_catchup: only {own['committed']} of {own['txs']} transactions sent to {victim} committed")

    result = {
        "p3_missed_txs": bench["committed"],
        "missed_blocks": target - before["height"],
        "bench_tps_while_down": bench["tps"],
        "caught_up_s": round(caught_up, 3),
        "cpu_s": round(cpu[0], 2) if cpu else None,
        "cpu_s_by_thread": cpu[1] if cpu else None,
        "load1_at_start": load_at_start,
        "load1_at_end": load1(),
        "own_txs_committed": own["committed"],
        "target_s": 15,
        "height": target,
        "node": victim,
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(f"P3: {victim} missed {bench['committed']} transactions ({result['missed_blocks']} blocks); "
              f"after its start it was back in consensus in {caught_up:.2f} s (target 15 s), having used "
              f"{result['cpu_s']} CPU s {result['cpu_s_by_thread']} (load {load_at_start} -> {result['load1_at_end']}); "
              f"{own['committed']} transactions sent only to it then committed")


if __name__ == "__main__":
    main()
