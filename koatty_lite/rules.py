"""Koatty's validation rules (koatty_validation, class-validator based): one registry of named records.

A rule call (``Gte(0)``, ``IsEmail(message="...")``) returns a ``Rule``: its name, its arguments
and an optional message. ``RULES`` maps each name to a ``RuleSpec``: how to build the check (a
``value -> bool`` function, built once at boot), the JSON Schema keywords it documents (openapi.py)
and the default message. ``Valid`` groups rules Koatty's way (``Valid("IsNotEmpty", "msg")``).
Loaded only by apps that use validation (koatty_lite/__init__.py names these lazily).
"""
from __future__ import annotations

import re

from .decorators import _MISSING

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


class Rule:
    """One rule attached to a field or parameter: ``name``, ``args`` and an optional ``message``."""

    __slots__ = ("name", "args", "message")

    def __init__(self, name: str, args: tuple = (), message: str | None = None):
        self.name = name
        self.args = args
        self.message = message

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(map(repr, self.args))})"


class RuleSpec:
    """A registry record: ``build(*args) -> check(value) -> bool``, ``schema(*args) -> dict``, message."""

    __slots__ = ("name", "build", "schema", "message")

    def __init__(self, name: str, build: Callable, schema: Callable, message: str):
        self.name = name
        self.build = build
        self.schema = schema
        self.message = message


RULES: dict = {}


def register_rule(name: str, build: Callable, schema: Callable | None = None, message: str = "is invalid") -> None:
    """Add a rule to the registry (a user's own rule too): ``Rule(name, args)`` then resolves to it."""
    RULES[name] = RuleSpec(name, build, schema or (lambda *a: {}), message)


class Valid:
    """Koatty's ``@Valid(rule, message)``: one rule name (``"IsNotEmpty"``, ``"IsNotEmpty,IsCnName"``),
    a ``Rule``, a function ``value -> bool`` or a list of those, with one message for all.

    As a DTO field default it also carries the field's default: ``age: int = Valid(Gte(0), default=18)``;
    on a route argument use ``Annotated[int, Valid(...)]`` (or the rules themselves).
    """

    __slots__ = ("rules", "message", "default")

    def __init__(self, rule: Any, message: str | None = None, *, default: Any = _MISSING):
        if isinstance(rule, str):
            rule = [r.strip() for r in rule.split(",") if r.strip()]
        elif not isinstance(rule, (list, tuple)):
            rule = [rule]
        self.rules = tuple(rule)
        self.message = message
        self.default = default

    def __repr__(self) -> str:
        return f"Valid({list(self.rules)!r})"


def resolve(rule: Any, message: str | None = None) -> tuple:
    """``(name, check, rule)`` for a Rule, a rule name or a function; ``KeyError`` for an unknown name."""
    if isinstance(rule, str):
        rule = Rule(rule, (), None)
    if isinstance(rule, Rule):
        spec = RULES[rule.name]
        msg = rule.message or message or (spec.message(*rule.args) if callable(spec.message)
                                           else spec.message.format(*rule.args))
        return rule.name, spec.build(*rule.args), msg, rule
    if callable(rule):
        name = getattr(rule, "__name__", "CheckFunc")
        return "CheckFunc", rule, message or f"failed {name}", Rule("CheckFunc", (rule,), message)
    raise TypeError(f"not a rule: {rule!r}")


def schema_of(rule: Rule) -> dict:
    """The JSON Schema keywords a rule documents (``Gte(0)`` → ``{"minimum": 0}``)."""
    spec = RULES.get(rule.name)
    return spec.schema(*rule.args) if spec is not None else {}


# --- the rules --------------------------------------------------------------------------------
# Semantics follow koatty_validation's ValidFuncs (class-validator + koatty_lib); docs/validation.md
# has the table. Checks see the value after conversion by annotation.


def _is_empty(value: Any) -> bool:
    # koatty_lib isEmpty: undefined, null, '', whitespace-only strings, NaN, [] and {} are empty.
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return not value
    return False


