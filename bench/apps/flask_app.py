"""The bench routes as a Flask app."""
from flask import Flask, request

app = Flask("bench")


@app.get("/hello")
def hello():
    return {"hello": "world"}


@app.get("/users/<id>")
def user(id):
    return {"id": id}


@app.post("/echo")
def echo():
    return request.get_json()
