"""Goal: the Grafana dashboard shows only series a JointClear node really exports, and covers
the ones operators need (issue 10). Method: the exported names come from a live node's
GET /metrics (the # TYPE lines, histograms expanded to _bucket/_sum/_count); every metric name
in every panel query must be among them, and each required series must appear in some query.
A misspelled copy of the dashboard must fail (self-test).

Usage: python3 check_dashboard.py DASHBOARD_JSON METRICS_TEXT
"""
import json
import re
import sys

REQUIRED = {
    "height": "jointclear_height",
    "view changes": "jointclear_view_changes_total",
    "committed tx/s": "jointclear_txs_committed_total",
    "commit latency": "jointclear_block_commit_seconds_bucket",
    "pool": "jointclear_pool_txs",
    "peers": "jointclear_peers",
    "RPC errors": "jointclear_rpc_errors_total",
}


def exported(metrics_text):
    names = set()
    for line in metrics_text.splitlines():
        m = re.match(r"# TYPE (\w+) (\w+)$", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
    return names


def problems(dashboard, names):
    out = []
    used = set()
    ids = set()
    exprs = [("templating " + v["name"], v["query"]) for v in dashboard["templating"]["list"]]
    for p in dashboard["panels"]:
        if p["id"] in ids:
            out.append(f"panel id {p['id']} repeats")
        ids.add(p["id"])
        if not p.get("targets"):
            out.append(f"panel {p['title']!r} has no query")
        g = p["gridPos"]
        if g["x"] + g["w"] > 24:
            out.append(f"panel {p['title']!r} is wider than the grid")
        exprs += [(p["title"], t["expr"]) for t in p.get("targets", [])]
    for where, expr in exprs:
        # Metric names: identifiers not followed by "(" (functions) and not label names or
        # PromQL keywords; ours all start with jointclear_, anything else is a typo or foreign.
        for token in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{\[)])", expr):
            if token.startswith("jointclear_"):
                used.add(token)
                if token not in names:
                    out.append(f"{where}: {token} is not exported by the node")
        for token in re.findall(r"\bjointclear_\w+", expr):
            if token not in names:
                out.append(f"{where}: {token} is not exported by the node")
            used.add(token)
    for what, name in REQUIRED.items():
        if name not in names:
            out.append(f"the node no longer exports {name} ({what})")
        if name not in used:
            out.append(f"no panel shows {what} ({name})")
    return sorted(set(out))


def all_exprs(dashboard):
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def main():
    dashboard = json.load(open(sys.argv[1]))
    names = exported(open(sys.argv[2]).read())
    if len(names) < 10:
        sys.exit(f"FAIL: only {len(names)} metric names in the node's /metrics")
    found = problems(dashboard, names)
    if found:
        sys.exit("\n".join("FAIL: " + f for f in found))
    # Self-test: one misspelled series must be caught.
    bad = json.loads(json.dumps(dashboard))
    bad["panels"][0]["targets"][0]["expr"] = bad["panels"][0]["targets"][0]["expr"].replace(
        "jointclear_height", "jointclear_heigth")
    if not problems(bad, names):
        sys.exit("FAIL: self-test: a misspelled metric was not caught")
    shown = {n for n in names if any(n in e for _, e in all_exprs(dashboard))}
    families = {n for n in names if not n.endswith(("_bucket", "_sum", "_count"))}
    missing = sorted(n for n in families if not any(m.startswith(n) for m in shown))
    note = f"; not shown: {', '.join(missing)} (add panels to deploy/grafana/jointclear.json)" if missing else ""
    print(f"check_dashboard: {len(dashboard['panels'])} panels use only the node's {len(names)} series{note}")


main()
