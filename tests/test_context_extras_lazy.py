"""The Context members of context_extra.py (context.EXTRAS) act the same before and after that module
loads: a process that has not used one yet must not see a different Context (audit of e816f46)."""
from __future__ import annotations

from test_core_imports import run_isolated

_CTX = """
import json as _j
from koatty_lite.context import Context
def ctx():
    return Context({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/a', 'REMOTE_ADDR': '192.0.2.9', 'HTTP_HOST': 'h'})
"""


def _setting_ip(first_use: str) -> str:
    return _CTX + first_use + """
c = ctx()
try:
    c.ip = '203.0.113.1'
    got = ['set', c.ip]
except AttributeError:
    got = ['refused', c.ip]
print(_j.dumps(got))
"""


def test_setting_a_read_only_extra_is_refused_before_and_after_the_module_loads():
    # Koa lets middleware write ctx.ip; here it is read-only. Before the fix the write was kept while no
    # request had used an extra yet, and refused (a 500) once one had: the app's behaviour hung on history.
    assert run_isolated(_setting_ip("")) == ["refused", "192.0.2.9"]
    assert run_isolated(_setting_ip("ctx().cookies\n")) == ["refused", "192.0.2.9"]


def test_the_class_shows_its_extra_properties_before_the_module_loads():
    code = _CTX + """
import sys
names = 'cookies' in dir(Context) and 'ip' in dir(Context)
loaded_by_dir = 'koatty_lite.context_extra' in sys.modules
has = hasattr(Context, 'ip') and hasattr(Context, 'cookies')
class Mine(Context):
    @property
    def ip(self):
        return 'via ' + super().ip
print(_j.dumps([names, loaded_by_dir, has, Mine({'REQUEST_METHOD': 'GET', 'REMOTE_ADDR': '10.0.0.1'}).ip]))
"""
    assert run_isolated(code) == [True, False, True, "via 10.0.0.1"]


def test_a_subclass_reaching_an_extra_through_super_first_runs_its_override_once():
    code = _CTX + """
class Mine(Context):
    @property
    def ip(self):
        return 'via ' + super().ip
print(_j.dumps(Mine({'REQUEST_METHOD': 'GET', 'REMOTE_ADDR': '10.0.0.1'}).ip))
"""
    assert run_isolated(code) == "via 10.0.0.1"


def test_a_member_the_app_sets_on_context_survives_the_first_use_of_an_extra():
    code = _CTX + """
Context.host = property(lambda self: 'mine.example')  # e.g. a proxy's forwarded host
before = ctx().host
ctx().cookies  # loads context_extra
print(_j.dumps([before, ctx().host]))
"""
    assert run_isolated(code) == ["mine.example", "mine.example"]
