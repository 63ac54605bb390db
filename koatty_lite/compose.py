"""Koa's onion, synchronous: ``fn(ctx, next)`` calls ``next()`` to run the rest; composed once."""
from __future__ import annotations

from functools import partial  # why: free, `re` and `enum` have loaded functools already

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


_CO_COROUTINE = 0x80 | 0x100  # CO_COROUTINE | CO_ITERABLE_COROUTINE (inspect's flags, without importing it)
_CO_ASYNC_GENERATOR = 0x200


def refuse_async(fn: Any, label: str, hint: str = "use a plain def") -> None:
    """Raise TypeError when ``fn`` (a function, bound method or object with ``__call__``) is
    ``async def`` or an async generator: the core is synchronous, and a coroutine nobody awaits
    would silently do nothing. A ``functools.partial`` is looked through."""
    while isinstance(fn, partial):
        fn = fn.func
    code = getattr(fn, "__code__", None)
    if code is None:
        code = getattr(getattr(type(fn), "__call__", None), "__code__", None)
    flags = getattr(code, "co_flags", 0)
    if flags & _CO_ASYNC_GENERATOR:
        raise TypeError(f"{label} is an async generator: the core is synchronous (WSGI); {hint}")
    if flags & _CO_COROUTINE:
        raise TypeError(f"{label} is async: the core is synchronous (WSGI); {hint}")


class _Next:
    """The ``next`` passed to middleware ``i``: runs middleware ``i + 1`` (once)."""

    # PERF: one small object per middleware per request instead of nested closures.
    __slots__ = ("chain", "i", "ctx", "called")

    def __init__(self, chain: Any, i: int, ctx: Any):
        self.chain = chain
        self.i = i
        self.ctx = ctx
        self.called = False

    def __call__(self) -> Any:
        if self.called:
            raise RuntimeError("next() called multiple times")
        self.called = True
        return self.chain.dispatch(self.i + 1, self.ctx)


class Chain:
    """The composed middleware list; call it with ``ctx``. ``endpoint(ctx)`` runs after the last one."""

    __slots__ = ("middleware", "endpoint", "n")

    def __init__(self, middleware: list, endpoint: Callable | None = None):
        for fn in middleware:
            if not callable(fn):
                raise TypeError(f"middleware must be callable, got {fn!r}")
        self.middleware = tuple(middleware)
        self.endpoint = endpoint
        self.n = len(self.middleware)

    def dispatch(self, i: int, ctx: Any) -> Any:
        """Run middleware ``i`` (or the endpoint when past the end)."""
        if i < self.n:
            return self.middleware[i](ctx, _Next(self, i, ctx))
        if self.endpoint is not None:
            return self.endpoint(ctx)
        return None

    def __call__(self, ctx: Any, next: Callable | None = None) -> Any:
        if next is None:
            return self.dispatch(0, ctx)
        # Used as a middleware itself: the outer next() becomes the endpoint.
        return Chain(self.middleware, lambda c: next())(ctx)


def compose(middleware: list, endpoint: Callable | None = None) -> Chain:
    """Compose ``fn(ctx, next)`` functions into one callable ``chain(ctx)`` (koa-compose, sync)."""
    return Chain(middleware, endpoint)
