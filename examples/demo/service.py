"""The user service: business rules over the store."""
from __future__ import annotations

from koatty_lite import Autowired, HttpException, OnEvent, Service

from .store import UserStore


@Service()
class UserService:
    """Creates and finds users."""

    store: UserStore = Autowired()

    def create(self, name: str) -> dict:
        """Create a user; the name must not be blank."""
        name = name.strip()
        if not name:
            raise HttpException("name must not be empty", 1, 400)
        return self.store.add(name)

    def find(self, id: int) -> dict:
        """A user by id, or a 404."""
        user = self.store.get(id)
        if user is None:
            raise HttpException(f"user {id} not found", 1, 404)
        return user

    @OnEvent("appStop")
    def close(self, app) -> None:
        """Close the database when the app stops."""
        self.store.close()
