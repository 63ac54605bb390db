"""apig-wsgi around Flask."""
from apig_wsgi import make_lambda_handler

from flask_app import app

handler = make_lambda_handler(app)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
