"""Draw bench/RESULTS.md's side-by-side figures as one SVG chart (standard library only).

`make bench` calls ``write_chart()`` after it writes RESULTS.md; ``python bench/chart.py`` redraws
the chart from the RESULTS.md on disk. The figures are read back from RESULTS.md's own tables, so
the chart always shows what the table says: warm µs per event (one panel per event kind), the
whole-process cold start and the shipped dependencies' zipped size, one bar per stack.
"""
from __future__ import annotations

import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))

# One colour per stack, koatty_lite first and strongest; peers in muted tones.
PALETTE = ["#d9480f", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#5c940d", "#868e96", "#495057"]
BAR_H, GAP, LABEL_W, PLOT_W, PANEL_PAD = 14, 3, 190, 380, 34


def _number(cell: str) -> float | None:
    """The leading figure of a table cell (``"10.5 ±0.3 (59.7×f, …)"`` → 10.5); None for n/a/errors."""
    head = cell.strip().split(" ", 1)[0]
    try:
        return float(head)
    except ValueError:
        return None


def _tables(markdown: str) -> dict:
    """``{section title: (header cells, [row cells, ...])}`` for every table under a ``## `` title."""
    tables, title, rows = {}, None, []
    for line in markdown.splitlines():
        if line.startswith("## "):
            title, rows = line[3:].strip(), []
        elif title and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append(cells)
            tables[title] = (rows[0], rows[1:])
    return tables


def parse_results(markdown: str) -> dict:
    """The chart's data from RESULTS.md: ``{"panels": [(title, unit, [(stack, value), ...]), ...]}``.

    A panel per warm event column, then cold start (ms) and deps zip (KB); the floor (an empty
    handler) is left out of the warm panels, where it is sub-µs and says nothing about a stack.
    """
    tables = _tables(markdown)
    panels = []
    warm = next((t for name, t in tables.items() if name.startswith("Warm")), None)
    if warm:
        header, rows = warm
        for col, event in enumerate(header[1:], start=1):
            bars = [(row[0], _number(row[col])) for row in rows if row[0] != "floor" and col < len(row)]
            panels.append((f"warm {event}", "µs", [b for b in bars if b[1] is not None]))
    cold = next((t for name, t in tables.items() if name.startswith("Cold start")), None)
    if cold:
        header, rows = cold
        for col, (title, unit) in ((1, ("cold start (whole process)", "ms")), (4, ("dependencies zipped", "KB"))):
            bars = [(row[0], _number(row[col])) for row in rows if col < len(row)]
            panels.append((title, unit, [b for b in bars if b[1] is not None]))
    return {"panels": [p for p in panels if p[2]]}


def render_svg(data: dict, columns: int = 3) -> str:
    """An SVG document: one horizontal bar panel per figure, shorter is better, value at each bar's end."""
    panels = data["panels"]
    stacks = []
    for _, _, bars in panels:
        stacks += [name for name, _ in bars if name not in stacks]
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(stacks)}
    panel_w = LABEL_W + PLOT_W + 60
    panel_h = PANEL_PAD + len(stacks) * (BAR_H + GAP) + 12
    rows = (len(panels) + columns - 1) // columns or 1
    width, height = columns * panel_w + 20, rows * panel_h + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">koatty_lite and its peers '
           '(make bench; shorter bars are better)</text>']
    for i, (title, unit, bars) in enumerate(panels):
        x0 = 10 + (i % columns) * panel_w
        y0 = 40 + (i // columns) * panel_h
        top = max(value for _, value in bars) or 1.0
        out.append(f'<text x="{x0}" y="{y0 + 14}" font-weight="bold">{escape(title)} ({escape(unit)})</text>')
        by_name = dict(bars)
        shown = [name for name in stacks if name in by_name or name != "floor"]  # the floor has no warm bars
        for j, name in enumerate(shown):
            y = y0 + PANEL_PAD + j * (BAR_H + GAP)
            out.append(f'<text x="{x0 + LABEL_W - 6}" y="{y + BAR_H - 3}" text-anchor="end">{escape(name)}</text>')
            value = by_name.get(name)
            if value is None:
                out.append(f'<text x="{x0 + LABEL_W + 2}" y="{y + BAR_H - 3}" fill="#868e96">n/a</text>')
                continue
            w = max(1.0, PLOT_W * value / top)
            out.append(f'<rect class="bar" data-stack="{escape(name)}" data-value="{value:g}" x="{x0 + LABEL_W}" '
                       f'y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{colour[name]}"/>')
            out.append(f'<text x="{x0 + LABEL_W + w + 4:.1f}" y="{y + BAR_H - 3}">{value:g}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_chart(results_md: str = os.path.join(HERE, "RESULTS.md"), svg_path: str = os.path.join(HERE, "chart.svg")) -> str:
    """Read RESULTS.md, write the SVG next to it; returns the SVG's path."""
    with open(results_md, encoding="utf-8") as fh:
        data = parse_results(fh.read())
    with open(svg_path, "w", encoding="utf-8") as fh:
        fh.write(render_svg(data))
    return svg_path


if __name__ == "__main__":
    print(write_chart(*sys.argv[1:3]))
