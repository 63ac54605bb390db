"""Classes made on first use (issue 14, cold start) are made once: later uses reuse the one that landed."""
import gc

from koatty_lite import routes


def _made(qualname: str) -> int:
    return sum(c.__module__ == "koatty_lite.routes" and c.__qualname__ == qualname for c in object.__subclasses__())


def test_token_shape_routes_share_one_pattern_class_made_once():
    """Each route path of a non-common shape (``/v:ver``) is a Pattern: the boot made (and threw away) one class
    per such route (~0.1M instructions each) since Pattern became lazy (00edc92). Fails on that code (3 made)."""
    gc.disable()  # why: a class thrown away stays listed until collected
    try:
        before = _made("Pattern")
        router = routes.Router()
        for i in range(3):
            router.add("GET", f"/v{i}:ver/x", i)
        assert _made("Pattern") - before <= 1
    finally:
        gc.enable()
    assert router.match("GET", "/v2a/x")[1] == {"ver": "a"}
