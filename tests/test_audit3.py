"""Defects found by the audit of the cold-start work (issue 14, helper audit3): each test fails on the code before
its fix (the commit that fixed it says so)."""
from __future__ import annotations

import copy
import json
import os

import pytest

from conftest import FIXTURES
from koatty_lite import Controller, DeleteMapping, Koatty, handler


@Controller("/")
class _Orders:
    @DeleteMapping("/orders")
    def delete(self):
        return {"headers": dict(self.ctx.headers), "ip": self.ctx.ip}


class _App(Koatty):
    components = [_Orders]


def _wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ.get("HTTP_HOST", "-").encode()]


@pytest.mark.parametrize("target", [_App, _wsgi], ids=["koatty-app", "foreign-wsgi"])
@pytest.mark.parametrize("headers", [None, "absent"])
def test_a_vpc_lattice_v1_event_without_headers_is_served(target, headers):
    """A VPC Lattice v1 event whose ``headers`` is null or absent is a request without headers, as on every other
    format (Lattice v2, REST v1, FC, SCF). Fails on the old code: ``http.header_items`` gave ``()`` for no map and
    the Request read it as a header source: an IndexError (a Koatty app) or a TypeError (a foreign WSGI app)
    raised out of the handler, a traceback instead of an answer."""
    with open(os.path.join(FIXTURES, "aws", "lattice-v1.json"), encoding="utf-8") as fh:
        event = json.load(fh)
    event = copy.deepcopy(event)
    if headers == "absent":
        del event["headers"]
    else:
        event["headers"] = headers
    answer = handler(target)(event, None)
    assert answer["statusCode"] == 200, answer
    if target is _App:
        assert json.loads(answer["body"]) == {"headers": {"content-length": "0"}, "ip": ""}
    else:
        assert answer["body"] == "-"


