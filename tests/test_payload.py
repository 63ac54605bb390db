"""Unit tests for koatty_lite.payload."""
from __future__ import annotations

import gzip
import io
import zlib

import pytest

from koatty_lite.payload import PayloadError, UploadedFile, parse_body, read_body


def env(body, length):
    return {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": length}


class Trickle(io.BytesIO):
    def read(self, n=-1):
        return super().read(min(n, 3) if n and n > 0 else 3)


def test_read_body_exact_and_chunked():
    assert read_body(env(b"hello", "5"), 5) == b"hello"
    assert read_body({"wsgi.input": Trickle(b"abcdefgh"), "CONTENT_LENGTH": "8"}, 10) == b"abcdefgh"
    assert read_body(env(b"x", ""), 5) == b""
    assert read_body({}, 5) == b""


@pytest.mark.parametrize("length,status", [("-1", 400), ("+3", 400), ("abc", 400), ("6", 413), ("5_0", 400)],
                         ids=["negative", "plus", "alpha", "over-limit", "underscore"])
def test_read_body_errors(length, status):
    with pytest.raises(PayloadError) as e:
        read_body(env(b"hello!", length), 5)
    assert e.value.status == status


def test_read_body_short():
    with pytest.raises(PayloadError) as e:
        read_body(env(b"abc", "5"), 10)
    assert e.value.status == 400


@pytest.mark.parametrize("ctype,body,expected", [
    ("application/json", b'{"a": [1, 2]}', {"a": [1, 2]}),
    ("application/vnd.api+json; charset=utf-8", b'\xef\xbb\xbf[1]', [1]),
    ("application/json", b"", None),
    ("application/x-www-form-urlencoded", b"a=1&b=x+y&a=2&c=", {"a": ["1", "2"], "b": "x y", "c": ""}),
    ("text/plain; charset=latin-1", b"caf\xe9", "caf\u00e9"),
    ("text/html", "é".encode(), "é"),
    ("application/octet-stream", b"\x00\x01", b"\x00\x01"),
    ("", b"raw", b"raw"),
], ids=["json", "plus-json-bom", "json-empty", "urlencoded", "text-latin1", "text-utf8", "octet", "none"])
def test_parse_types(ctype, body, expected):
    assert parse_body(body, ctype) == (expected, {})


@pytest.mark.parametrize("ctype,body,enc,status", [
    ("application/json", b"{bad", "", 400),
    ("application/json", b'"\xff"', "", 400),
    ("application/x-www-form-urlencoded", b"a=%ff\xff", "", 400),
    ("text/plain; charset=nope", b"x", "", 415),
    ("text/plain", b"\xff", "", 400),
    ("text/plain", b"x", "br", 415),
    ("text/plain", b"not gzip", "gzip", 400),
    ("multipart/form-data", b"x", "", 400),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv", "", 400),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", "", 400),
    ("multipart/form-data; boundary=b", b"nothing", "", 400),
], ids=["json-invalid", "json-utf8", "form-utf8", "charset-unknown", "text-undecodable", "encoding-415",
        "gzip-invalid", "no-boundary", "unterminated", "no-name", "no-delimiter"])
def test_parse_errors(ctype, body, enc, status):
    with pytest.raises(PayloadError) as e:
        parse_body(body, ctype, enc)
    assert e.value.status == status


def test_gzip_deflate_and_bomb():
    assert parse_body(gzip.compress(b'{"a":1}'), "application/json", "gzip") == ({"a": 1}, {})
    assert parse_body(zlib.compress(b"hi"), "text/plain", "deflate") == ("hi", {})
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    assert parse_body(raw.compress(b"hi") + raw.flush(), "text/plain", "deflate") == ("hi", {})
    assert parse_body(gzip.compress(b"x" * 100), "", "gzip", limit=100) == (b"x" * 100, {})
    for size in (101, 10_000_000):
        with pytest.raises(PayloadError) as e:
            parse_body(gzip.compress(b"x" * size), "", "gzip", limit=100)
        assert e.value.status == 413


def build(boundary, fields, files):
    out = []
    for name, value in fields:
        out.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                   % (boundary, name.encode(), value.encode()))
    for name, fname, content in files:
        out.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                   b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary, name.encode(), fname.encode(), content))
    return b"".join(out) + b"--%s--\r\n" % boundary


def test_multipart_files_and_fields():
    content = b"\r\n--XYZ not quite\r\n--XY\x00\xff\r\n"
    body = build(b"XYZZY", [("a", "1"), ("a", "2"), ("t", "é")], [("f", "one.bin", content), ("g", "e.txt", b"")])
    data, files = parse_body(body, 'multipart/form-data; boundary="XYZZY"')
    assert data == {"a": ["1", "2"], "t": "é"}
    assert files["f"].value == content and files["f"].filename == "one.bin"
    assert files["f"].size == len(content) and files["f"].read(2) == content[:2] and files["f"].read() == content[2:]
    assert files["g"].size == 0 and isinstance(files["g"], UploadedFile)
    assert files["f"].headers["content-type"] == "application/octet-stream"
    assert "one.bin" in repr(files["f"])


def test_multipart_filename_quirks(tmp_path):
    body = (b"--b\r\nContent-Disposition: form-data; name=f; filename=\"a \\\"q\\\"; b\\\\.txt\"\r\n\r\nX\r\n"
            b"--b\r\nContent-Disposition: form-data; name=g; filename=x; filename*=UTF-8''%C3%A9.txt\r\n\r\nY\r\n--b--")
    _, files = parse_body(body, "multipart/form-data; boundary=b")
    assert files["f"].filename == ".txt" and files["f"].raw_filename == 'a "q"; b\\.txt'
    assert files["g"].filename == "é.txt"
    files["f"].save(tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"X"


def test_multipart_too_many_parts():
    body = build(b"b", [("a", "1")] * 1001, [])
    with pytest.raises(PayloadError) as e:
        parse_body(body, "multipart/form-data; boundary=b")
    assert e.value.status == 413


CTYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-16",
          "multipart/form-data; boundary=b", "", "text/plain"]


def test_property_never_crashes():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies

    @hyp.settings(max_examples=200, deadline=None)
    @hyp.given(st.binary(max_size=300), st.sampled_from(CTYPES), st.sampled_from(["", "gzip", "deflate"]))
    def check(body, ctype, enc):
        try:
            parse_body(body, ctype, enc, limit=1000)
        except PayloadError:
            pass
    check()


def test_property_multipart_roundtrip():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies
    names = st.text("abcdefgh_", min_size=1, max_size=6)

    @hyp.settings(max_examples=100, deadline=None)
    @hyp.given(st.lists(st.tuples(names, st.text(max_size=20)), max_size=5),
               st.lists(st.tuples(names, names, st.binary(max_size=50)), max_size=4))
    def check(fields, files):
        files = [(("f_" + n), fn, c) for n, fn, c in files]
        body = build(b"bOuNdArY12345", fields, files)
        data, got = parse_body(body, "multipart/form-data; boundary=bOuNdArY12345")
        exp = {}
        for n, v in fields:
            exp.setdefault(n, []).append(v)
        assert data == {k: v[0] if len(v) == 1 else v for k, v in exp.items()}
        for n, fn, c in files:
            item = got[n] if not isinstance(got[n], list) else got[n][[f[0] for f in files if f[0] == n].index(n)]
            assert isinstance(item, UploadedFile)
        flat = [f for v in got.values() for f in (v if isinstance(v, list) else [v])]
        assert sorted((f.name, f.filename, f.value) for f in flat) == sorted(files)
    check()
