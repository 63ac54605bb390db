"""HTTP routes of the demo app."""
from __future__ import annotations

from koatty_lite import Autowired, Controller, Get, GetMapping, PathVariable, PostMapping, RequestBody, Validated

from .dto import CreateUser
from .service import UserService


@Controller("/")
class IndexController:
    """The demo's users: ``/``, ``/hello``, ``/users/:id``, ``POST /users``."""

    users: UserService = Autowired()

    @GetMapping("/")
    def index(self) -> dict:
        """What the demo serves."""
        return {"name": "koatty_lite demo",
                "routes": ["/hello?name=you", "/users/:id", "POST /users", "/openapi.json"]}

    @GetMapping("/hello")
    def hello(self, name: str = Get("name", default="world")) -> str:
        """A greeting."""
        return f"Hello, {name}!"

    @GetMapping("/users/:id")
    def detail(self, id: int = PathVariable("id")) -> dict:
        """A user by id (404 when there is none)."""
        return self.users.find(id)

    @Validated()
    @PostMapping("/users")
    def create(self, user: CreateUser = RequestBody()) -> dict:
        """Create a user from a JSON or form body (answers 201)."""
        self.ctx.status = 201
        return self.users.create(user.name)
