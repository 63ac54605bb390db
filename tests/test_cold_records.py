"""The serverless edge's records and helpers a cold Lambda GET no longer makes (issue 14, cold start): a code
object costs ~5-14k instructions to unmarshal and make, a property object with its getter a few thousand more."""
import pytest

from test_cold_defs import _cold

# module -> names folded into their one caller (each was a function of its own before)
FOLDED = {
    "koatty_lite.serverless": ["_built_map", "_named_server", "_load_platform"],
    "koatty_lite.output": ["_triple"],
}


def test_a_cold_get_defines_none_of_the_folded_helpers():
    found = _cold(f"print(_j.dumps({{m: [n for n in ns if n in vars(sys.modules[m])] for m, ns in {FOLDED!r}.items()}}))")
    assert found == {m: [] for m in FOLDED}


def test_a_format_record_reads_its_fields_by_name_through_one_method():
    """HttpFormat has no property per field (nine property objects and their getters at every cold start): one
    ``__getattr__`` gives each field, loading a named function first, and refuses other names as usual."""
    from koatty_lite.serverless import HttpFormat, formats_for, load_format

    assert not [k for k, v in vars(HttpFormat).items() if isinstance(v, property)]
    fmt = next(f for f in formats_for("aws") if f[0] == "lattice-v1")  # names its functions (aws.SOURCE)
    loaded = load_format(fmt)
    assert (fmt.kind, fmt.platform, fmt.detect, fmt.source) == (fmt[0], fmt[1], fmt[2], fmt[8])
    assert fmt.to_request is loaded[6] and callable(fmt.to_response) and fmt.answer is None
    assert loaded.source is None and loaded.to_environ is loaded[3]
    with pytest.raises(AttributeError, match="'HttpFormat' object has no attribute 'nope'"):
        fmt.nope
    assert not hasattr(fmt, "_fields") and getattr(fmt, "nope", 7) == 7
    made = HttpFormat("k", "p", bool, None, None, None)
    assert (made.kind, made.to_request, made.answer, made.source) == ("k", None, None, None)


def test_fc_initialize_is_load_and_koatty_respond_gives_the_triple():
    from koatty_lite import Controller, GetMapping, Koatty, handler
    from koatty_lite.entry import _Handler

    @Controller("/")
    class C:
        @GetMapping("/x")
        def x(self):
            return "hi"

    class App(Koatty):
        components = [C]

    h = handler(App, lazy=True)
    assert _Handler.initialize is _Handler.load
    assert h.initialize({"fc": "context"}) is h.wsgi is h.get_app().get_request_handler()
    status, headers, body = h.wsgi.koatty_respond({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"})
    assert (status, body) == ("200 OK", b"hi") and ("Content-Type", "text/plain; charset=utf-8") in headers


def test_a_cold_get_makes_no_format_record_class_and_its_first_use_names_every_record():
    """The registry's records are tuples until HttpFormat is first used (the name, FORMATS, formats_for()): a cold
    Lambda GET makes no record class; then every record is an HttpFormat and the handler keeps serving (its table
    read by index). Fails on the old code: the class was made at import, its records with it."""
    found = _cold(
        "s = sys.modules['koatty_lite.serverless']; before = ['HttpFormat' in vars(s), "
        "sorted({type(f).__name__ for f in s._FORMATS})]; "
        "kinds = [f.kind for f in s.formats_for('aws')]; "
        "print(_j.dumps([before, sorted({type(f).__name__ for f in s._FORMATS}), kinds[:2], s.HttpFormat.__qualname__, "
        "s.FORMATS is s._FORMATS, h(get('/hello'), None)['statusCode']]))")
    assert found == [[False, ["tuple"]], ["HttpFormat"], ["apigw-v1", "apigw-v2"], "HttpFormat", True, 200]


def test_stand_ins_are_partials_and_the_pep3333_call_puts_respond_in_its_place():
    """``_later`` makes a partial of one module function (no closure, no code object of its own), and
    ``WsgiApp.__call__`` replaces itself with environ.respond on its first call. Fails on the old code: stand-ins
    were closures, and __call__ went through output._pep3333 every time."""
    import functools

    from koatty_lite import Controller, GetMapping, Koatty, create_application
    from koatty_lite import output
    from koatty_lite.environ import respond
    from koatty_lite.serverless import _later, _stand_in, aws

    ns = {}
    stand_in = _later(ns, "koatty_lite.errors", "status_line")
    assert type(stand_in) is functools.partial and stand_in.func is _stand_in
    assert stand_in(404) == "404 Not Found" and ns["status_line"](200) == "200 OK"
    assert type(aws.__dict__["body_text"]) in (functools.partial, type(respond))
    assert not hasattr(output, "_pep3333")

    @Controller("/")
    class C:
        @GetMapping("/p")
        def p(self):
            return "pep"

    class App(Koatty):
        components = [C]

    wsgi = create_application(App).get_request_handler()
    seen = []
    body = wsgi({"REQUEST_METHOD": "GET", "PATH_INFO": "/p"}, lambda status, headers: seen.append(status))
    assert (body, seen) == ([b"pep"], ["200 OK"]) and output.WsgiApp.__call__ is respond
    assert wsgi({"REQUEST_METHOD": "GET", "PATH_INFO": "/p"}, lambda s, h: None) == [b"pep"]