def test_a_source_edited_beside_checked_hash_pycs_is_never_shadowed_by_the_code_cache(tmp_path):
    """Checked-hash pycs (what compileall and pip write under SOURCE_DATE_EPOCH, where mtimes are not trusted) are
    checked against the source's bytes by the import system: a source edited with the same size and mtime runs
    as edited. The code cache (koatty_lite/__init__.py) checks mtimes and sizes only, so it must not stand in for
    such pycs. Fails on the old code: the cache written beside checked-hash pycs served the old routes.py."""
    import compileall
    import py_compile

    from test_fast_load import copy_package, run

    where = copy_package(tmp_path)
    src = where / "koatty_lite" / "routes.py"
    src.write_text(src.read_text(encoding="utf-8") + "\nMARK = 1\n", encoding="utf-8")
    assert compileall.compile_dir(str(where / "koatty_lite"), quiet=1,
                                  invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    code = "import json, koatty_lite, koatty_lite.routes as r\nprint(json.dumps(r.MARK))"
    assert run(where, code) == 1  # the first import (may write the cache)
    assert run(where, code) == 1  # (may read it)
    st = src.stat()
    src.write_text(src.read_text(encoding="utf-8").replace("\nMARK = 1\n", "\nMARK = 2\n"), encoding="utf-8")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert src.stat().st_size == st.st_size and src.stat().st_mtime_ns == st.st_mtime_ns
    assert run(where, code) == 2  # as the import system runs it (it checks the pyc's hash)
    assert run(where, code) == 2


def test_the_guard_stand_in_puts_foreign_guard_in_its_own_place():
    """entry._guard is a ``_later`` stand-in for koatty_lite.foreign's guard: the first handler() given a WSGI app
    binds the function in its place, as every stand-in does, and adds no other name to entry. Fails on the old
    code: the stand-in bound foreign.guard under the name ``guard`` (a new attribute koatty_lite.entry.guard) and
    stayed in place, importing again for every handler() given a WSGI app."""
    from koatty_lite import entry

    handler(_wsgi)
    from koatty_lite import foreign

    assert entry._guard is foreign.guard
    assert "guard" not in vars(entry)


# A malformed event of each cloud, as its module's own check refuses it (not serverless/__init__'s check_single).
_MALFORMED = {
    "aws": {"version": "2.0", "rawPath": "/x", "rawQueryString": "", "headers": {}, "cookies": [7],
            "requestContext": {"http": {"method": "GET", "path": "/x"}, "requestId": "r"}},
    "alicloud": {"version": "v1", "rawPath": "", "headers": {}, "queryParameters": {}, "body": "",
                 "isBase64Encoded": False,
                 "requestContext": {"requestId": "r", "domainName": "fn.fcapp.run", "http": {"method": "GET"}}},
    "tencent": {"httpMethod": "GET", "path": "/x", "headers": {"host": "1-2-gz.scf.tencentcs.com"},
                "queryString": {"a": {}}, "body": "", "isBase64Encoded": False},
}


@pytest.mark.parametrize("cloud", sorted(_MALFORMED))
def test_each_clouds_bad_event_stand_in_is_replaced_by_the_class(cloud):
    """The clouds' modules raise BadEvent through ``_bad_event``, a ``_later`` stand-in (the class loads with
    serverless/http.py): after the first malformed event, the name in the cloud's own module is the class, as the
    fix of serverless._bad_event says (CHANGELOG). Fails on the old code: aws.py, alicloud.py and tencent.py
    imported serverless' stand-in by name (``from . import _bad_event``), which rebinds serverless' name only: in
    the clouds' modules it stayed a stand-in, importing again for every malformed event."""
    import importlib

    from koatty_lite.serverless.http import BadEvent

    module = importlib.import_module("koatty_lite.serverless." + cloud)
    answer = handler(_App, platform=cloud)(copy.deepcopy(_MALFORMED[cloud]), None)
    assert answer["statusCode"] == 400, answer
    assert module._bad_event is BadEvent


# Thread A loads serverless/http.py through koatty_lite's own loader (_import: a `_later` stand-in's first call, or
# load_format) and is held at the first line where the new module is in sys.modules; thread B meanwhile imports a
# name from it the ordinary way (`from .http import decode_body`, as body_source does).
_RACE = """
import json, threading
import koatty_lite, koatty_lite.serverless
NAME = "koatty_lite.serverless.http"
paused, go_on, got = threading.Event(), threading.Event(), []

def tracer(frame, event, arg):
    if frame.f_code.co_name != "_import" or frame.f_globals.get("__name__") != "koatty_lite":
        return None

    def local(frame, event, arg):
        module = sys.modules.get(NAME)
        if event == "line" and not paused.is_set() and module is not None and module is frame.f_locals.get("module"):
            paused.set()
            go_on.wait(10)
        return local
    return local

def a():
    sys.settrace(tracer)
    koatty_lite._import(NAME)

def b():
    try:
        from koatty_lite.serverless.http import decode_body
        got.append(decode_body.__name__)
    except ImportError as exc:
        got.append(str(exc))

ta = threading.Thread(target=a)
ta.start()
held = paused.wait(10)
tb = threading.Thread(target=b)
tb.start()
tb.join(1)
go_on.set()
ta.join()
tb.join()
print(json.dumps([held, got]))
"""


def test_a_module_the_fast_loader_is_loading_is_never_seen_without_its_spec(tmp_path):
    """koatty_lite's own loader (_import) puts a module in sys.modules with its spec (``_initializing``), as importlib
    does, so another thread importing from it meanwhile waits for it on the module lock. Modules loaded on first use
    (serverless/http.py by a `_later` stand-in, a query string, a base64 body) make this the first request's path on
    two threads. Fails on the old code: the module went into sys.modules before its spec was set, and the other
    thread's import took the empty module: ImportError (cannot import name 'decode_body')."""
    from test_fast_load import copy_package, run

    where = copy_package(tmp_path)
    run(where, "import json, koatty_lite.serverless.http\nprint(1)")  # the pycs the fast loader runs
    held, got = run(where, _RACE)
    assert held, "the fast loader did not load serverless/http.py (no pyc?)"
    assert got == ["decode_body"]
