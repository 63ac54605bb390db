"""tools/make_zip.py (`make zip` without APP): the demo package, its contents and determinism."""
from __future__ import annotations

import importlib.util
import os
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def make_zip():
    spec = importlib.util.spec_from_file_location("make_zip", os.path.join(ROOT, "tools", "make_zip.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_contents_and_exclusions(make_zip, tmp_path):
    out = tmp_path / "f.zip"
    size, count = make_zip.build(str(out))
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert len(names) == count and size == out.stat().st_size
        assert "index.py" in names
        index = zf.read("index.py").decode()
        assert "handler = koatty_lite.handler(App)" in index and "main_handler = handler" in index
        assert "koatty_lite/__init__.py" in names or any(n.startswith("koatty_lite/") for n in names)
        assert not any(n.startswith("koatty_lite/cli/") for n in names)
        assert "koatty_lite/__main__.py" not in names
        assert not any("__pycache__" in n or n.endswith((".pyc", ".md")) for n in names)
        assert any(n.startswith("demo/") for n in names)
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.external_attr >> 16) == 0o100644


def test_deterministic(make_zip, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    make_zip.build(str(a))
    make_zip.build(str(b))
    assert a.read_bytes() == b.read_bytes()


def test_pyc_option_adds_unchecked_hash_bytecode(make_zip, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    runtime = "python%d.%d" % sys.version_info[:2]
    make_zip.build(str(a), pyc=True, runtime=runtime)
    make_zip.build(str(b), pyc=True, runtime=runtime)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        pycs = [n for n in zf.namelist() if n.endswith(".pyc")]
        assert "index.py" in zf.namelist()
        assert any(n.startswith("__pycache__/index.") for n in pycs)
        # Why: flags word 0b01 = hash-based, check_source bit clear = unchecked.
        header = zf.read(pycs[0])[4:8]
        assert int.from_bytes(header, "little") == 1


def test_main_adds_bytecode_by_default_and_pyc_0_ships_source_only(make_zip, tmp_path, monkeypatch, capsys):
    for var in ("PYC", "APP", "ENTRY", "OUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNTIME", "python%d.%d" % sys.version_info[:2])
    make_zip.main([str(tmp_path / "default.zip")])
    monkeypatch.setenv("PYC", "0")
    make_zip.main([str(tmp_path / "source.zip")])
    with zipfile.ZipFile(tmp_path / "default.zip") as zf:
        assert any(n.endswith(".pyc") for n in zf.namelist())
    with zipfile.ZipFile(tmp_path / "source.zip") as zf:
        assert not any(n.endswith(".pyc") for n in zf.namelist())
    assert "function.zip" not in capsys.readouterr().err


def test_default_runtime_bytecode_or_one_line_saying_why(make_zip, tmp_path, monkeypatch):
    """`make zip` compiles for python3.12 (the AWS example's runtime), not for whatever python3 runs it."""
    from koatty_lite.cli import package

    lines = []
    make_zip.build(str(tmp_path / "d.zip"), pyc=True, log=lines.append)
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        pycs = [n for n in zf.namelist() if n.endswith(".pyc")]
    if package.find_interpreter("3.12"):
        assert pycs and all(n.endswith(".cpython-312.pyc") for n in pycs) and not lines
    else:
        assert not pycs and len(lines) == 1 and "no working python3.12" in lines[0]
