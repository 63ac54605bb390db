"""``Config(key)`` injection: the marker class (served as koatty_lite.decorators.Config: loaded by the first
``Config``) and the config value of a component attribute, converted to its annotation (decorators.Container.prepare
asks); shipped with the ``config`` feature (a package of an app that injects no config leaves it out).
"""
from . import decorators

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Config:
    """Class attribute marker: inject ``app.get_config(key, default)`` (dot path)."""

    __slots__ = ("key", "default")
    __module__ = "koatty_lite.decorators"  # why: its public place (decorators.__getattr__ serves it from here)

    def __init__(self, key: str, default: "Any" = None):
        self.key = key
        self.default = default

    def __repr__(self) -> str:
        return f"Config({self.key!r})"


def config_value(app: "Any", owner: str, attr: str, marker: "Config", annotation: "Any") -> "Any":
    """The config value for ``owner.attr = Config(key)``, converted to the attribute's annotation as
    controller parameters are (``int``, ``float``, ``bool``, ``str``; others as they are); an absent
    key without a default stays None. A value that cannot be converted is a boot error."""
    value = app.get_config(marker.key, marker.default)
    if value is None or annotation is None:
        return value
    from .routes import _converter, _to_str  # the same conversions as controller parameters

    convert, type_name = _converter(annotation)
    if convert is None:
        return value
    if value == "" and convert is not _to_str and marker.default is not None:
        value = marker.default  # why: "${VAR}" with VAR unset is "": the marker's default applies
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):
        raise decorators._injection_error(f"cannot inject {owner}.{attr}: config {marker.key!r} is {value!r}, "
                             f"expected {type_name}") from None
