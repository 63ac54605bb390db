"""A route's aspects: the decorators ``@Before``, ``@After``, ``@BeforeEach``, ``@AfterEach`` (koatty_lite and
koatty_lite.decorators serve them from here: loaded by the first use of one), resolved and checked at boot;
shipped with the ``aspects`` feature (a package of an app that declares none leaves it out). PERF: nine code
objects out of every cold start's code cache. The calls themselves are routes.Route's (``_with_aspects``).
"""
from .decorators import InjectionError, _bare, koatty_name, refuse_async

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def runs(container: "Any", label: str, declared: tuple) -> tuple:
    """``(before, after)``: the ``run`` methods of a route's aspects, in calling order, from ``declared``
    (the class's @BeforeEach, the method's @Before, the method's @After, the class's @AfterEach)."""
    return (tuple(_runs(container, label, declared[0], "BeforeEach") + _runs(container, label, declared[1], "Before")),
            tuple(_runs(container, label, declared[2], "After") + _runs(container, label, declared[3], "AfterEach")))


def _runs(container: "Any", label: str, items: "Any", decorator: str) -> list:
    """The ``run`` methods of the aspects a route declares with ``@<decorator>``, checked at boot."""
    out = []
    for item in items or ():
        if container.name_of(item) is None:
            what = item if isinstance(item, str) else getattr(item, "__name__", None) or repr(item)
            raise InjectionError(f"{label}: aspect {what} (from @{decorator}) is not registered: "
                                 f"add it to App.components")
        aspect = container.get(item)
        if not callable(getattr(aspect, "run", None)):
            raise TypeError(f"aspect {koatty_name(type(aspect))} has no run(self, ctx, *args) method")
        refuse_async(aspect.run, f"aspect {koatty_name(type(aspect))}.run")
        out.append(aspect.run)
    return out


def _aspect(decorator: str, aspect: "Any") -> None:
    """Refuse what cannot be an aspect: a function (``@Before`` used bare on a method) or a class
    that is not an ``@Aspect()`` (``@BeforeEach`` used bare on a controller class)."""
    if isinstance(aspect, type):
        if aspect.__dict__.get("__koatty_type__") != "ASPECT":
            raise TypeError(f"@{decorator}({aspect.__qualname__}): {aspect.__qualname__} is not an @Aspect() class "
                            f"(@{decorator} used without parentheses?): write @{decorator}(AspectClass)")
        return
    _bare(decorator, aspect, f"@{decorator}(AspectClass)")


def Before(aspect: "Any") -> "Callable":
    """Run aspect ``aspect`` (class or registered name) before this controller method."""
    _aspect("Before", aspect)

    def deco(fn):
        if isinstance(fn, type):  # why: a class's __dict__ is read-only (an AttributeError that named nothing)
            raise TypeError(f"@Before goes on a controller method; on the class {fn.__qualname__} write "
                            f"@BeforeEach({getattr(aspect, '__name__', aspect)})")
        fn.__dict__.setdefault("__koatty_before__", []).append(aspect)
        return fn

    return deco


def After(aspect: "Any") -> "Callable":
    """Run aspect ``aspect`` (class or registered name) after this controller method."""
    _aspect("After", aspect)

    def deco(fn):
        if isinstance(fn, type):  # why: a class's __dict__ is read-only (an AttributeError that named nothing)
            raise TypeError(f"@After goes on a controller method; on the class {fn.__qualname__} write "
                            f"@AfterEach({getattr(aspect, '__name__', aspect)})")
        fn.__dict__.setdefault("__koatty_after__", []).append(aspect)
        return fn

    return deco


def BeforeEach(aspect: "Any") -> "Callable":
    """Run aspect ``aspect`` before every route method of this controller class."""
    _aspect("BeforeEach", aspect)

    def deco(cls):
        cls.__koatty_before_each__ = list(cls.__dict__.get("__koatty_before_each__", ())) + [aspect]
        return cls

    return deco


def AfterEach(aspect: "Any") -> "Callable":
    """Run aspect ``aspect`` after every route method of this controller class."""
    _aspect("AfterEach", aspect)

    def deco(cls):
        cls.__koatty_after_each__ = list(cls.__dict__.get("__koatty_after_each__", ())) + [aspect]
        return cls

    return deco
