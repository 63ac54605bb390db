"""`python -m koatty_lite serve module:App [--port 3000] [--host 127.0.0.1]`: serve an app until SIGTERM/SIGINT."""
from __future__ import annotations

import sys


def load_target(target: str) -> type:
    """Import ``module:Attr`` (Attr defaults to ``App``) with the current directory on sys.path."""
    import importlib
    import os

    module_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr or "App")
    except AttributeError:
        raise SystemExit(f"koatty_lite serve: {module_name} has no attribute {attr or 'App'!r}") from None


def main(argv: list) -> int:
    """Parse arguments and run the app (blocks until a signal)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m koatty_lite serve", description=__doc__)
    p.add_argument("target", help="module:App, e.g. examples.demo.app:App")
    p.add_argument("--port", type=int, default=None, help="port (default: config server.port, 3000)")
    p.add_argument("--host", default=None, help="host (default: config server.host, 127.0.0.1)")
    args = p.parse_args(argv)
    from koatty_lite.app import run

    run(load_target(args.target), port=args.port, host=args.host)
    return 0
