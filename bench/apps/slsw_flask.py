"""serverless-wsgi around Flask."""
import serverless_wsgi

from flask_app import app


def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)


HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
