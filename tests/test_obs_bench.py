"""bench/obs.py: the Observability section of bench/RESULTS.md (rendering and in-place replacement)."""
from __future__ import annotations

import os
import sys

from conftest import ROOT

sys.path += [os.path.join(ROOT, "bench"), os.path.join(ROOT, "bench", "apps")]  # appended: never shadow others

import obs  # noqa: E402


def fake_results(otel=True):
    return {label: {"warm": [10.0 + i] * 3, "cold": [30.0 + i] * 4, "otel": otel}
            for i, (label, _) in enumerate(obs.VARIANTS)}


def test_section_shows_each_feature_against_the_app_with_nothing_on():
    text = obs.section(fake_results())
    rows = [line for line in text.splitlines() if line.startswith("| ") and "feature on" not in line]
    assert len(rows) == len(obs.VARIANTS)
    assert rows[0].startswith("| off (the bench app) | 10.0 | +0.0 | 30.0 ±0.0 | +0.0 |")
    assert rows[2].startswith("| JSON logs (+ request line) | 12.0 | +2.0 | 32.0 ±0.0 | +2.0 |")
    assert "n/a: opentelemetry-api not installed" in obs.section(fake_results(otel=False))


def test_write_replaces_the_previous_section_only(tmp_path):
    path = str(tmp_path / "RESULTS.md")
    with open(path, "w") as fh:
        fh.write("# Benchmark results\n\ntable\n")
    obs.write(obs.section(fake_results()), path)
    obs.write(obs.section(fake_results(otel=False)), path)
    with open(path) as fh:
        text = fh.read()
    assert text.startswith("# Benchmark results\n\ntable\n")
    assert text.count(obs.BEGIN) == 1 and text.count(obs.END) == 1 and "n/a" in text
