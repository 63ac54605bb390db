"""A query map re-encoded without urllib.parse (issue 14, cold start on FC and SCF).

FC's ``queryParameters`` and SCF's ``queryString`` arrive as maps, so koatty_lite re-encodes them as a
query string. It used ``urllib.parse.quote``, whose import (ipaddress, warnings...) cost a cold FC / SCF GET
with a query ~14M instructions; each format module now has its own ``quote`` (serverless/http.py's for the
AWS formats), held here to urllib's output byte for byte.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import koatty_lite
from koatty_lite.serverless import alicloud, http, tencent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
COPIES = {"http": http.quote, "alicloud": alicloud.quote, "tencent": tencent.quote}

# Any code point (lone surrogates too, which st.text() leaves out by default), with the characters at the
# edges of the encoder's rules drawn often: the unreserved set's neighbours, controls, DEL, latin-1, non-BMP.
EDGES = list("~-._%+ &=/?#\x00\x1f\x7f\x80\xff\u0100\u07ff\u0800\uffff\U00010000\U0010ffff\ud800\udfff") + ["😀"]
TEXT = st.text(st.one_of(st.characters(blacklist_categories=()), st.sampled_from(EDGES)))


def outcome(fn, text):
    """What ``fn(text)`` gives: ("ok", the string) or ("raised", the exception's type and message)."""
    try:
        return "ok", fn(text)
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return "raised", type(exc), str(exc)


@pytest.mark.parametrize("where", sorted(COPIES))
@settings(max_examples=400, deadline=None)
@given(text=TEXT)
@example(text="")
@example(text="AZaz09_.-~")
@example(text="a b&c=d/e?f#g%h+i")
@example(text="\x00\n\x7f\x80é你好😀")
@example(text="ok\ud800")
@example(text="\udc80\ud800")
def test_quote_gives_urllib_quote_output_for_any_text(where, text):
    """Each copy answers any text exactly as ``urllib.parse.quote(text, safe="")``: the same string, or the
    same UnicodeEncodeError for a lone surrogate (the formats turn it into a 400)."""
    assert outcome(COPIES[where], text) == outcome(lambda t: urllib.parse.quote(t, safe=""), text)


@pytest.mark.parametrize("where", sorted(COPIES))
def test_quote_returns_safe_text_itself_and_is_linear(where):
    """The fast path hands the string back unchanged (no copy); a long unsafe one is encoded in one pass."""
    text = "abc-XYZ_0.9~" * 1000
    assert COPIES[where](text) is text
    long = "é &" * 200_000  # 600k characters: quadratic work would not finish in any test run
    assert COPIES[where](long) == urllib.parse.quote(long, safe="")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return json.load(fh)


def reference_fc(params):
    """FC's query as koatty_lite wrote it with urllib.parse (the old code)."""
    return "&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="")
                    for k, v in params.items() if v is not None)


def reference_scf(qs):
    """SCF's query as koatty_lite wrote it with urllib.parse (the old code)."""
    parts = []
    for key, value in qs.items():
        k = urllib.parse.quote(str(key), safe="")
        for item in value if type(value) is list else [value]:
            if item is True:
                parts.append(k)
            elif item not in (None, False):
                parts.append(k + "=" + urllib.parse.quote(str(item), safe=""))
    return "&".join(parts)


QUERIES = [{"k": "v1,v2", "z": "1"}, {"q": "x y"}, {"名": "值 ☃", "a+b": "c&d=e", "e": "", "n": None},
           {"ctl": "\x00\t\r\n\x7f", "emoji": "😀/🎉?#", "%": "%25%"}]


@pytest.mark.parametrize("params", QUERIES)
@pytest.mark.parametrize("name,kind", [("alicloud/fc3-post-encoded-path.json", "fc3"),
                                       ("alicloud/fc-apigw-get.json", "fc-apigw")])
def test_fc_query_parameters_encode_as_urllib_did(name, kind, params):
    event = dict(fixture(name), queryParameters=params)
    to_request = getattr(alicloud, "to_request_" + kind.replace("-", "_"))
    assert to_request(event, None).query == reference_fc(params)


@pytest.mark.parametrize("qs", QUERIES + [{"a": ["b", "c d", True], "flag": True, "off": False, "n": 3, "f": 1.5,
                                           "x": "y z", "é": ["ü", "😀"]}])
@pytest.mark.parametrize("name,kind", [("tencent/scf-apigw-query-kinds.json", "scf_apigw"),
                                       ("tencent/scf-url-get-no-query.json", "scf_url")])
def test_scf_query_string_encodes_as_urllib_did(name, kind, qs):
    event = dict(fixture(name), queryString=qs)
    assert getattr(tencent, "to_request_" + kind)(event, None).query == reference_scf(qs)


