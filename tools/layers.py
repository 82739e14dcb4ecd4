#!/usr/bin/env python3
"""The layers of analyzer/ and the rules between them (docs/ARCHITECTURE.md).

  tools/layers.py check        one line per violation, exit 1 if any
  tools/layers.py svg OUT.svg  the layer picture, drawn from the includes
  tools/layers.py dot          the same graph in Graphviz dot, on stdout

--root DIR (before the command) reads DIR/analyzer instead of this
checkout's. Python 3 standard library only.
"""

import argparse
import os
import re
import sys
from xml.sax.saxutils import escape

# The layers, in the order the data flows: a file may include its own
# layer and the layers before it in this list, never one after it.
# This list is the single source of truth (Makefile.am and
# docs/ARCHITECTURE.md follow it).
LAYERS = ["core", "arch", "target", "symbols", "devtree", "models",
          "plugins", "report", "cli", "batch", "serve"]

MAX_LINES = 800
# VT_ARCH_* values are named only in the arch layer: its per-arch files
# (x86_64.c, ppc64.c, arm64.c), arch.h and the name -> ops table.
ARCH_LAYER = "arch"
ARCH_NAME = re.compile(r"\bVT_ARCH_\w*")
# What a plugin may not call: the target is read only through models.
TARGET_CALL = re.compile(r"\bvt_target_\w*")
# Plugins read models (through the plugin context), never the dump.
PLUGIN_LAYER = "plugins"
PLUGIN_FORBIDDEN = ("target", "arch")

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCE = re.compile(r".*\.[ch]$")


class SourceFile:
    def __init__(self, rel, layer, nlines, includes, arch_names, target_calls=()):
        self.rel = rel                # "analyzer/models/mm.c"
        self.layer = layer            # "models", or the unknown folder
        self.nlines = nlines
        self.includes = includes      # [(line, "layer/file.h")]
        self.arch_names = arch_names  # [(line, ["VT_ARCH_X86_64", ...])]
        self.target_calls = target_calls  # [(line, ["vt_target_info", ...])]


