"""The notes routes: `GET/POST /notes`, `GET/PUT/DELETE /notes/:id`."""
from __future__ import annotations

from koatty_lite import (Autowired, Controller, DeleteMapping, GetMapping, HttpException, PathVariable, PostMapping,
                         PutMapping, RequestBody)

from .store import NoteStore


def _fields(body) -> tuple:
    """(title, body) from a JSON object; a 400 naming what is wrong otherwise."""
    if not isinstance(body, dict):
        raise HttpException("expected a JSON object with a title", 1, 400)
    title, text = body.get("title"), body.get("body", "")
    if not isinstance(title, str) or not title.strip():
        raise HttpException("title: a non-empty string is required", 1, 400)
    if not isinstance(text, str):
        raise HttpException("body: expected a string", 1, 400)
    return title.strip(), text


@Controller("/notes")
class NoteController:
    """CRUD over the NoteStore."""

    store: NoteStore = Autowired()

    @GetMapping("/")
    def index(self) -> dict:
        """Every note."""
        return {"notes": self.store.list(), "store": self.store.kind}

    @PostMapping("/")
    def create(self, body=RequestBody()):
        """Create a note: 201 and the note."""
        return self.store.add(*_fields(body)), 201

    @GetMapping("/:id")
    def show(self, id: int = PathVariable("id")) -> dict:
        """One note, or 404."""
        return self.store.get(id) or _missing(id)

    @PutMapping("/:id")
    def replace(self, id: int = PathVariable("id"), body=RequestBody()) -> dict:
        """Replace a note's title and body, or 404."""
        return self.store.update(id, *_fields(body)) or _missing(id)

    @DeleteMapping("/:id")
    def remove(self, id: int = PathVariable("id")):
        """Delete a note: 204, or 404."""
        if not self.store.delete(id):
            _missing(id)
        return None


def _missing(id: int):
    raise HttpException(f"note {id} not found", 1, 404)
