#!/usr/bin/env python3
"""CPU per committed transaction per node: the load-resistant figure for issue 11 (ADR 0105).

Wall-clock tx/s on this shared 2-core machine moves by 2x with other people's builds; the CPU a
validator spends per transaction moves far less. This runs `jointclear bench` against a running
cluster and reads, for every jointcleard, utime + stime and minor page faults from
/proc/<pid>/stat and its /metrics counters before and after; it prints CPU microseconds and page
faults per committed transaction per node (a fault costs ~11 us on this machine, ADR 0174), the
secp256k1 work per committed transaction (transaction signature checks, consensus checks and
signatures, from the node's counters), transactions per block, the bench's tx/s and latency, and
the load average before and after. Bench options after `--` are passed through.

Usage: scripts/bench_cpu.py --cluster DIR [--json] [-- --txs 10000 ...]
   env JOINTCLEAR=build/release/tools/jointclear
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.request

JOINTCLEAR = os.environ.get("JOINTCLEAR", "build/release/tools/jointclear")
COUNTERS = ("txs_committed_total", "blocks_committed_total", "tx_signature_checks_total",
            "consensus_signature_checks_total", "consensus_signatures_total", "gossip_txs_late_total",
            "verified_txs_cache_evictions_total", "view_changes_total")


def nodes(cluster):
    out = []
    for name in sorted(os.listdir(cluster)):
        config = os.path.join(cluster, name, "config.json")
        pid_file = os.path.join(cluster, name, "jointcleard.pid")
        if os.path.isfile(config):
            if not os.path.isfile(pid_file):
                sys.exit(f"bench_cpu: {name} is not running (no {pid_file}); `jointclear cluster up {cluster}` first")
            with open(config) as f:
                listen = json.load(f)["rpc"]["listen"]
            with open(pid_file) as f:
                out.append({"name": name, "pid": int(f.read().strip()), "rpc": listen})
    if not out:
        sys.exit(f"bench_cpu: no node directories in {cluster}")
    return out


def cpu_and_faults(pid):
    """utime + stime in seconds, and minor page faults (ADR 0174: ~11 us each on this machine)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is stat's field 3 (state)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[7])


def counters(node):
    with urllib.request.urlopen(f"http://{node['rpc']}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for name in COUNTERS:
        m = re.search(rf"^jointclear_{name} (\d+)$", text, re.M)
        out[name] = int(m.group(1)) if m else 0
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("bench_args", nargs="*")
    args = ap.parse_args()
    ns = nodes(args.cluster)
    before = [(cpu_and_faults(n["pid"]), counters(n)) for n in ns]
    load_before = loadavg()
    bench = subprocess.run([JOINTCLEAR, "bench", "--cluster", args.cluster, "--json", *args.bench_args],
                           capture_output=True, text=True)
    after = [(cpu_and_faults(n["pid"]), counters(n)) for n in ns]
    load_after = loadavg()
    try:
        result = json.loads(bench.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        sys.exit(f"bench_cpu: bench printed no result ({bench.returncode}): {bench.stderr.strip()[-300:]}")
    per_node = []
    for n, ((c0, f0), m0), ((c1, f1), m1) in zip(ns, before, after):
        d = {k: m1[k] - m0[k] for k in COUNTERS}
        txs = max(1, d["txs_committed_total"])
        per_node.append({
            "node": n["name"],
            "cpu_s": round(c1 - c0, 3),
            "committed": d["txs_committed_total"],
            "cpu_us_per_tx": round((c1 - c0) * 1e6 / txs, 1),
            "minor_faults_per_tx": round((f1 - f0) / txs, 3),
            "tx_signature_checks_per_tx": round(d["tx_signature_checks_total"] / txs, 3),
            "consensus_signature_ops_per_tx": round(
                (d["consensus_signature_checks_total"] + d["consensus_signatures_total"]) / txs, 4),
            "txs_per_block": round(txs / max(1, d["blocks_committed_total"]), 1),
            "gossip_late": d["gossip_txs_late_total"],
            "cache_evictions": d["verified_txs_cache_evictions_total"],
            "view_changes": d["view_changes_total"],
        })
    out = {"nodes": per_node, "tps": result.get("tps"), "latency_ms": result.get("latency_ms"),
           "verify_per_second": result.get("verify_per_second"), "failed": result.get("failed"),
           "load_before": load_before, "load_after": load_after}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"bench: {out['tps']:.0f} tx/s, latency {out['latency_ms']}, load {load_before} -> {load_after}")
        for p in per_node:
            print(f"  {p['node']}: {p['cpu_us_per_tx']} us CPU per committed tx ({p['committed']} txs, "
                  f"{p['cpu_s']} s), {p['tx_signature_checks_per_tx']} tx signature checks per tx, "
                  f"{p['consensus_signature_ops_per_tx']} consensus signature ops per tx, "
                  f"{p['txs_per_block']} txs per block, {p['minor_faults_per_tx']} minor page faults per tx")
    return 1 if bench.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