def blank_comments_and_strings(text):
    """text with comments and string/char literals replaced by spaces,
    newlines kept, so that line numbers still hold."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", text[i:j]))
        i = j
    return "".join(out)


def scan(root):
    """Every analyzer/**/*.[ch] under root, sorted by path."""
    top = os.path.join(root, "analyzer")
    if not os.path.isdir(top):
        sys.exit("layers.py: no directory %s" % top)
    files = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            if not SOURCE.match(name):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            parts = rel.split("/")
            layer = parts[1] if len(parts) > 2 else ""
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            lines = text.split("\n")
            nlines = len(lines) - 1 if text.endswith("\n") else len(lines)
            includes = []
            for no, line in enumerate(lines, 1):
                m = INCLUDE.match(line)
                if m and "/" in m.group(1):
                    includes.append((no, m.group(1)))
            arch_names, target_calls = [], []
            code = blank_comments_and_strings(text).split("\n")
            for no, line in enumerate(code, 1):
                names = ARCH_NAME.findall(line)
                if names:
                    arch_names.append((no, sorted(set(names))))
                calls = TARGET_CALL.findall(line)
                if calls:
                    target_calls.append((no, sorted(set(calls))))
            files.append(SourceFile(rel, layer, nlines, includes, arch_names,
                                    target_calls))
    files.sort(key=lambda f: f.rel)
    return files


def rank(layer):
    return LAYERS.index(layer) if layer in LAYERS else None


def check(files):
    """[(path, line, rule, detail)], sorted."""
    bad = []
    for f in files:
        if rank(f.layer) is None:
            where = f.layer or "analyzer/ itself"
            bad.append((f.rel, 1, "unknown-layer",
                        "%s is not a layer (LAYERS in tools/layers.py)" % where))
        if f.nlines > MAX_LINES:
            bad.append((f.rel, MAX_LINES + 1, "file-length",
                        "%d lines, over %d" % (f.nlines, MAX_LINES)))
        for no, inc in f.includes:
            to = inc.split("/")[0]
            if rank(to) is None:
                bad.append((f.rel, no, "unknown-layer",
                            "includes %s: %s is not a layer" % (inc, to)))
            elif rank(f.layer) is not None and rank(to) > rank(f.layer):
                bad.append((f.rel, no, "upward-include",
                            "%s includes %s, which is above it" % (f.layer, inc)))
            if f.layer == PLUGIN_LAYER and to in PLUGIN_FORBIDDEN:
                bad.append((f.rel, no, "plugin-include",
                            "includes %s; plugins read only models" % inc))
        if f.layer == PLUGIN_LAYER:
            for no, names in f.target_calls:
                bad.append((f.rel, no, "plugin-call",
                            "%s: plugins read the dump only through models"
                            % ", ".join(names)))
        if f.layer != ARCH_LAYER:
            for no, names in f.arch_names:
                bad.append((f.rel, no, "arch-name",
                            "%s outside analyzer/%s/" % (", ".join(names), ARCH_LAYER)))
    bad.sort()
    return bad


def graph(files):
    """Per layer (files, lines) and the layer -> layer include counts."""
    sizes = {layer: [0, 0] for layer in LAYERS}
    edges = {}
    for f in files:
        if f.layer in sizes:
            sizes[f.layer][0] += 1
            sizes[f.layer][1] += f.nlines
        for _, inc in f.includes:
            to = inc.split("/")[0]
            if f.layer != to and f.layer in sizes and to in sizes:
                edges[(f.layer, to)] = edges.get((f.layer, to), 0) + 1
    return sizes, edges


def edge_kind(a, b):
    """"down" (allowed), "up" or "plugin" (both violations)."""
    if rank(b) > rank(a):
        return "up"
    if a == PLUGIN_LAYER and b in PLUGIN_FORBIDDEN:
        return "plugin"
    return "down"


COLOURS = {"down": "#333333", "up": "#d01010", "plugin": "#e07000"}


def dot(files):
    sizes, edges = graph(files)
    out = ["// tools/layers.py dot: analyzer/ layers and their includes",
           "digraph layers {",
           '  node [shape=box, fontname="sans-serif"];',
           '  edge [fontname="sans-serif", fontsize=10];']
    for layer in reversed(LAYERS):
        nfiles, nlines = sizes[layer]
        out.append('  "%s" [label="%s\\n%d files"];' % (layer, layer, nfiles))
    # The order, top to bottom, kept by invisible edges.
    chain = " -> ".join('"%s"' % layer for layer in reversed(LAYERS))
    out.append("  %s [style=invis];" % chain)
    for (a, b), n in sorted(edges.items()):
        kind = edge_kind(a, b)
        extra = ", constraint=false" if kind == "up" else ""
        out.append('  "%s" -> "%s" [label="%d", color="%s", fontcolor="%s"%s];'
                   % (a, b, n, COLOURS[kind], COLOURS[kind], extra))
    out.append("}")
    return "\n".join(out) + "\n"


def svg(files):
    """The layer picture: boxes bottom (core) to top (batch); an include
    is an arrow from includer to included, its count on the curve;
    allowed ones on the right, violations red/orange."""
    sizes, edges = graph(files)
    n = len(LAYERS)
    box_w, box_h, pitch = 300, 56, 80
    left, top = 330, 96
    right = left + box_w
    width = right + 330
    height = top + n * pitch + 70

    def box_y(layer):  # top of the box: core at the bottom
        return top + (n - 1 - rank(layer)) * pitch

    step = (box_h / 2 - 5) / (n - 1)

    def port(layer, other):  # outer curves leave from the outer ends
        return box_y(layer) + box_h / 2 + (rank(other) - rank(layer)) * step

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif">' % (width, height, width, height),
           "<!-- Generated by tools/layers.py svg from analyzer/'s #includes; "
           "do not edit. -->",
           "<defs>"]
    for kind, colour in sorted(COLOURS.items()):
        out.append('<marker id="arrow-%s" viewBox="0 0 10 10" refX="10" refY="5" '
                   'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                   '<path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>' % (kind, colour))
    out.append("</defs>")
    out.append('<rect width="100%" height="100%" fill="white"/>')
    out.append('<text x="%d" y="30" font-size="18" font-weight="bold" '
               'text-anchor="middle">vmtriage: the layers of analyzer/</text>'
               % (width / 2))
    out.append('<text x="%d" y="52" font-size="12" text-anchor="middle" fill="#555">'
               'An arrow A &#8594; B: files in A include headers of B (count of '
               '#include lines). Data flows from the bottom up.</text>' % (width / 2))

    for layer in LAYERS:
        y = box_y(layer)
        nfiles, nlines = sizes[layer]
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="6" '
                   'fill="#eef3fb" stroke="#4a6fa5" stroke-width="1.5"/>'
                   % (left, y, box_w, box_h))
        out.append('<text x="%d" y="%d" font-size="16" font-weight="bold" '
                   'text-anchor="middle">%s/</text>'
                   % (left + box_w / 2, y + 24, escape(layer)))
        out.append('<text x="%d" y="%d" font-size="12" text-anchor="middle" '
                   'fill="#333">%d files</text>'
                   % (left + box_w / 2, y + 43, nfiles))

    labels = []
    for (a, b), count in sorted(edges.items(), key=lambda e: (rank(e[0][0]), rank(e[0][1]))):
        kind = edge_kind(a, b)
        colour = COLOURS[kind]
        y1, y2 = port(a, b), port(b, a)
        span = abs(rank(a) - rank(b))
        bulge = 34 + 30 * span
        if kind == "up":  # on the left
            x, cx = left, left - bulge
        else:
            x, cx = right, right + bulge
        dash = ' stroke-dasharray="6,3"' if kind != "down" else ""
        out.append('<path d="M%d,%.1f C%d,%.1f %d,%.1f %d,%.1f" fill="none" '
                   'stroke="%s" stroke-width="1.4"%s marker-end="url(#arrow-%s)">'
                   '<title>%s &#8594; %s: %d #include line%s</title></path>'
                   % (x, y1, cx, y1, cx, y2, x, y2, colour, dash, kind,
                      a, b, count, "" if count == 1 else "s"))
        lx = x + (cx - x) * 0.75
        ly = (y1 + y2) / 2
        labels.append('<rect x="%.1f" y="%.1f" width="%d" height="14" rx="3" '
                      'fill="white" stroke="%s" stroke-width="0.6"/>'
                      '<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" '
                      'fill="%s">%d</text>'
                      % (lx - 9, ly - 7, 18, colour, lx, ly + 4, colour, count))
    out.extend(labels)

    ly = top + n * pitch + 10
    legend = [("down", "allowed: an include down the order"),
              ("up", "violation: an include up the order"),
              ("plugin", "violation: a plugin including target/ or arch/")]
    for i, (kind, text) in enumerate(legend):
        x = 20 + i * (width - 40) / 3
        dash = ' stroke-dasharray="6,3"' if kind != "down" else ""
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.4"%s '
                   'marker-end="url(#arrow-%s)"/>'
                   % (x, ly + 20, x + 34, ly + 20, COLOURS[kind], dash, kind))
        out.append('<text x="%d" y="%d" font-size="12" fill="%s">%s</text>'
                   % (x + 42, ly + 24, COLOURS[kind], escape(text)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", default=os.path.dirname(here),
                   help="the tree holding analyzer/ (default: this checkout)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="report violations; exit 1 if any")
    s = sub.add_parser("svg", help="write the layer picture")
    s.add_argument("out", help="the SVG file to write")
    sub.add_parser("dot", help="print the layer graph in Graphviz dot")
    args = p.parse_args(argv)

    files = scan(args.root)
    if args.command == "check":
        bad = check(files)
        for path, line, rule, detail in bad:
            print("%s:%d: %s: %s" % (path, line, rule, detail))
        return 1 if bad else 0
    if args.command == "dot":
        sys.stdout.write(dot(files))
        return 0
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(svg(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
