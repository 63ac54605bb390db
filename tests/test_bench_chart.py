"""bench/chart.py: the SVG drawn from RESULTS.md shows the table's figures, and the committed chart is current."""
import os
import sys
import xml.etree.ElementTree as ET

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import chart  # noqa: E402

SAMPLE = """# Benchmark results

## Warm µs per invocation (median ±IQR/2 of repeats; ×floor, ×apig-wsgi)

| stack | v1 GET /hello | v2 POST /echo |
|---|---|---|
| floor | 0.2 ±0.0 (1.0×f, 0.04×a) | 0.4 ±0.0 (1.0×f, 0.01×a) |
| koatty_lite | 10.0 ±0.3 (59.7×f, 2.21×a) | 40.0 ±1.1 (107.0×f, 1.27×a) |
| Chalice | 20.0 ±0.4 (113.4×f, 4.20×a) | n/a |
| Broken | some error | |

## Cold start, import, size, memory

| stack | cold start ms (×floor) | import ms (-X importtime) | modules | deps zip KB | peak RSS MiB (Δfloor) |
|---|---|---|---|---|---|
| floor | 16.0 ±0.4 (1.00×) | 6.1 ±0.1 | 62 | 2.9 | 15.5 (+0.0) |
| koatty_lite | 19.2 ±0.6 (1.20×) | 9.2 ±0.2 | 80 | 59.3 | 15.6 (+0.1) |
"""

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list:
    root = ET.fromstring(svg)
    return [(r.get("data-stack"), float(r.get("data-value")), float(r.get("width")))
            for r in root.iter(SVG + "rect") if r.get("class") == "bar"]


def test_panels_carry_the_tables_figures_without_the_floor_in_warm_panels():
    data = chart.parse_results(SAMPLE)
    titles = [p[0] for p in data["panels"]]
    assert titles == ["warm v1 GET /hello", "warm v2 POST /echo", "cold start (whole process)", "dependencies zipped"]
    assert data["panels"][0][2] == [("koatty_lite", 10.0), ("Chalice", 20.0)]  # floor left out, the error row too
    assert data["panels"][1][2] == [("koatty_lite", 40.0)]  # n/a is no bar
    assert data["panels"][2][2] == [("floor", 16.0), ("koatty_lite", 19.2)]
    assert data["panels"][3][2] == [("floor", 2.9), ("koatty_lite", 59.3)]


def test_bar_lengths_are_proportional_within_a_panel():
    drawn = bars(chart.render_svg(chart.parse_results(SAMPLE)))
    first = drawn[:2]  # the first panel: koatty_lite 10, Chalice 20
    assert [b[:2] for b in first] == [("koatty_lite", 10.0), ("Chalice", 20.0)]
    assert abs(first[1][2] - 2 * first[0][2]) < 0.2
    assert abs(first[1][2] - chart.PLOT_W) < 0.2  # the longest bar fills the plot


def test_names_are_escaped():
    svg = chart.render_svg({"panels": [("a<b", "µs", [("x & <y>", 1.0)])]})
    assert bars(svg) == [("x & <y>", 1.0, float(chart.PLOT_W))]


def test_committed_chart_is_drawn_from_the_committed_results():
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), encoding="utf-8") as fh:
        expected = chart.render_svg(chart.parse_results(fh.read()))
    with open(os.path.join(ROOT, "bench", "chart.svg"), encoding="utf-8") as fh:
        assert fh.read() == expected, "run `python bench/chart.py` after editing bench/RESULTS.md"
