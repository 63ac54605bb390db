"""bench/icount.py: a wrong kind or route name is a clear usage error naming the valid ones, before any
callgrind run (it used to die in a child with KeyError 'hello' after minutes)."""
import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import icount  # noqa: E402


@pytest.mark.parametrize("args, named", [(["--routes", "get,hello"], "unknown route(s) hello: choose from get, users, post"),
                                         (["--kinds", "v1,v3"], "unknown kind(s) v3: choose from v1, v2, url, alb")])
def test_a_wrong_name_is_a_usage_error_naming_the_valid_ones(args, named, capsys, monkeypatch):
    monkeypatch.setattr(icount, "instructions", lambda *a: pytest.fail("callgrind ran"))
    with pytest.raises(SystemExit) as exc:
        icount.main([*args, "koatty_bare"])
    assert exc.value.code == 2 and named in capsys.readouterr().err


def test_the_help_lists_the_routes_and_kinds(capsys):
    with pytest.raises(SystemExit):
        icount.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "get (GET /hello), users (GET /users/42), post (POST /echo)" in out and "of v1, v2, url, alb" in out