def test_the_fixtures_queries_as_the_app_reads_them():
    """End to end through handler(): the fixtures' own queries reach the app, encoded and decoded."""
    app = koatty_lite.Koatty()
    seen = []
    app.use(lambda ctx, nxt: seen.append((ctx.querystring, dict(ctx.query))))
    fc = fixture("alicloud/fc-apigw-get.json")
    scf = fixture("tencent/scf-apigw-query-kinds.json")
    assert koatty_lite.handler(app, platform="alicloud")(fc, None)["statusCode"] == 404
    assert koatty_lite.handler(app, platform="tencent")(scf, None)["statusCode"] == 404
    assert seen[0] == ("q=x%20y", {"q": "x y"})
    assert seen[1] == ("a=b&a=c&x=y%20z&flag", {"a": "c", "x": "y z", "flag": ""})  # ctx.query: the last value


@pytest.mark.parametrize("field,platform,name,bad,message", [
    ("queryParameters", "alicloud", "alicloud/fc-apigw-get.json", {"a": "x\ud800"},
     "queryParameters must be text (a lone surrogate is not)"),
    ("queryParameters", "alicloud", "alicloud/fc3-post-encoded-path.json", {"\udc80": "x"},
     "queryParameters must be text (a lone surrogate is not)"),
    ("queryParameters", "alicloud", "alicloud/fc-apigw-get.json", {"a": 5}, "queryParameters values must be strings"),
    ("queryParameters", "alicloud", "alicloud/fc-apigw-get.json", ["a"], "queryParameters must be an object"),
    ("queryString", "tencent", "tencent/scf-apigw-query-kinds.json", {"a": ["b", "\ud800"]},
     "queryString must be text (a lone surrogate is not)"),
    ("queryString", "tencent", "tencent/scf-url-get-no-query.json", {"\udfff": True},
     "queryString must be text (a lone surrogate is not)"),
    ("queryString", "tencent", "tencent/scf-apigw-query-kinds.json", {"a": {}},
     "queryString values must be strings, lists or true"),
    ("queryString", "tencent", "tencent/scf-apigw-query-kinds.json", "a=b", "queryString must be an object"),
])
def test_a_malformed_query_map_is_a_400(field, platform, name, bad, message):
    """A lone surrogate (a JSON "\\ud800" escape) has no UTF-8: a 400 naming the field, as a value of the wrong
    type is (it used to escape the handler as UnicodeEncodeError)."""
    event = dict(fixture(name), **{field: bad})
    r = koatty_lite.handler(koatty_lite.Koatty(), platform=platform)(event, None)
    assert r["statusCode"] == 400
    assert json.loads(r["body"])["message"] == message


COLD = """
import json as _j, sys
from koatty_lite import Controller, GetMapping, Koatty, handler
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        return {'hello': 'world'}
class App(Koatty):
    components = [C]
h = handler(App)
event = _j.load(open(%r, encoding='utf-8'))
event.update(%r)
if 'requestContext' in event and 'http' in event['requestContext']:
    event['requestContext']['http'].update(method='GET', path='/hello')
r = h(event, None)
print(_j.dumps([r['statusCode'],
                sorted(m for m in sys.modules if m in ('urllib.parse', 'ipaddress', 'warnings')
                       or m.startswith('koatty_lite.serverless'))]))
"""


@pytest.mark.parametrize("env,name,update,module", [
    ("FC_FUNCTION_NAME", "alicloud/fc3-post-encoded-path.json",
     {"rawPath": "/hello", "body": "", "isBase64Encoded": False}, "alicloud"),
    ("FC_FUNCTION_NAME", "alicloud/fc-apigw-get.json", {"path": "/hello"}, "alicloud"),
    ("SCF_FUNCTIONNAME", "tencent/scf-apigw-query-kinds.json", {"path": "/hello"}, "tencent"),
])
def test_a_cold_get_with_a_query_loads_neither_urllib_parse_nor_http_py(env, name, update, module):
    """A cold FC 3.0 / FC API Gateway / SCF API Gateway GET with a query (the event's map; each fixture has one,
    and a route that does not read it, as coldclouds.sh's GET /hello) loads no
    urllib.parse (ipaddress, warnings: ~14M instructions) and no serverless/http.py (~1.5M): only the
    cloud's format module. Fails on the old code (urllib.parse.quote through serverless/http.py)."""
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env_vars[env] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + COLD % (os.path.join(FIXTURES, name), update)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT,
                         env=env_vars)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [200, ["koatty_lite.serverless", "koatty_lite.serverless." + module]]


# ---------------------------------------------------------------- reading a query: koatty_lite/query.py
from koatty_lite import query as query_module  # noqa: E402
from koatty_lite.cli import slim  # noqa: E402

# Text as context.py hands it over (ASCII, or UTF-8 decoded with "replace": never a lone surrogate), with the
# characters of the grammar drawn often: escapes (valid, short, non-hex), separators, plus signs.
QS_PARTS = st.one_of(st.characters(blacklist_categories=("Cs",)),
                     st.sampled_from(["%", "+", "&", "=", "%2", "%e4%bd%a0", "%E4%BD", "%zz", "%4", "%41", "%C3%A9",
                                      "%ff", "%80", "%00", "%2B", "%26", "%3D", " ", "é", "你", "😀"]))
