"""Shared test helpers."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_EVENTS = os.path.join(os.path.dirname(ROOT), "shared", "events")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Why: "auto" loads only the detected cloud's formats, once per process (serverless.running_on()); a
# test that sets AWS_LAMBDA_FUNCTION_NAME / FC_FUNCTION_NAME (monkeypatch) before the first handler()
# would leave the other clouds unloaded for the rest of the run. Tests use every cloud: load them all.
# (What a detected cloud loads is tested in fresh processes: tests/test_platform_loading.py.)
from koatty_lite import serverless as _serverless  # noqa: E402

_serverless.load_platforms()
