"""HTTP routes of the demo app."""
from __future__ import annotations

from koatty_lite import Autowired, Controller, Get, GetMapping, PathVariable, Post, PostMapping

from .service import UserService


@Controller("/")
class IndexController:
    """``/``, ``/hello``, ``/users/:id``, ``POST /users``."""

    users: UserService = Autowired()

    @GetMapping("/")
    def index(self):
        return {"name": "koatty_lite demo", "routes": ["/hello?name=you", "/users/:id", "POST /users"]}

    @GetMapping("/hello")
    def hello(self, name: str = Get("name", default="world")):
        return f"Hello, {name}!"

    @GetMapping("/users/:id")
    def detail(self, id: int = PathVariable("id")):
        return self.users.find(id)

    @PostMapping("/users")
    def create(self, name: str = Post("name")):
        self.ctx.status = 201
        return self.users.create(name)