def _number(value: Any) -> Any:
    """koatty_lib toNumber: numbers as they are, numeric strings parsed, anything else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if type(value).__name__ == "Decimal":
        return value if value.is_finite() else None
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _compare(op: Callable) -> Callable:
    def build(bound: Any) -> Callable:
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise TypeError(f"expects a number, got {bound!r}")

        def check(value: Any) -> bool:
            n = _number(value)
            return n is not None and n == n and op(n, bound)

        return check

    return build


def _str_check(pattern: str, flags: int = 0) -> Callable:
    def build() -> Callable:
        match = re.compile(pattern, flags).fullmatch  # compiled at boot by the apps that use the rule
        return lambda value: isinstance(value, str) and match(value) is not None

    return build


_EMAIL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_MOBILE = r"1[3-9][0-9]{9}"
_ZIP = r"[0-9]{6}"
_CN_NAME = r"[A-Za-z0-9\u4e00-\u9fa5\u00b7]{1,10}"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
# 7 characters: province, letter, 4 letters/digits (no I/O), then a letter/digit or 挂学警港澳;
# 8 characters (new-energy): province, letter, then D/F + letter/digit + 4 digits, or 5 digits + D/F.
_PLATE = (f"[{_PROVINCES}][A-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]"
          f"|[DF][A-HJ-NP-Z0-9][0-9]{{4}}|[0-9]{{5}}[DF])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_HASH_HEX = {"md4": 32, "md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128, "ripemd128": 32,
             "ripemd160": 40, "tiger128": 32, "tiger160": 40, "tiger192": 48, "crc32": 8, "crc32b": 8}
_ASCII_DIGITS = frozenset("0123456789")


def _id_number(value: Any) -> bool:
    """Chinese resident ID: 15 digits, or 17 digits and the ISO 7064 MOD 11-2 check character."""
    if not isinstance(value, str) or not value.isascii():
        return False
    if len(value) == 15:
        return _ASCII_DIGITS.issuperset(value)
    if len(value) != 18 or not _ASCII_DIGITS.issuperset(value[:17]):
        return False
    total = sum(int(c) * w for c, w in zip(value, _ID_WEIGHTS))
    return value[17].upper() == _ID_CHECK[total % 11]


def _ip(version: Any = None) -> Callable:
    if version not in (None, 4, 6, "4", "6"):
        raise ValueError(f"version must be 4, 6 or None, got {version!r}")
    import ipaddress

    want = None if version is None else int(version)

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return False
        return want is None or ip.version == want

    return check


def _url(protocols: Any = ("http", "https", "ftp"), require_tld: bool = True) -> Callable:
    from urllib.parse import urlsplit

    allowed = tuple(p.lower() for p in protocols)
    host_rx = re.compile(r"(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?\.)*"
                         r"[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?")

    def check(value: Any) -> bool:
        if not isinstance(value, str) or len(value) > 2083 or any(c.isspace() for c in value):
            return False
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 — raises ValueError for a bad port
        except ValueError:
            return False
        host = parts.hostname or ""
        if parts.scheme.lower() not in allowed or not host:
            return False
        if host.startswith("[") or ":" in host or host.replace(".", "").isdigit():
            return _ip()(host.strip("[]"))
        if not host_rx.fullmatch(host):
            return False
        return not require_tld or ("." in host and not host.rsplit(".", 1)[1].isdigit())

    return check


def _phone(region: Any = None) -> Callable:
    # Why: libphonenumber's metadata is megabytes; this is the E.164 shape (7–15 digits, an optional
    # +, common separators). With region "CN" a bare number must be a mainland mobile number.
    rx = re.compile(r"\+?[0-9][0-9 ()\-.]{5,20}[0-9]")

    def check(value: Any) -> bool:
        if not isinstance(value, str) or not value.isascii() or not rx.fullmatch(value):
            return False
        digits = "".join(c for c in value if c in _ASCII_DIGITS)
        if not 7 <= len(digits) <= 15:
            return False
        if region and str(region).upper() == "CN" and not value.startswith("+"):
            return re.fullmatch(_MOBILE, digits) is not None
        return True

    return check


def _hash(algorithm: str) -> Callable:
    n = _HASH_HEX.get(str(algorithm).lower())
    if n is None:
        raise ValueError(f"unknown hash algorithm {algorithm!r} (one of {', '.join(_HASH_HEX)})")
    hexdigits = frozenset("0123456789abcdefABCDEF")
    return lambda value: isinstance(value, str) and len(value) == n and hexdigits.issuperset(value)


def _members(values: Any) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"expects a list of values, got {values!r}")
    return tuple(values)


def _same(a: Any, b: Any) -> bool:
    # class-validator compares with ===: True is not 1, 1.0 is 1 (one JS number type).
    return a == b and (isinstance(a, bool) == isinstance(b, bool))


def _is_in(values: Any) -> Callable:
    members = _members(values)
    return lambda value: any(_same(value, m) for m in members)


def _is_not_in(values: Any) -> Callable:
    members = _members(values)
    return lambda value: not any(_same(value, m) for m in members)


def _is_date() -> Callable:
    from datetime import date

    def check(value: Any) -> bool:
        if isinstance(value, date):
            return True
        if not isinstance(value, str):
            return False
        try:
            parse_datetime(value)  # a date alone is a date-time at midnight: the same grammar
        except ValueError:
            return False
        return True

    return check


# One grammar on every supported Python (3.11 widened datetime.fromisoformat: basic format, week
# dates, any separator; 3.10 refuses "Z" and fractions of other than 3 or 6 digits): RFC 3339 with
# pydantic's leniencies, ASCII digits only. YYYY-MM-DD, then optionally T/t/space, HH:MM, :SS, a
# fraction of 1-9 digits after "." or "," (cut to microseconds), Z/z or ±HH:MM / ±HHMM.
_DATE_RX = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_DATE_MATCH = re.compile(_DATE_RX).fullmatch
_DATETIME_MATCH = re.compile(_DATE_RX + r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
                                        r"(?:([Zz])|([-+])([0-9]{2}):?([0-9]{2}))?)?").fullmatch


def parse_date(text: str) -> Any:
    """``YYYY-MM-DD`` as a ``date`` (the same on every Python version); ``ValueError`` otherwise."""
    from datetime import date

    m = _DATE_MATCH(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 date: {text[:40]!r}")
    return date(int(m[1]), int(m[2]), int(m[3]))


def parse_datetime(text: str) -> Any:
    """An ISO 8601 / RFC 3339 date-time (``Z`` and offsets accepted, a date alone is midnight) as a
    ``datetime``, the same on every Python version; ``ValueError`` otherwise."""
    from datetime import datetime, timedelta, timezone

    m = _DATETIME_MATCH(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 date-time: {text[:40]!r}")
    y, mo, d, hh, mi, ss, frac, z, sign, oh, om = m.groups()
    tz = None
    if z:
        tz = timezone.utc
    elif sign:
        if int(om) > 59:
            raise ValueError("offset minutes out of range")
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-offset if sign == "-" else offset)  # ValueError from 24:00 on
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    return datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro, tz)


def _length(min: int = 0, max: int | None = None) -> Callable:
    if not isinstance(min, int) or (max is not None and not isinstance(max, int)):
        raise TypeError("Length(min, max) expects integers")

    def check(value: Any) -> bool:
        if not isinstance(value, (str, list, tuple)):
            return False
        n = len(value)
        return n >= min and (max is None or n <= max)

    return check


def _matches(pattern: Any, modifiers: str = "") -> Callable:
    flags = 0
    for m in modifiers or "":
        flags |= {"i": re.I, "m": re.M, "s": re.S, "u": 0, "g": 0}.get(m, -1)
        if flags < 0:
            raise ValueError(f"unknown regex modifier {m!r}")
    rx = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    # class-validator's matches() is RegExp.test: a search, not a full match (JSON Schema "pattern" too).
    return lambda value: isinstance(value, str) and rx.search(value) is not None


def _matches_schema(pattern: Any, modifiers: str = "") -> dict:
    """``pattern``, unless the regex has flags: JSON Schema patterns have none, so a case-insensitive
    one would refuse what the route takes; then the regex is named in the description instead."""
    text = pattern if isinstance(pattern, str) else pattern.pattern
    flags = "".join(sorted(set(modifiers or "") - {"u", "g"}))
    if not isinstance(pattern, str) and pattern.flags & (re.I | re.M | re.S | re.X):
        flags = flags or "flags"
    if flags:
        return {"description": f"matches the regular expression /{text}/{flags}"}
    return {"pattern": text}


def _escape(text: str) -> str:
    """Escape a literal for an ECMA-262 ``pattern`` (re.escape escapes more than ECMA allows in u-mode)."""
    return "".join("\\" + c if c in "\\^$.|?*+()[]{}/-" else c for c in text)


def _range_schema(key: str) -> Callable:
    return lambda bound: {key: bound}


def _pattern(p: str) -> Callable:
    return lambda *a: {"pattern": "^(?:" + p + ")$"}


for _name, _build, _schema, _msg in (
    ("IsDefined", lambda: (lambda v: v is not None), lambda: {}, "is required"),
    ("IsNotEmpty", lambda: (lambda v: not _is_empty(v)), lambda: {"x-not-empty": True}, "must not be empty"),
    ("IsEmail", _str_check(_EMAIL), lambda: {"format": "email"}, "must be an email address"),
    ("IsIP", _ip, lambda version=None: {"format": "ipv6" if str(version) == "6" else "ipv4"} if version else
     {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}, "must be an IP address"),
    ("IsPhoneNumber", _phone, lambda region=None: {"pattern": r"^\+?[0-9][0-9 ()\-.]{5,20}[0-9]$"},
     "must be a phone number"),
    ("IsUrl", _url, lambda *a, **k: {"format": "uri"}, "must be a URL"),
    ("IsHash", _hash, lambda alg: {"pattern": "^[0-9a-fA-F]{%d}$" % _HASH_HEX.get(str(alg).lower(), 0)},
     "must be a {0} hash"),
    ("IsIn", _is_in, lambda values: {"enum": list(values)}, "must be one of {0}"),
    ("IsNotIn", _is_not_in, lambda values: {"not": {"enum": list(values)}}, "must not be one of {0}"),
    ("IsDate", _is_date, lambda: {}, "must be a date"),
    ("Equals", lambda c: (lambda v: _same(v, c)), lambda c: {"const": c}, "must equal {0!r}"),
    ("NotEquals", lambda c: (lambda v: not _same(v, c)), lambda c: {"not": {"const": c}}, "must not equal {0!r}"),
    ("Contains", lambda seed: (lambda v: isinstance(v, str) and str(seed) in v),
     lambda seed: {"pattern": _escape(str(seed))}, "must contain {0!r}"),
    ("Gt", _compare(lambda a, b: a > b), _range_schema("exclusiveMinimum"), "must be greater than {0}"),
    ("Gte", _compare(lambda a, b: a >= b), _range_schema("minimum"), "must be greater than or equal to {0}"),
    ("Lt", _compare(lambda a, b: a < b), _range_schema("exclusiveMaximum"), "must be less than {0}"),
    ("Lte", _compare(lambda a, b: a <= b), _range_schema("maximum"), "must be less than or equal to {0}"),
    ("Length", _length, lambda min=0, max=None: {"minLength": min, **({"maxLength": max} if max is not None else {})},
     ""),
    ("Matches", _matches, _matches_schema, "must match {0}"),
    ("IsCnName", _str_check(_CN_NAME), _pattern(_CN_NAME), "must be a Chinese name"),
    ("IsIdNumber", lambda: _id_number, lambda: {"pattern": r"^(?:[0-9]{15}|[0-9]{17}[0-9Xx])$"},
     "must be an ID card number"),
    ("IsZipCode", _str_check(_ZIP), _pattern(_ZIP), "must be a postal code"),
    ("IsMobile", _str_check(_MOBILE), _pattern(_MOBILE), "must be a mobile phone number"),
    ("IsPlateNumber", _str_check(_PLATE), _pattern(_PLATE), "must be a licence plate number"),
):
    register_rule(_name, _build, _schema, _msg)
RULES["IsIn"].message = lambda values: "must be one of " + ", ".join(map(repr, values))
RULES["IsNotIn"].message = lambda values: "must not be one of " + ", ".join(map(repr, values))
RULES["Length"].message = lambda min=0, max=None: (f"must have a length between {min} and {max}" if max is not None
                                                   else f"must have a length of at least {min}")


def _check_args(name: str, args: tuple) -> None:
    # Why: a wrong argument (Gte("a"), IsHash("md6"), a bad regex) fails where the rule is written.
    try:
        RULES[name].build(*args)
    except (TypeError, ValueError, re.error) as exc:
        raise TypeError(f"{name}{args!r}: {exc}") from None


def _rule(name: str, args: tuple, message: str | None) -> Rule:
    _check_args(name, args)
    return Rule(name, args, message)


def IsDefined(message: str | None = None) -> Rule:
    """The value must be present and not null (even when the field has a default)."""
    return _rule("IsDefined", (), message)


def IsNotEmpty(message: str | None = None) -> Rule:
    """Not None, not ``""`` or only spaces, not NaN, not ``[]`` or ``{}`` (koatty_lib isEmpty)."""
    return _rule("IsNotEmpty", (), message)


def IsEmail(message: str | None = None) -> Rule:
    """A string that is an email address (``local@domain.tld``)."""
    return _rule("IsEmail", (), message)


def IsIP(version: int | None = None, message: str | None = None) -> Rule:
    """A string that is an IPv4 or IPv6 address (``version`` 4 or 6 to require one)."""
    return _rule("IsIP", (version,), message)


def IsPhoneNumber(region: str | None = None, message: str | None = None) -> Rule:
    """A string shaped like a phone number (E.164: 7–15 digits, optional ``+``); see docs/validation.md."""
    return _rule("IsPhoneNumber", (region,), message)


def IsUrl(message: str | None = None, *, protocols: Any = ("http", "https", "ftp"), require_tld: bool = True) -> Rule:
    """A string that is a URL with one of ``protocols`` and a host (with a TLD unless ``require_tld=False``)."""
    return _rule("IsUrl", (tuple(protocols), require_tld), message)


def IsHash(algorithm: str, message: str | None = None) -> Rule:
    """A hex string of the digest length of ``algorithm`` (md5, sha1, sha256, sha512, crc32, ...)."""
    return _rule("IsHash", (algorithm,), message)


def IsIn(values: Any, message: str | None = None) -> Rule:
    """The value is one of ``values`` (compared as ``===``: ``True`` is not ``1``)."""
    return _rule("IsIn", (tuple(_members(values)),), message)


def IsNotIn(values: Any, message: str | None = None) -> Rule:
    """The value is none of ``values``."""
    return _rule("IsNotIn", (tuple(_members(values)),), message)


def IsDate(message: str | None = None) -> Rule:
    """A date/datetime, or a string that is an ISO 8601 date or date-time."""
    return _rule("IsDate", (), message)


def Equals(comparison: Any, message: str | None = None) -> Rule:
    """The value equals ``comparison``."""
    return _rule("Equals", (comparison,), message)


def NotEquals(comparison: Any, message: str | None = None) -> Rule:
    """The value does not equal ``comparison``."""
    return _rule("NotEquals", (comparison,), message)


def Contains(seed: str, message: str | None = None) -> Rule:
    """A string containing ``seed``."""
    return _rule("Contains", (seed,), message)


def Gt(number: float, message: str | None = None) -> Rule:
    """A number (or numeric string) greater than ``number``."""
    return _rule("Gt", (number,), message)


def Gte(number: float, message: str | None = None) -> Rule:
    """A number (or numeric string) greater than or equal to ``number``."""
    return _rule("Gte", (number,), message)


def Lt(number: float, message: str | None = None) -> Rule:
    """A number (or numeric string) less than ``number``."""
    return _rule("Lt", (number,), message)


def Lte(number: float, message: str | None = None) -> Rule:
    """A number (or numeric string) less than or equal to ``number``."""
    return _rule("Lte", (number,), message)


def Length(min: int = 0, max: int | None = None, message: str | None = None) -> Rule:
    """A string (or list) whose length is at least ``min`` and at most ``max``."""
    return _rule("Length", (min, max), message)


def Matches(pattern: Any, modifiers: str = "", message: str | None = None) -> Rule:
    """A string in which the regular expression ``pattern`` is found (``modifiers``: ``"i"``, ``"m"``, ``"s"``)."""
    return _rule("Matches", (pattern, modifiers), message)


def IsCnName(message: str | None = None) -> Rule:
    """A Chinese name as Koatty checks it: 1–10 Han characters, letters, digits or ``·``."""
    return _rule("IsCnName", (), message)


def IsIdNumber(message: str | None = None) -> Rule:
    """A Chinese resident ID number: 15 digits, or 18 characters with a valid check character."""
    return _rule("IsIdNumber", (), message)


def IsZipCode(message: str | None = None) -> Rule:
    """A Chinese postal code: 6 digits."""
    return _rule("IsZipCode", (), message)


def IsMobile(message: str | None = None) -> Rule:
    """A mainland China mobile number: 11 digits starting 13–19."""
    return _rule("IsMobile", (), message)


def IsPlateNumber(message: str | None = None) -> Rule:
    """A Chinese licence plate (7 characters, or 8 for new-energy vehicles)."""
    return _rule("IsPlateNumber", (), message)


def CheckFunc(fn: Callable, message: str | None = None) -> Rule:
    """Koatty's ``@CheckFunc``: the value passes when ``fn(value)`` is true."""
    if not callable(fn):
        raise TypeError(f"CheckFunc expects a function, got {fn!r}")
    return Rule("CheckFunc", (fn,), message)


register_rule("CheckFunc", lambda fn: (lambda v: bool(fn(v))), None, "is invalid")

NAMES = ("IsDefined", "IsNotEmpty", "IsEmail", "IsIP", "IsPhoneNumber", "IsUrl", "IsHash", "IsIn", "IsNotIn",
         "IsDate", "Equals", "NotEquals", "Contains", "Gt", "Gte", "Lt", "Lte", "Length", "Matches", "IsCnName",
         "IsIdNumber", "IsZipCode", "IsMobile", "IsPlateNumber", "CheckFunc")
