#!/usr/bin/env python3
"""Draws `jointclear bench --json` results as one SVG: throughput against offered load, and
latency percentiles against offered load. For operators sizing a deployment (issue 11).

Input: JSON lines, one bench result per line (the output of `jointclear bench --json`, e.g.
collected by scripts/bench_sweep.sh). Runs with the same offered rate are summarised by their
median; a flat-out run (rate_offered 0) is drawn as a horizontal reference line, not a point.
Output: a self-contained SVG (no fonts or scripts fetched), written to --out.

Usage: bench_plot.py --out docs/img/bench.svg results.jsonl [more.jsonl ...]
Only the standard library: the plot must be reproducible on a bare Debian 12 machine.
"""
import argparse
import json
import math
import statistics
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 960, 420
PANEL_W, PANEL_H = 380, 300
MARGIN_L, MARGIN_T = 70, 60
GAP = 100
COLOURS = {"tps": "#1f5fa8", "p50": "#2e8b57", "p90": "#d2891c", "p99": "#c0392b", "flat": "#888888"}


def load(paths):
    runs = []
    for path in paths:
        with (sys.stdin if path == "-" else open(path)) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    run = json.loads(line)
                    float(run["rate_offered"]), float(run["tps"])
                    for p in ("p50", "p90", "p99"):
                        float(run["latency_ms"][p])
                except (ValueError, KeyError, TypeError) as e:
                    raise SystemExit("bench_plot: %s line %d is not a bench --json result: %s" % (path, number, e))
                runs.append(run)
    if not runs:
        raise SystemExit("bench_plot: no bench results in the input")
    return runs


def summarise(runs):
    """{offered rate: medians} over the open-loop runs, and the median flat-out tps (or None)."""
    by_rate = {}
    for run in runs:
        by_rate.setdefault(float(run["rate_offered"]), []).append(run)
    points = {}
    for rate, group in sorted(by_rate.items()):
        if rate <= 0:
            continue
        points[rate] = {
            "tps": statistics.median(float(r["tps"]) for r in group),
            "p50": statistics.median(float(r["latency_ms"]["p50"]) for r in group),
            "p90": statistics.median(float(r["latency_ms"]["p90"]) for r in group),
            "p99": statistics.median(float(r["latency_ms"]["p99"]) for r in group),
            "runs": len(group),
        }
    flat = [float(r["tps"]) for r in by_rate.get(0.0, [])]
    return points, (statistics.median(flat) if flat else None)


