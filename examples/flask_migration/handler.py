"""Lambda entry for the Flask app: one line of glue. Handler: `handler.handler` in the package."""
from __future__ import annotations

try:
    from flask_migration.app import flask_app  # the function zip: `package` ships this folder as flask_migration/
except ModuleNotFoundError as exc:
    if exc.name != "flask_migration":  # Why: never hide a missing dependency (e.g. flask) behind the fallback
        raise
    from examples.flask_migration.app import flask_app  # running from the repository root

import koatty_lite

handler = koatty_lite.handler(flask_app)  # any WSGI callable works, not only a Koatty App
