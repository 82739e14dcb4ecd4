#!/usr/bin/python3
"""bench/plot: one SVG chart per bench/results/NAME.json (bench/benchlib.py's
rows), written by hand (no plotting library): whole-process time against the
dump file's size, one series per tool and command (vmtriage's, drgn's,
crash's), axes in log scale when the values span more than 20x, axis
labels and a legend; each point's <title> names its dump.
Usage: bench/plot.py [RESULTS.json...]   (default bench/results/*.json;
       each chart is written next to its JSON as NAME.svg)
"""
import glob
import html
import json
import math
import os
import sys

FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""
# vmtriage in blues and greens, drgn in oranges, crash in reds, others grey.
PALETTE = {
    "vmtriage": ["#1f5fbf", "#2ca02c", "#17becf", "#6a3d9a", "#4c8cff", "#1b7a4a",
                 "#7f7fff", "#0b3d6b", "#59a14f", "#76b7b2"],
    "drgn": ["#ff7f0e", "#d4a017", "#b5651d", "#ffb347"],
    "crash": ["#d62728", "#9e1b32", "#e377c2"],
}
MARKER = {"vmtriage": "circle", "drgn": "square", "crash": "triangle"}
LOG_SPAN = 20          # max/min above which an axis is logarithmic


class Axis:
    """A value range mapped onto [lo_px, hi_px]; logarithmic when wide."""

    def __init__(self, values, lo_px, hi_px, log=None):
        vs = [v for v in values if v is not None and v > 0]
        lo, hi = (min(vs), max(vs)) if vs else (1.0, 10.0)
        self.log = hi / lo > LOG_SPAN if log is None else log
        if self.log:
            lo, hi = lo / 1.5, hi * 1.5
        else:
            span = (hi - lo) or hi or 1.0
            lo, hi = max(0.0, lo - 0.1 * span), hi + 0.1 * span
            if lo < 0.25 * hi:
                lo = 0.0
        if lo == hi:
            lo, hi = lo / 2, hi * 2
        self.lo, self.hi, self.lo_px, self.hi_px = lo, hi, lo_px, hi_px

    def _t(self, v):
        return math.log10(v) if self.log else v

    def px(self, v):
        a, b = self._t(self.lo), self._t(self.hi)
        return self.lo_px + (self._t(v) - a) / (b - a) * (self.hi_px - self.lo_px)

    def ticks(self):
        """Tick values inside the range: powers of ten (and 2, 5 times them
        when fewer than 3 powers fall inside), or a 1-2-5 step."""
        if self.log:
            e0, e1 = math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi))
            out = [10.0 ** e for e in range(e0, e1 + 1)]
            if sum(self.lo <= t <= self.hi for t in out) < 3:
                out = [m * 10.0 ** e for e in range(e0, e1 + 1) for m in (1, 2, 5)]
        else:
            raw = (self.hi - self.lo) / 5
            mag = 10 ** math.floor(math.log10(raw))
            step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
            out = [step * i for i in range(math.ceil(self.lo / step), math.floor(self.hi / step) + 1)]
        return [t for t in out if self.lo <= t <= self.hi * (1 + 1e-9)]


def fmt_bytes(n):
    for unit, f in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= f:
            return f"{n / f:g} {unit}"
    return f"{n:g} B"


def fmt_seconds(s):
    return f"{s:g} s" if s >= 0.001 else f"{s * 1e3:g} ms"


def series_of(rows):
    """{series: (tool, [(x, y, row)...] sorted by x)}, vmtriage's first."""
    out = {}
    for r in rows:
        if r.get("dump_bytes") and r.get("seconds"):
            out.setdefault(r["series"], (r["tool"], []))[1].append((r["dump_bytes"], r["seconds"], r))
    order = {"vmtriage": 0, "drgn": 1, "crash": 2}
    keys = sorted(out, key=lambda s: (order.get(out[s][0], 3), s))
    return {k: (out[k][0], sorted(out[k][1], key=lambda p: p[0])) for k in keys}


