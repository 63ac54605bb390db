"""`python -m koatty_lite openapi module:App [-o openapi.json]`: write the app's OpenAPI 3.1 document."""
from __future__ import annotations

from koatty_lite.cli._common import CliError, load_app, make_parser, run_cli


def _main(argv: list) -> int:
    import json

    p = make_parser(prog="python -m koatty_lite openapi", description=__doc__)
    p.add_argument("target", help="module:App, e.g. examples.demo.app:App (App is the default attribute)")
    p.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    args = p.parse_args(argv)
    App = load_app(args.target)
    from koatty_lite.app import create_application

    try:
        app = create_application(App) if isinstance(App, type) else App
        doc = app.openapi()
    except Exception as exc:
        # why: what koatty_lite itself raises about the app's declarations (an unknown rule, an argument
        # without a marker, a missing dependency) is the user's mistake: one line. An exception from
        # the app's own code (its init, a component's constructor) keeps its traceback.
        if not _raised_by_koatty_lite(exc):
            raise
        raise CliError(str(exc)) from None
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        import sys

        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def _raised_by_koatty_lite(exc: BaseException) -> bool:
    """True when the innermost frame of the traceback is koatty_lite's own (not cli/) code."""
    import os

    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.abspath(tb.tb_frame.f_code.co_filename)
    return path.startswith(package + os.sep) and not path.startswith(os.path.join(package, "cli") + os.sep)


def main(argv: list) -> int:
    """Parse arguments, boot the app (no socket), print or write the document; a mistake is one line, exit 2."""
    return run_cli(_main, argv)
