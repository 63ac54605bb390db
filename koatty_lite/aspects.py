"""A route's aspects (``@Before``, ``@After``, ``@BeforeEach``, ``@AfterEach``), resolved and checked at
boot: loaded by the first route that declares one, shipped with the ``aspects`` feature (a package of an
app that declares none leaves it out). The calls themselves are routes.Route's (``_with_aspects``).
"""
from .decorators import InjectionError, koatty_name, refuse_async

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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