def marker(shape, x, y, color, title):
    t = f"<title>{html.escape(title)}</title>"
    if shape == "square":
        return (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}">'
                f'{t}</rect>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} '
                f'{x + 5:.1f},{y + 4:.1f}" fill="{color}">{t}</polygon>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">{t}</circle>'


def render(doc):
    """The SVG text of one results document."""
    series = series_of(doc.get("rows", []))
    longest = max((len(s) for s in series), default=10)
    plot_w, plot_h = 460, 300
    left, top = 78, 48
    legend_x = left + plot_w + 24
    width = legend_x + 34 + int(longest * 6.6) + 10
    height = max(top + plot_h + 64, top + 20 + 18 * len(series) + 40)
    xs = [p[0] for _, pts in series.values() for p in pts]
    ys = [p[1] for _, pts in series.values() for p in pts]
    xa = Axis(xs, left, left + plot_w)
    ya = Axis(ys, top + plot_h, top)
    m = doc.get("machine") or {}
    title = f"bench/{doc.get('bench', '?')}: time vs dump size"
    reps = "/".join(str(r) for r in sorted({r.get("reps") for r in doc.get("rows", [])
                                           if r.get("reps")})) or "?"
    sub = (f"best of {reps} runs, warm cache; {m.get('nproc', '?')} cores "
           f"{m.get('cpu') or ''}; {doc.get('vmtriage') or ''}; {(doc.get('date') or '')[:10]}")
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" {FONT} font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{left}" y="20" font-size="15" font-weight="bold">{html.escape(title)}</text>',
         f'<text x="{left}" y="37" font-size="10" fill="#555">{html.escape(sub)}</text>',
         f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
         f'stroke="#333"/>']
    for t in xa.ticks():
        x = xa.px(t)
        o.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#ddd"/>')
        o.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                 f'{fmt_bytes(t)}</text>')
    for t in ya.ticks():
        y = ya.px(t)
        o.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt_seconds(t)}</text>')
    o.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h + 40}" text-anchor="middle">'
             f'dump file size{" (log scale)" if xa.log else ""}</text>')
    o.append(f'<text transform="translate(18,{top + plot_h / 2}) rotate(-90)" '
             f'text-anchor="middle">seconds, whole process{" (log scale)" if ya.log else ""}</text>')
    used = {}
    for i, (name, (tool, pts)) in enumerate(series.items()):
        pal = PALETTE.get(tool, ["#7f7f7f", "#bcbd22", "#8c564b"])
        color = pal[used.get(tool, 0) % len(pal)]
        used[tool] = used.get(tool, 0) + 1
        shape = MARKER.get(tool, "circle")
        coords = [(xa.px(x), ya.px(y)) for x, y, _ in pts]
        if len(coords) > 1:
            o.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" '
                     f'stroke-opacity="0.8" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (_, sec, r) in zip(coords, pts):
            o.append(marker(shape, x, y, color,
                            f"{name}: {r.get('scenario')}/{r.get('format')} "
                            f"({fmt_bytes(r['dump_bytes'])}): {sec:.3f} s"))
        ly = top + 10 + 18 * i
        o.append(f'<line x1="{legend_x}" y1="{ly}" x2="{legend_x + 22}" y2="{ly}" '
                 f'stroke="{color}" stroke-width="1.5"/>')
        o.append(marker(shape, legend_x + 11, ly, color, name))
        o.append(f'<text x="{legend_x + 30}" y="{ly + 4}">{html.escape(name)}</text>')
    if not series:
        o.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">'
                 f'no rows with a dump size</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def write(path_json):
    with open(path_json) as f:
        doc = json.load(f)
    out = os.path.splitext(path_json)[0] + ".svg"
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(render(doc))
    os.replace(tmp, out)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(here, "results", "*.json")))
    if not paths:
        sys.exit("bench/plot.py: no results (run make bench)")
    for p in paths:
        print(write(p))


if __name__ == "__main__":
    main()
