"""apig-wsgi around a bare WSGI function."""
from apig_wsgi import make_lambda_handler

from bare_wsgi import app

handler = make_lambda_handler(app)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