QS = st.lists(QS_PARTS, max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(qs=QS, keep=st.booleans())
@example(qs="a=1&b=&c&&=d&e=%zz%4&f=%e4%bd%a0%E4%BD+x&g=%2B%26%3D", keep=True)
@example(qs="%ff%80=%C3%A9%C3&x=%", keep=False)
def test_parse_qsl_gives_urllib_parse_qsl_pairs(qs, keep):
    """koatty_lite.query.parse_qsl(qs, keep, "replace") == urllib.parse.parse_qsl(qs, keep, errors="replace")
    for any text context.py hands it (no lone surrogate), and unquote_plus == urllib's."""
    assert query_module.parse_qsl(qs, keep, "replace") == urllib.parse.parse_qsl(qs, keep, errors="replace")
    assert query_module.unquote_plus(qs) == urllib.parse.unquote_plus(qs)


def test_parse_qsl_is_linear():
    qs = "k%E4%BD%A0=%zz+v%41&" * 50_000  # 1 MB: quadratic work would not finish in any test run
    assert query_module.parse_qsl(qs, True) == urllib.parse.parse_qsl(qs, True, errors="replace")


def ctx_query(monkeypatch, raw, left_out):
    """(ctx.query, ctx.query_list('a')) of a request with query ``raw``; ``left_out``: as in a package built
    without koatty_lite/query.py (its import fails), so context.py reads it with urllib.parse."""
    if left_out:
        monkeypatch.setitem(sys.modules, "koatty_lite.query", None)  # `from .query import` raises ImportError
    app = koatty_lite.Koatty()
    seen = []
    app.use(lambda ctx, nxt: seen.append((ctx.query, ctx.query_list("a"))))
    v2 = {"version": "2.0", "rawPath": "/x", "rawQueryString": raw, "headers": {"host": "x"},
          "requestContext": {"http": {"method": "GET", "path": "/x", "sourceIp": "1.2.3.4"}, "requestId": "r"}}
    koatty_lite.handler(app, platform="aws")(v2, None)
    return seen[0]


@pytest.mark.parametrize("raw", ["a=1&a=%E4%BD%A0&b=x+y%2B&c&=z&d=%zz%4", "a=%ff%C3&%41=%", "", "a"])
def test_ctx_query_reads_the_same_with_and_without_query_py(monkeypatch, raw):
    """The query an app reads is the same whether the package shipped koatty_lite/query.py or left it out
    (then urllib.parse decodes it)."""
    ours = ctx_query(monkeypatch, raw, False)
    assert ours == ctx_query(monkeypatch, raw, True)
    assert ours[0] == dict(urllib.parse.parse_qsl(raw, keep_blank_values=True, errors="replace"))


@pytest.mark.parametrize("source", ["x = ctx.query.get('a')", "x = self.ctx.query_list('a')",
                                    "from koatty_lite import Get", "from koatty_lite import RequestParam",
                                    "from koatty_lite.decorators import Get"])
def test_a_package_ships_query_py_when_the_app_reads_a_query(source, tmp_path):
    """cli/slim.py's feature "query" (koatty_lite/query.py) ships with an app whose source reads a query."""
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    assert set(slim.scan([str(path)])) == {"query"}
    assert slim.FEATURES["query"].modules == ("query.py",)


COLD_QUERY = COLD.replace("return {'hello': 'world'}", "return {'q': self.ctx.query}").replace(
    "print(_j.dumps([r['statusCode'],", "print(_j.dumps([r['statusCode'], _j.loads(r['body']),")


@pytest.mark.parametrize("env,name,update,query", [
    ("FC_FUNCTION_NAME", "alicloud/fc-apigw-get.json", {"path": "/hello"}, {"q": "x y"}),
    ("SCF_FUNCTIONNAME", "tencent/scf-apigw-query-kinds.json", {"path": "/hello"}, {"a": "c", "x": "y z", "flag": ""}),
    ("AWS_LAMBDA_FUNCTION_NAME", None, {"version": "2.0", "rawPath": "/hello", "rawQueryString": "q=%E4%BD%A0+1&q=2",
                                        "headers": {"host": "x"}, "requestContext": {
                                            "http": {"method": "GET", "path": "/hello"}, "requestId": "r"}},
     {"q": "2"}),
])
def test_a_cold_get_reading_its_query_loads_no_urllib_parse(env, name, update, query, tmp_path):
    """A cold GET whose route reads ``ctx.query`` decodes it with koatty_lite/query.py: no urllib.parse
    (ipaddress, warnings: ~12M instructions). Fails on the old code (context.py imported parse_qsl)."""
    if name is None:
        name = str(tmp_path / "e.json")
        (tmp_path / "e.json").write_text("{}")
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env_vars[env] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + COLD_QUERY % (
        name if os.path.isabs(name) else os.path.join(FIXTURES, name), update)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT,
                         env=env_vars)
    assert out.returncode == 0, out.stderr
    status, body, modules = json.loads(out.stdout)
    assert (status, body) == (200, {"q": query})
    assert not {"urllib.parse", "ipaddress", "warnings"} & set(modules), modules
