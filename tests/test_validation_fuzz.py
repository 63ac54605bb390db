"""Validation against arbitrary input: every request is a 200 or the 400 with a well-formed errors list."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from core_support import client as make_client  # noqa: E402
from test_validation import GOOD, VApp  # noqa: E402

FUZZ = settings(max_examples=150, derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=list(HealthCheck))
ROOTS = {"path", "query", "header", "body"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
# Bodies shaped like an Order with some fields replaced by anything, or anything at all.
order_like = st.builds(lambda base, changes: {**base, **changes}, st.just(GOOD),
                       st.dictionaries(st.sampled_from(sorted(GOOD) + ["age", "note", "kind", "x"]), json_values,
                                       max_size=4))


@pytest.fixture(scope="module")
def c():
    return make_client(VApp)[0]


def check(res):
    assert res.status_int in (200, 400), (res.status, res.text[:300])
    if res.status_int == 400:
        body = res.json
        assert set(body) == {"code", "message", "data", "requestId"}
        if body["data"] is not None:  # a malformed body (Invalid JSON) has no errors list
            for e in body["data"]["errors"]:
                assert set(e) == {"loc", "rule", "message"} and e["loc"][0] in ROOTS and e["message"]


@FUZZ
@given(body=order_like | json_values)
def test_any_json_body_is_a_200_or_the_400(c, body):
    check(c.post("/v/orders", json.dumps(body), headers={"Content-Type": "application/json"}, expect_errors=True))


@FUZZ
@given(pairs=st.lists(st.tuples(st.sampled_from(["page", "size", "ids", "sort", "x"]), st.text(max_size=8)),
                      max_size=6),
       item=st.text(min_size=1, max_size=10))
def test_any_query_and_path_is_a_200_or_the_400(c, pairs, item):
    qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    check(c.get("/v/search?" + qs, expect_errors=True))
    check(c.get(f"/v/items/{quote(item, safe='')}?{qs.replace('ids', 'tag')}", expect_errors=True))
    check(c.post("/v/form", dict(pairs), expect_errors=True))
