"""koatty_lite around the same bare WSGI function apig-wsgi wraps (issue 14: the adapter's own job)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import koatty_lite  # noqa: E402

from bare_wsgi import app  # noqa: E402

handler = koatty_lite.handler(app)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
