"""Chalice (app only): `app(event, context)`; it speaks the REST v1 event only."""
from chalice import Chalice

app = Chalice(app_name="bench")


@app.route("/hello")
def hello():
    return {"hello": "world"}


@app.route("/users/{id}")
def user(id):
    return {"id": id}


@app.route("/echo", methods=["POST"])
def echo():
    return app.current_request.json_body


HANDLERS = {"v1": app}
