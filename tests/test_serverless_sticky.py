"""A warm handler routes every event as a fresh one does, whatever kind came before.

handler() asks the built-in format that claimed the last event first (entry._Handler._claimed). That is
only exact when no format asked earlier on a fresh handler would claim the event too: within one cloud
the built-in detectors exclude each other (checked here over every combination of the keys they read),
and across clouds (platform="auto" off a cloud, every cloud loaded) only one cloud's formats are asked
out of order.
"""
from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import pytest

from koatty_lite import Controller, GetMapping, Koatty, handler
from koatty_lite.serverless import formats_for

FIXTURES = Path(__file__).parent / "fixtures"


@Controller("/")
class Where:
    @GetMapping("/")
    def root(self):
        return {"kind": self.ctx.event_kind}


class App(Koatty):
    components = [Where]


class FakeContext:
    aws_request_id = request_id = "req-1"


# Events two built-in formats claim before this fix; the first claimant (fresh order) must serve them.
AMBIGUOUS = [
    # payload 2.0 with an ALB requestContext: apigw-v2 (fresh) and alb
    {"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": {"host": "h"},
     "requestContext": {"elb": {}, "http": {"method": "GET", "path": "/", "sourceIp": "192.0.2.1"}, "domainName": "h"}},
    # ALB with Lattice v1's keys: alb (fresh) and lattice-v1
    {"httpMethod": "GET", "path": "/", "headers": {"host": "h"}, "requestContext": {"elb": {}},
     "raw_path": "/", "method": "GET"},
    # Lattice v2 keys with an ALB requestContext: alb (fresh) and lattice-v2
    {"version": "2.0", "method": "GET", "path": "/", "headers": {"host": ["h"]}, "requestContext": {"elb": {}}},
    # Lattice v1 and v2 keys: lattice-v1 (fresh) and lattice-v2
    {"version": "2.0", "method": "GET", "path": "/", "raw_path": "/", "headers": {"host": "h"}},
    # REST v1 with Lattice v1's keys: apigw-v1 (fresh) and lattice-v1
    {"httpMethod": "GET", "path": "/", "resource": "/", "headers": {"host": "h"}, "raw_path": "/", "method": "GET"},
    # payload 2.0 with an SCF requestContext key: apigw-v2 (fresh, every cloud loaded) and scf-apigw
    {"version": "2.0", "rawPath": "/", "httpMethod": "GET", "path": "/", "headers": {"host": "h"},
     "headerParameters": {}, "requestContext": {"http": {"method": "GET", "path": "/"}, "domainName": "h",
                                                "serviceId": "s"}},
]


def _primers():
    """One real event of each built-in HTTP format (the fixtures), for every cloud."""
    seen = {}
    for cloud in ("aws", "alicloud", "tencent"):
        for path in sorted((FIXTURES / cloud).glob("*.json")):
            event = json.loads(path.read_text())
            kind = next((f.kind for f in formats_for("auto") if f.detect(event)), None)
            if kind and kind not in seen:
                seen[kind] = event
    return seen


PRIMERS = _primers()


def _answer(fn, event):
    return fn(copy.deepcopy(event), FakeContext())


@pytest.mark.parametrize("platform", ["auto", "aws"])
@pytest.mark.parametrize("index", range(len(AMBIGUOUS)))
def test_a_warm_handler_routes_an_ambiguous_event_as_a_fresh_one(index, platform):
    event = AMBIGUOUS[index]
    fresh = _answer(handler(App, platform=platform), event)
    for kind, primer in PRIMERS.items():
        if platform == "aws" and not any(f.kind == kind for f in formats_for("aws")):
            continue
        warm = handler(App, platform=platform)
        _answer(warm, primer)
        assert _answer(warm, event) == fresh, f"after a {kind} event"


def test_the_primers_cover_every_built_in_format():
    assert set(PRIMERS) == {f.kind for f in formats_for("auto")}


_KEYS = {
    "httpMethod": [None, "GET"], "path": [None, "/"], "resource": [None, "/"], "version": [None, "1.0", "2.0", "v1"],
    "rawPath": [None, "/"], "raw_path": [None, "/"], "method": [None, "GET"], "routeArn": [None, "arn"],
    "requestContext": [None, {}, {"elb": {}}, {"serviceId": "s"}, {"http": {}}, {"domainName": "a.lambda-url.x"},
                       {"http": {}, "elb": {}}, {"elb": {}, "domainName": "a.lambda-url.x"}],
}


@pytest.mark.parametrize("cloud", ["aws", "alicloud", "tencent"])
def test_within_one_cloud_no_two_built_in_detectors_claim_one_event(cloud):
    table = formats_for(cloud)
    for values in itertools.product(*_KEYS.values()):
        event = {k: v for k, v in zip(_KEYS, values) if v is not None}
        claims = [f.kind for f in table if f.detect(event)]
        assert len(claims) <= 1, (claims, event)
