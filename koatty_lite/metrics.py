"""Metrics of one invocation: ``ctx.metrics.add(name, value, unit)``, written once when it ends.

AWS: one CloudWatch Embedded Metric Format (EMF) line on stdout, which CloudWatch Logs turns into
metrics. Alibaba Cloud (SLS) and Tencent Cloud (CLS): one JSON line per value, for the log
service's queries and log-to-metric rules. Nothing is written when no metric was added. Loaded on
the first ``ctx.metrics`` or when the app turns a built-in metric on. See docs/observability.md.
"""
from __future__ import annotations

import json
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# CloudWatch units (MetricDatum); EMF assumes "None" when a definition has no Unit.
UNITS = frozenset((
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"))
MAX_METRICS = 100  # EMF: at most 100 MetricDefinitions per document (more: another document)
MAX_VALUES = 100  # EMF: at most 100 values in one metric's array (more: another document)
MAX_DIMENSIONS = 30  # EMF: at most 30 keys in a DimensionSet
FORMATS = ("emf", "json")

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _name(kind: str, name: Any, limit: int = 255) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > limit:
        raise ValueError(f"metric {kind} must be a non-blank string of at most {limit} characters, not {name!r}")
    return name


def _cloudwatch_text(kind: str, text: str, emf: bool) -> str:
    """CloudWatch's rule for dimension names and values: ASCII without control characters, a name
    not starting with ``:`` (API Dimension). Only EMF is read by CloudWatch; SLS and CLS take any text."""
    if emf and (not text.isascii() or not text.isprintable() or (kind == "dimension name" and text[0] == ":")):
        raise ValueError(f"metric {kind} {text!r}: CloudWatch takes printable ASCII only"
                         + (", not starting with ':'" if kind == "dimension name" else ""))
    return text


def _namespace(namespace: Any) -> str:
    """A CloudWatch namespace: letters, digits and ``. - _ / # : space``, not ``AWS/...`` (AWS's own)."""
    _name("namespace", namespace)
    if not all(c.isascii() and (c.isalnum() or c in ".-_/#: ") for c in namespace) or namespace.startswith("AWS/"):
        raise ValueError(f"metrics namespace {namespace!r}: CloudWatch takes ASCII letters, digits and "
                         "'.-_/#: ' only, and AWS/ is reserved for AWS")
    return namespace


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"metric {name!r}: the value must be a number, not {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"metric {name!r}: the value must be finite, not {value!r}")
    return value


class _Group:
    """Metrics that share one dimension set."""

    __slots__ = ("dimensions", "metrics")

    def __init__(self, dimensions: dict):
        self.dimensions = dimensions
        self.metrics = {}  # name -> [unit, [values], resolution]


def _fits(doc: list, dimensions: dict, members: dict) -> bool:
    """True when a directive's dimensions and metric values can join the EMF document ``doc``.

    Why: one root holds one value per member; a clash (the same key, another value, or the same
    metric's next 100 values) or a 101st metric needs a document of its own.
    """
    root = doc[0]
    return (doc[3] + len(members) <= MAX_METRICS and not any(n in root for n in members)
            and all(root.get(k, v) == v and k not in doc[2] for k, v in dimensions.items()))


class Metrics:
    """The metrics of one invocation (``ctx.metrics``), or of any unit of work you flush yourself.

    ``add(name, value, unit="Count", resolution=60)``, ``add_dimension(name, value)``,
    ``add_metadata(key, value)`` (a member of the EMF document that is not a metric), ``flush()``.
    """

    __slots__ = ("namespace", "fmt", "_user", "_groups", "metadata", "stream")

    def __init__(self, namespace: str = "koatty_lite", dimensions: dict | None = None, fmt: str = "emf",
                 stream: Any = None):
        if fmt not in FORMATS:
            raise ValueError(f"metrics format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.fmt = fmt
        self.namespace = _namespace(namespace) if fmt == "emf" else _name("namespace", namespace)
        self._user = _Group({})
        self._groups = [self._user]
        self.metadata = {}
        self.stream = stream  # None: the current sys.stdout at flush time
        for key, value in (dimensions or {}).items():
            self.add_dimension(key, value)

    def add(self, name: str, value: float, unit: str = "Count", resolution: int = 60) -> None:
        """Add a value to the metric ``name`` (added twice: both values are kept)."""
        self._add(self._user, name, value, unit, resolution)

    def add_to(self, dimensions: dict, name: str, value: float, unit: str = "Count") -> None:
        """Add a value under a dimension set of its own (the built-in ``Latency`` and ``ColdStart``)."""
        for group in self._groups:
            if group.dimensions == dimensions:  # the same set as the app's metrics: one directive
                break
        else:
            for key, val in dimensions.items():
                _cloudwatch_text("dimension name", _name("dimension name", key), self.fmt == "emf")
                _cloudwatch_text("dimension value", _name("dimension value", val, 1024), self.fmt == "emf")
            group = _Group(dict(dimensions))
            self._groups.append(group)
        self._add(group, name, value, unit, 60)

    def _add(self, group: _Group, name: str, value: float, unit: str, resolution: int) -> None:
        _name("name", name)
        value = _number(name, value)
        if unit not in UNITS:
            raise ValueError(f"metric {name!r}: unknown unit {unit!r} (one of the CloudWatch units: Count, "
                             "Milliseconds, Seconds, Bytes, Percent, ...)")
        if resolution not in (1, 60):
            raise ValueError(f"metric {name!r}: resolution must be 1 (high resolution) or 60, not {resolution!r}")
        entry = group.metrics.get(name)
        if entry is None:
            if name in group.dimensions:  # why: one EMF member cannot be both a string and a number
                raise ValueError(f"metric {name!r} has the name of a dimension")
            group.metrics[name] = [unit, [value], resolution]
            return
        if entry[0] != unit:
            raise ValueError(f"metric {name!r} was added with unit {entry[0]!r}, now {unit!r}")
        entry[1].append(value)

    def add_dimension(self, name: str, value: Any) -> None:
        """Add a dimension to the metrics added with ``add`` (every one of them, as in EMF)."""
        emf = self.fmt == "emf"
        _cloudwatch_text("dimension name", _name("dimension name", name), emf)
        value = _cloudwatch_text("dimension value", _name("dimension value", str(value), 1024), emf)
        dims = self._user.dimensions
        if name in self._user.metrics:
            raise ValueError(f"dimension {name!r} has the name of a metric")
        if name not in dims and len(dims) >= MAX_DIMENSIONS:
            raise ValueError(f"dimension {name!r}: more than {MAX_DIMENSIONS} dimensions")
        dims[name] = value

    def add_metadata(self, key: str, value: Any) -> None:
        """A member written with the metrics that is not one (searchable in the logs, no metric cost)."""
        _name("metadata key", key)
        if key == "_aws":
            raise ValueError("metadata key '_aws' is reserved by EMF")
        self.metadata[key] = value

    def __bool__(self) -> bool:
        return any(g.metrics for g in self._groups)

    def lines(self, timestamp_ms: int | None = None) -> list:
        """The lines ``flush`` would write (no side effect): EMF documents or JSON lines."""
        if not self:
            return []
        ts = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
        return self._emf(ts) if self.fmt == "emf" else self._json(ts)

    def _parts(self) -> list:
        """``(dimensions, [(name, entry, values)])`` slices of at most MAX_METRICS metrics and
        MAX_VALUES values each: what one EMF directive may hold (Powertools flushes at 100 too)."""
        parts = []
        for group in self._groups:
            rounds = 0
            while True:
                lo, hi = rounds * MAX_VALUES, (rounds + 1) * MAX_VALUES
                items = [(n, e, e[1][lo:hi]) for n, e in group.metrics.items() if len(e[1]) > lo]
                if not items:
                    break
                for i in range(0, len(items), MAX_METRICS):
                    parts.append((group.dimensions, items[i:i + MAX_METRICS]))
                rounds += 1
        return parts

    def _emf(self, ts: int) -> list:
        docs = []  # each: [root dict, directives, metric names, number of metrics]
        for dimensions, items in self._parts():
            directive = {"Namespace": self.namespace, "Dimensions": [list(dimensions)],
                         "Metrics": [{"Name": n, "Unit": e[0], **({"StorageResolution": 1} if e[2] == 1 else {})}
                                     for n, e, _ in items]}
            members = {n: values[0] if len(values) == 1 else values for n, _, values in items}
            for doc in docs:
                root = doc[0]
                if _fits(doc, dimensions, members):
                    root.update(dimensions)
                    root.update(members)
                    doc[1].append(directive)
                    doc[2].update(members)
                    doc[3] += len(items)
                    break
            else:
                docs.append([{**dimensions, **members}, [directive], set(members), len(items)])
        out = []
        for members, directives, _, _ in docs:
            root = {k: v for k, v in self.metadata.items() if k not in members}
            root.update(members)
            root["_aws"] = {"Timestamp": ts, "CloudWatchMetrics": directives}
            out.append(_encode(root))
        return out

    def _json(self, ts: int) -> list:
        out = []
        for group in self._groups:
            for name, (unit, values, _) in group.metrics.items():
                for value in values:
                    line = {**self.metadata, "timestamp": ts, "namespace": self.namespace, "metric": name,
                            "value": value, "unit": unit, "dimensions": group.dimensions}
                    out.append(_encode(line))
        return out

    def flush(self, timestamp_ms: int | None = None) -> int:
        """Write the metrics (one write) and clear them; the number of lines written (0: none added)."""
        lines = self.lines(timestamp_ms)
        for group in self._groups:
            group.metrics = {}
        if lines:
            stream = self.stream or sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        return len(lines)


# --- the app's metrics settings (config "metrics") --------------------------------------------------

_ENV_PLATFORM = (("AWS_LAMBDA_FUNCTION_NAME", "aws"), ("FC_FUNCTION_NAME", "alicloud"), ("SCF_FUNCTIONNAME", "tencent"))


def platform_format(platform: str | None, environ: Any = None) -> str:
    """``"emf"`` on AWS (and where the cloud is unknown), ``"json"`` on Alibaba Cloud and Tencent Cloud."""
    if platform is None:
        import os

        environ = os.environ if environ is None else environ
        platform = next((p for key, p in _ENV_PLATFORM if environ.get(key)), None)
    return "json" if platform in ("alicloud", "tencent") else "emf"


def service_name(app: Any) -> str:
    """The ``service`` dimension: config ``metrics.service``, else the function's name, else the app class name."""
    import os

    config = (getattr(app, "config", None) or {}).get("metrics") or {}
    env = os.environ
    return str(config.get("service") or env.get("AWS_LAMBDA_FUNCTION_NAME") or env.get("FC_FUNCTION_NAME")
               or env.get("SCF_FUNCTIONNAME") or type(app).__name__)


def _app_settings(app: Any) -> tuple:
    """``(namespace, dimensions, format)`` of an app's config ``metrics``, checked once and kept on the app."""
    settings = getattr(app, "_koatty_metrics", None)
    if settings is None:
        config = (getattr(app, "config", None) or {}).get("metrics") or {}
        service = service_name(app)
        dimensions = {"service": service}
        extra = config.get("dimensions") or {}
        if not isinstance(extra, dict):
            raise ValueError(f"config metrics.dimensions must be a dict of name → value, not {extra!r}")
        dimensions.update(extra)
        namespace = config.get("namespace") or service
        fmt = config.get("format") or "auto"
        probe = Metrics(namespace, dimensions, platform_format(None) if fmt == "auto" else fmt)  # a bad config fails here
        settings = (namespace, probe._user.dimensions, fmt)
        if app is not None:
            try:
                app._koatty_metrics = settings  # PERF: one check per app, not per request (19 → 5 µs)
            except AttributeError:
                pass
    return settings


def for_request(ctx: Any) -> Metrics:
    """The ``Metrics`` of one request, from the app's config ``metrics`` (namespace, service,
    dimensions, format) and the cloud the request came from."""
    namespace, dimensions, fmt = _app_settings(ctx.app)
    if fmt == "auto":
        fmt = platform_format(ctx.platform)
    metrics = Metrics.__new__(Metrics)
    metrics.namespace = namespace
    metrics.fmt = fmt
    metrics._user = _Group(dict(dimensions))
    metrics._groups = [metrics._user]
    metrics.metadata = {"requestId": ctx.request_id}
    metrics.stream = None
    return metrics


# --- metrics of a non-HTTP invocation (an event handler, a @Scheduled task) ------------------------------


def current() -> Metrics:
    """The metrics of the non-HTTP invocation this thread is running (an ``event_handlers`` function,
    a ``@Scheduled`` task, the ``"*"`` catch-all): configured from the app's config ``metrics`` as
    ``ctx.metrics`` is, written by ``koatty_lite.handler`` once when the invocation ends (also when it
    raised). In an HTTP request use ``ctx.metrics``."""
    from . import log as _log

    state = _log._state
    metrics = getattr(state, "metrics", None)
    if metrics is None:
        app = getattr(state, "app", None)
        if app is None:
            raise RuntimeError("koatty_lite.metrics.current() is for an event handler or a @Scheduled task "
                               "run by koatty_lite.handler(); in a request use ctx.metrics, elsewhere "
                               "Metrics(namespace, dimensions) and flush()")
        namespace, dimensions, fmt = _app_settings(app)
        metrics = Metrics(namespace, dimensions, platform_format(None) if fmt == "auto" else fmt)
        if getattr(state, "request_id", None):
            metrics.metadata["requestId"] = state.request_id
        state.metrics = metrics
    return metrics


def end_invocation(state: Any, cold: bool) -> None:
    """Called by ``koatty_lite.handler`` when a non-HTTP invocation ends: the ``ColdStart`` metric
    when the app turned it on and this was the process's first invocation, then the flush."""
    app = state.app
    if cold and ((getattr(app, "config", None) or {}).get("metrics") or {}).get("cold_start"):
        current().add_to({"service": _app_settings(app)[1]["service"]}, "ColdStart", 1, "Count")
    metrics = state.metrics
    state.metrics = state.app = None
    if metrics is not None:
        metrics.flush()
