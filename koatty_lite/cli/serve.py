"""`python -m koatty_lite serve module:App [--port 3000] [--host 127.0.0.1]`: serve an app until SIGTERM/SIGINT."""
from __future__ import annotations

from koatty_lite.cli._common import CliError, load_app, make_parser, port_number, run_cli


def _main(argv: list) -> int:
    p = make_parser(prog="python -m koatty_lite serve", description=__doc__)
    p.add_argument("target", help="module:App, e.g. examples.demo.app:App (App is the default attribute)")
    p.add_argument("--port", type=port_number, default=None, help="port (default: config server.port, 3000)")
    p.add_argument("--host", default=None, help="host (default: config server.host, 127.0.0.1)")
    args = p.parse_args(argv)
    App = load_app(args.target)
    from koatty_lite.app import run

    import errno

    try:
        run(App, port=args.port, host=args.host)
    except OSError as exc:  # why: a port in use or a host that is not ours is a user mistake, not a crash
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise  # an OSError from the app's own boot keeps its traceback
        raise CliError(f"cannot listen on {args.host or 'the configured host'}:{args.port or 'the configured port'}: "
                       f"{exc.strerror or exc}") from None
    return 0


def main(argv: list) -> int:
    """Parse arguments and run the app (blocks until a signal); a user mistake is one line, exit 2."""
    return run_cli(_main, argv)
