"""`python -m koatty_lite invoke module:handler [--event FILE|-] [--platform aws|alicloud|tencent|...]`.

Calls the handler once as the platform would (event + a context object like the platform's) and
prints the result as JSON. Exit status 1 when the handler raised, 2 for a usage error.
"""
from __future__ import annotations

import json
import sys

from koatty_lite.cli._common import (
    CliError, add_import_option, fake_context, import_plugins, load_handler, make_parser, platform_event,
    platform_of_event, platforms, run_cli,
)

__all__ = ["main", "read_event", "call_handler"]


def read_event(source):
    """Load the event JSON from a file path or `-` (stdin); None → a sample HTTP API v2 GET /."""
    if source is None:
        from koatty_lite.cli.event import build_event

        return build_event("apigw-v2")
    if source == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        try:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise CliError(f"--event {source}: cannot read file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise CliError(f"--event {source}: not UTF-8 text; give a JSON event file") from None
        where = source
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"--event {where}: not valid JSON ({exc}); generate one with `python -m koatty_lite event KIND`") from None


def call_handler(handler, event, platform=None):
    """Call `handler(event, context)` the way `platform` does; return (result, context)."""
    platform = platform or platform_of_event(event)
    ctx = fake_context(platform)
    return handler(platform_event(event, platform), ctx), ctx


def _json_default(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)  # Why: the real marshaller accepts Decimal; show anything else readably


def _main(argv):
    import_plugins(argv)  # a cloud of your own, registered by a module named with --import
    p = make_parser(prog="python -m koatty_lite invoke", description="Invoke a handler once.")
    p.add_argument("target", help="MODULE:ATTRIBUTE, e.g. examples.aws.handler:handler")
    p.add_argument("--event", default=None, metavar="FILE|-", help="event JSON (default: HTTP API v2 GET /)")
    p.add_argument("--platform", choices=platforms(), default=None, help="default: guessed from the event shape")
    add_import_option(p)
    args = p.parse_args(argv)
    event = read_event(args.event)
    handler = load_handler(args.target)
    try:
        result, _ = call_handler(handler, event, args.platform)
    except Exception as exc:
        # Why: one line, like the platform's errorType/errorMessage; the traceback is noise here.
        msg = str(exc).splitlines()[0] if str(exc) else ""
        print(f"{type(exc).__name__}: {msg}".rstrip(": "), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=_json_default))
    return 0


def main(argv) -> int:
    """Entry point of `python -m koatty_lite invoke`."""
    return run_cli(_main, argv)