def nice_ceiling(value):
    """The smallest 1, 2 or 5 × 10^k at or above value (axis ends on a round number)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * 10 ** exp >= value:
            return float(step * 10 ** exp)
    return float(10 ** (exp + 1))


def fmt(v):
    return "{:,}".format(int(round(v))) if v >= 10 else ("%g" % round(v, 1))


class Panel:
    def __init__(self, x0, title, x_max, y_min, y_max, y_label, log_y=False):
        self.x0, self.y0 = x0, MARGIN_T
        self.x_max, self.y_min, self.y_max, self.log_y = x_max, y_min, y_max, log_y
        self.out = [
            '<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>' % (x0, MARGIN_T - 25, escape(title)),
            '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (x0, MARGIN_T, PANEL_W, PANEL_H),
            '<text x="%d" y="%d" font-size="12" text-anchor="middle">offered load (tx/s)</text>'
            % (x0 + PANEL_W // 2, MARGIN_T + PANEL_H + 38),
            '<text x="%d" y="%d" font-size="12" text-anchor="middle" transform="rotate(-90 %d %d)">%s</text>'
            % (x0 - 52, MARGIN_T + PANEL_H // 2, x0 - 52, MARGIN_T + PANEL_H // 2, escape(y_label)),
        ]
        for k in range(5):
            xv = x_max * k / 4
            px = self.px(xv)
            self.out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (px, MARGIN_T, px, MARGIN_T + PANEL_H))
            self.out.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
                            % (px, MARGIN_T + PANEL_H + 16, fmt(xv)))
        for yv in self.y_ticks():
            py = self.py(yv)
            self.out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, py, x0 + PANEL_W, py))
            self.out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>' % (x0 - 6, py + 4, fmt(yv)))

    def y_ticks(self):
        if not self.log_y:
            return [self.y_max * k / 4 for k in range(5)]
        ticks, v = [], self.y_min
        while v <= self.y_max * 1.0001:
            ticks.append(v)
            v *= 10
        return ticks

    def px(self, x):
        return self.x0 + PANEL_W * x / self.x_max

    def py(self, y):
        if self.log_y:
            y = max(y, self.y_min)
            frac = math.log10(y / self.y_min) / math.log10(self.y_max / self.y_min)
        else:
            frac = y / self.y_max
        return self.y0 + PANEL_H * (1 - min(max(frac, 0.0), 1.0))

    def series(self, xs, ys, colour, label, slot):
        pts = " ".join("%.1f,%.1f" % (self.px(x), self.py(y)) for x, y in zip(xs, ys))
        self.out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (pts, colour))
        for x, y in zip(xs, ys):
            self.out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (self.px(x), self.py(y), colour))
        self.legend(colour, label, slot)

    def hline(self, y, colour, label, slot, dash="6,4"):
        py = self.py(y)
        self.out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>'
                        % (self.x0, py, self.x0 + PANEL_W, py, colour, dash))
        self.legend(colour, label, slot)

    def legend(self, colour, label, slot):
        lx, ly = self.x0 + 10, MARGIN_T + 16 + 16 * slot
        self.out.append('<rect x="%d" y="%d" width="12" height="4" fill="%s"/>' % (lx, ly - 5, colour))
        self.out.append('<text x="%d" y="%d" font-size="11">%s</text>' % (lx + 18, ly, escape(label)))


def render(points, flat_tps, title):
    rates = sorted(points)
    x_max = nice_ceiling(max(rates) if rates else (flat_tps or 1))
    tps = [points[r]["tps"] for r in rates]
    y_max = nice_ceiling(max(tps + [flat_tps or 0, x_max]))
    left = Panel(MARGIN_L, "Committed throughput", x_max, 0, y_max, "committed tx/s (durable receipts)")
    slot = 0
    left.out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="2,3"/>'
                    % (left.px(0), left.py(0), left.px(min(x_max, y_max)), left.py(min(x_max, y_max))))
    if rates:
        left.series(rates, tps, COLOURS["tps"], "committed (median of runs)", slot)
        slot += 1
    if flat_tps is not None:
        left.hline(flat_tps, COLOURS["flat"], "flat out: %s tx/s" % fmt(flat_tps), slot)
        slot += 1
    left.legend("#bbb", "committed = offered", slot)
    lat_values = [points[r][p] for r in rates for p in ("p50", "p90", "p99")]
    lat_min = 10 ** math.floor(math.log10(max(min(lat_values), 0.1))) if lat_values else 1.0
    lat_max = 10 ** math.ceil(math.log10(max(lat_values))) if lat_values else 10.0
    if lat_max <= lat_min:
        lat_max = lat_min * 10
    right = Panel(MARGIN_L + PANEL_W + GAP, "Latency, submit to durable receipt", x_max, lat_min, lat_max,
                  "milliseconds (log scale)", log_y=True)
    for slot, p in enumerate(("p50", "p90", "p99")):
        if rates:
            right.series(rates, [points[r][p] for r in rates], COLOURS[p], p, slot)
    body = left.out + right.out
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
        'font-family="DejaVu Sans, Arial, sans-serif">' % (WIDTH, HEIGHT, WIDTH, HEIGHT),
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="%d" y="18" font-size="13" fill="#444">%s</text>' % (MARGIN_L, escape(title)),
        *body,
        "</svg>",
        "",
    ])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="SVG file to write")
    parser.add_argument("--title", default="", help="a caption line (machine, date, build)")
    parser.add_argument("inputs", nargs="+", help="JSON-lines files of bench results ('-' for stdin)")
    args = parser.parse_args(argv)
    runs = load(args.inputs)
    points, flat = summarise(runs)
    validators = sorted({int(r.get("validators", 0)) for r in runs})
    title = args.title or "jointclear bench, %s validator(s), %d runs" % ("/".join(map(str, validators)), len(runs))
    svg = render(points, flat, title)
    with open(args.out, "w") as f:
        f.write(svg)
    for rate in sorted(points):
        p = points[rate]
        print("offered %8s  committed %8s  p50 %7.1f  p90 %7.1f  p99 %7.1f ms  (%d runs)"
              % (fmt(rate), fmt(p["tps"]), p["p50"], p["p90"], p["p99"], p["runs"]))
    if flat is not None:
        print("flat out           committed %8s" % fmt(flat))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
