"""`python -m koatty_lite COMMAND ...`: developer tools (serve, event, invoke, start-api, coldstart, openapi, package).

Each command lives in `koatty_lite/cli/<command>.py` with a `main(argv) -> int`; only the one asked
for is imported. The `cli` package is a development tool and is left out of the function zip.
"""
import sys

COMMANDS = ("serve", "event", "invoke", "start-api", "coldstart", "openapi", "package")


def main(argv=None):
    """Dispatch to `koatty_lite.cli.<command>.main(rest_of_argv)` and return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        out = sys.stdout if argv and argv[0] in ("-h", "--help") else sys.stderr
        if argv and argv[0] not in ("-h", "--help"):
            # why: one line and exit 2, as every other mistake (docs/cli.md)
            print(f"error: unknown command {argv[0]!r}; choose one of: {', '.join(COMMANDS)}", file=out)
            return 2
        print("usage: python -m koatty_lite {" + ",".join(COMMANDS) + "} ...", file=out)
        return 0 if out is sys.stdout else 2
    import importlib

    module = importlib.import_module("koatty_lite.cli." + argv[0].replace("-", "_"))
    try:
        return module.main(argv[1:]) or 0
    except BrokenPipeError:  # why: `... | head` closed the pipe; end quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
