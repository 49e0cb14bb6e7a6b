#!/usr/bin/env python3
"""Overload: does a 4-validator cluster degrade gracefully (issue 11, PERFORMANCE.md)?

Offered far more than it can hold, a node must answer POOL_FULL quickly instead of queueing
without bound, keep the latency of what it admitted bounded, and keep its memory flat.

Method: `jointclear init` a fresh consortium in --out with a small pool (`pool.txs_max`, default
400), start it, and drive it flat out with more requests in flight than the pool holds
(`bench --batch 1 --connections C`: 4 x C submissions waiting at once, each its own request so
a refusal is answered on its own). Every 0.5 s it samples each jointcleard's resident memory
(VmRSS in /proc/<pid>/status). It reports committed tx/s, how many submissions were refused and
why, the latency of the committed ones (send to durable receipt) and of the refusals (send to
the error answer), and each node's RSS after the warm-up: first, peak and last sample.
It exits 1 if nothing was refused (the run did not overload the cluster) or a node died.

Usage: scripts/bench_overload.py --out DIR [--txs 40000] [--pool 400] [--connections 200] [--json] [--keep]
   env JOINTCLEAR=build/release/tools/jointclear
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

JOINTCLEAR = os.environ.get("JOINTCLEAR", "build/release/tools/jointclear")


def jc(*args):
    p = subprocess.run([JOINTCLEAR, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_overload: `jointclear {' '.join(args)}` failed ({p.returncode}): "
                 f"{(p.stderr or p.stdout).strip()[-300:]}")
    return p.stdout


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def metrics(cluster, node, names):
    """The named counters from a node's /metrics (view changes, dropped gossip, ...)."""
    with open(os.path.join(cluster, node, "config.json")) as f:
        listen = json.load(f)["rpc"]["listen"]
    with urllib.request.urlopen(f"http://{listen}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for name in names:
        m = re.search(rf"^{name} (\d+)$", text, re.M)
        out[name.removeprefix("jointclear_")] = int(m.group(1)) if m else None
    return out


class Sampler(threading.Thread):
    """VmRSS of each node every 0.5 s, with the time of each sample."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.samples = {name: [] for name in pids}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            now = time.monotonic()
            for name, pid in self.pids.items():
                kib = rss_kib(pid)
                if kib is not None:
                    self.samples[name].append((now, kib))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory for the fresh consortium (must not exist)")
    ap.add_argument("--txs", type=int, default=40000)
    ap.add_argument("--pool", type=int, default=400, help="pool.txs_max of every node")
    ap.add_argument("--connections", type=int, default=200, help="per validator, one request in flight each")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the cluster running")
    a = ap.parse_args()

    jc("init", "--out", a.out, "--validators", "4", "--banks", "WEBANK,HUARUI,BANKC")
    nodes = sorted(d for d in os.listdir(a.out) if os.path.isfile(os.path.join(a.out, d, "config.json")))
    for n in nodes:
        path = os.path.join(a.out, n, "config.json")
        with open(path) as f:
            config = json.load(f)
        config.setdefault("pool", {})["txs_max"] = a.pool
        config["rpc"]["connections_max"] = max(512, a.connections + 64)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
    jc("cluster", "up", a.out)
    try:
        pids = {}
        for n in nodes:
            with open(os.path.join(a.out, n, "jointcleard.pid")) as f:
                pids[n] = int(f.read().split()[0])
        sampler = Sampler(pids)
        sampler.start()
        started = time.monotonic()
        warmup = a.txs // 10
        out = jc("bench", "--cluster", a.out, "--txs", str(a.txs), "--warmup", str(warmup), "--batch", "1",
                 "--connections", str(a.connections), "--allow-refused", "--json")
        sampler.done.set()
        sampler.join()
        b = json.loads(out)
        dead = [n for n, pid in pids.items() if rss_kib(pid) is None]
        counters = {n: metrics(a.out, n, ["jointclear_view_changes_total", "jointclear_gossip_txs_pool_full_total",
                                          "jointclear_txs_refused_total"])
                    for n in nodes if n not in dead}
        # RSS after the warm-up: skip the first tenth of the run's samples (start-up, setup).
        memory = {}
        for n, s in sampler.samples.items():
            after = s[len(s) // 10:] or s
            kib = [k for _, k in after]
            memory[n] = {"first_mib": round(kib[0] / 1024, 1), "peak_mib": round(max(kib) / 1024, 1),
                         "last_mib": round(kib[-1] / 1024, 1)} if kib else {}
        result = {
            "pool_txs_max": a.pool,
            "in_flight": a.connections * len(nodes),
            "measured": b["txs"],
            "committed": b["committed"],
            "tps": round(b["tps"], 1),
            "refused": b["errors"],
            "latency_ms": b["latency_ms"],
            "refused_latency_ms": b["refused_latency_ms"],
            "rss": memory,
            "counters": counters,
            "seconds": round(time.monotonic() - started, 1),
            "dead": dead,
        }
    finally:
        if not a.keep:
            subprocess.run([JOINTCLEAR, "cluster", "down", a.out], capture_output=True)
    if a.json:
        print(json.dumps(result))
    else:
        print(f"overload: pool {a.pool} txs, {result['in_flight']} submissions in flight; committed "
              f"{result['committed']} of {result['measured']} at {result['tps']} tx/s; refused {result['refused']}")
        lat, ref = result["latency_ms"], result["refused_latency_ms"]
        print(f"  committed latency p50 {lat['p50']:.0f} ms  p99 {lat['p99']:.0f} ms  max {lat['max']:.0f} ms")
        print(f"  refusal latency   p50 {ref['p50']:.1f} ms  p99 {ref['p99']:.1f} ms  max {ref['max']:.1f} ms")
        for n, m in memory.items():
            print(f"  {n} RSS after warm-up: first {m.get('first_mib')} MiB, peak {m.get('peak_mib')} MiB, "
                  f"last {m.get('last_mib')} MiB; {counters.get(n)}")
    if dead:
        sys.exit(f"bench_overload: {', '.join(dead)} died during the run")
    if not result["refused"]:
        sys.exit("bench_overload: nothing was refused; raise --connections or lower --pool to overload")


if __name__ == "__main__":
    main()
