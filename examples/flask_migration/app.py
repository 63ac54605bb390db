"""An existing Flask app, unchanged: it knows nothing about Lambda."""
from __future__ import annotations

from flask import Flask, jsonify, make_response, request

flask_app = Flask(__name__)
TODOS: dict[int, str] = {}


@flask_app.get("/")
def index():
    return jsonify(service="todos", count=len(TODOS))


@flask_app.post("/todos")
def create():
    data = request.get_json(force=True, silent=True) or {}
    if not isinstance(data.get("title"), str):
        return jsonify(error="title (string) is required"), 400
    todo_id = len(TODOS) + 1
    TODOS[todo_id] = data["title"]
    resp = make_response(jsonify(id=todo_id, title=data["title"]), 201)
    resp.set_cookie("last", str(todo_id))
    resp.set_cookie("seen", "1")
    return resp


@flask_app.get("/todos/<int:todo_id>")
def detail(todo_id: int):
    if todo_id not in TODOS:
        return jsonify(error="not found"), 404
    return jsonify(id=todo_id, title=TODOS[todo_id])
