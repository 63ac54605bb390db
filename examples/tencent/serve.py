"""SCF web function: the demo app on the stdlib server at 0.0.0.0:9000 (started by scf_bootstrap).

`koatty_lite.run` serves with the stdlib HTTP/1.1 server (keep-alive, a bounded worker pool), runs
@Scheduled tasks and stops gracefully (appStop once) on SIGTERM. SCF requires 0.0.0.0, not 127.0.0.1.
"""
from __future__ import annotations

import os

try:
    from demo.app import App  # the package puts demo/ at the top level
except ModuleNotFoundError as exc:
    if exc.name not in ("demo", "demo.app"):  # Why: never hide an import error inside the app
        raise
    import sys

    # Why: `python examples/tencent/serve.py` puts examples/tencent/ on sys.path, not the repository root.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from examples.demo.app import App  # running from the repository

if __name__ == "__main__":
    import koatty_lite

    koatty_lite.run(App, port=int(os.environ.get("PORT", "9000")), host=os.environ.get("HOST", "0.0.0.0"))
