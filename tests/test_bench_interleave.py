"""bench/run.py's warm driver: one long-lived child per stack, the stacks timed in turn, cell by cell
(fake stacks on the test interpreter; no speed is asserted)."""
from __future__ import annotations

import os
import sys

from conftest import ROOT

sys.path += [os.path.join(ROOT, "bench"), os.path.join(ROOT, "bench", "apps")]  # appended: never shadow others

import run  # noqa: E402

# A fake stack: every call appends "<stack> <kind> <path>" to the shared log (one child runs at a
# time, so the log's order is the order of the calls); CRASH_AFTER calls in, it dies.
FAKE = '''
import os, sys
LOG, NAME, CRASH_AFTER = %r, %r, %r
calls = 0

def make(kind):
    def handler(event, context):
        global calls
        calls += 1
        if CRASH_AFTER and calls > CRASH_AFTER:
            sys.stderr.write("fake stack crashed\\n")
            sys.stderr.flush()
            os._exit(3)
        with open(LOG, "a") as fh:
            fh.write("%%s %%s %%s\\n" %% (NAME, kind, event.get("rawPath") or event["path"]))
        print("a stack that prints must not break the protocol")
        return {"statusCode": 200, "body": NAME}
    return handler

HANDLERS = {kind: make(kind) for kind in ("v1", "v2", "url", "alb")}
'''


def fakes(tmp_path, **crash_after):
    """Write fake_a, fake_b (and any crashing ones) into tmp_path; return the log's path."""
    log = str(tmp_path / "calls.log")
    for name in ("fake_a", "fake_b", *crash_after):
        (tmp_path / (name + ".py")).write_text(FAKE % (log, name, crash_after.get(name, 0)))
    return log


def measure(tmp_path, stacks, n=2, repeat=3):
    return run.measure_warm(stacks, n, repeat, apps=str(tmp_path), python=lambda module: sys.executable)


CELLS = [k + " " + r[0] for k in run.KINDS for r in run.routes()]


def test_each_stack_gets_a_figure_per_round_for_every_cell_and_its_answers(tmp_path):
    fakes(tmp_path)
    res = measure(tmp_path, [("A", "fake_a"), ("B", "fake_b")])
    for name, body in (("A", "fake_a"), ("B", "fake_b")):
        assert sorted(res[name]["warm"]) == sorted(CELLS)
        assert all(len(xs) == 3 and all(x > 0 for x in xs) for xs in res[name]["warm"].values())
        assert res[name]["bodies"] == {cell: [200, body] for cell in CELLS}
        assert res[name]["rss_kb"] > 0 and res[name]["modules"] > 0
        assert any(f.endswith(body + ".py") for f in res[name]["files"])


def test_the_stacks_are_timed_in_turn_cell_by_cell(tmp_path):
    log = fakes(tmp_path)
    n, repeat = 2, 3
    measure(tmp_path, [("A", "fake_a"), ("B", "fake_b")], n, repeat)
    with open(log) as fh:
        calls = [line.split() for line in fh.read().splitlines()]
    by_cell = {}
    for name, kind, path in calls:
        by_cell.setdefault((kind, path), []).append(name)
    assert len(by_cell) == len(CELLS)
    for cell, names in by_cell.items():
        assert names[:2] == ["fake_a", "fake_b"]  # each child answers each event once at start
        timed = names[2:]
        assert len(timed) == 2 * n * repeat
        blocks = [timed[i:i + n] for i in range(0, len(timed), n)]
        assert all(len(set(b)) == 1 for b in blocks), cell  # one stack's n calls in one block
        order = [b[0] for b in blocks]
        # each round times A and B once: never two rounds of one stack before the other's
        assert all(set(order[i:i + 2]) == {"fake_a", "fake_b"} for i in range(0, len(order), 2)), (cell, order)
    # rounds are the outer loop: every cell's first round (2 stacks × 12 cells) before any second round
    first_round = calls[2 * len(CELLS):][:2 * len(CELLS) * n]
    assert {(kind, path) for _, kind, path in first_round} == set(by_cell)


def test_a_crashing_stack_is_an_error_and_the_others_keep_their_figures(tmp_path):
    fakes(tmp_path, fake_c=12 + 5)  # answers its 12 events, dies in its third timed block
    res = measure(tmp_path, [("A", "fake_a"), ("C", "fake_c"), ("B", "fake_b")])
    assert res["C"] == {"error": "fake stack crashed"}
    for name in ("A", "B"):
        assert sorted(res[name]["warm"]) == sorted(CELLS)
        assert all(len(xs) == 3 for xs in res[name]["warm"].values())
        assert "rss_kb" in res[name]


def test_a_stack_that_fails_to_import_is_an_error(tmp_path):
    fakes(tmp_path)
    (tmp_path / "fake_bad.py").write_text("raise ImportError('no such peer')\n")
    res = measure(tmp_path, [("bad", "fake_bad"), ("A", "fake_a")])
    assert res["bad"] == {"error": "ImportError: no such peer"}
    assert all(len(xs) == 3 for xs in res["A"]["warm"].values())
