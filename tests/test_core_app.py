"""App boot, lifecycle events, config, request handler."""
from __future__ import annotations

import pytest
from core_support import client as make_client
from koatty_lite import (Autowired, Controller, GetMapping, Koatty, PathVariable, Service,
                         create_application)


@Service()
class UserService:
    def find(self, id):
        return {"id": id}


@Controller("/")
class HelloController:
    users: UserService = Autowired()

    @GetMapping("/")
    def index(self):
        return {"hello": "world"}

    @GetMapping("/users/:id")
    def detail(self, id: int = PathVariable("id")):
        return self.users.find(id)


class HelloApp(Koatty):
    components = [UserService, HelloController]


@pytest.fixture
def client():
    return make_client(HelloApp)[0]


def test_thin_path_json(client):
    res = client.get("/")
    assert res.status_int == 200
    assert res.content_type == "application/json"
    assert res.json == {"hello": "world"}
    assert client.get("/users/7").json == {"id": 7}
