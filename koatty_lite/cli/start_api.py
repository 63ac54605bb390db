"""`python -m koatty_lite start-api module:handler [--format apigw-v2] [--port 3000] [--host 127.0.0.1]`.

A local HTTP server (no Docker) that turns each real request into the chosen platform event, calls
the handler with a platform-like context, and turns the platform response back into HTTP: the code
path the function takes in the cloud, reachable from a browser or curl.
"""
from __future__ import annotations

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from koatty_lite.cli._common import (
    CliError, add_import_option, fake_context, import_plugins, load_handler, make_parser, platform_event, port_number,
    run_cli,
)
from koatty_lite.cli import event as _event
from koatty_lite.cli.event import HTTP_BUILDERS, PLATFORM, HttpRequest

__all__ = ["FORMATS", "response_to_http", "make_server", "main"]



def __getattr__(name):
    if name == "FORMATS":  # why: derived on each read from the event registry (a registered cloud too)
        return tuple(HTTP_BUILDERS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Formats whose gateway infers a 200 JSON response when the result has no statusCode.
_INFERRING = {"apigw-v2", "function-url", "scf-url"}


class BadResponse(ValueError):
    """The handler returned something the platform's gateway would refuse (a 502 there)."""


def _status(value):
    try:
        code = int(value)
    except (TypeError, ValueError):
        raise BadResponse(f"statusCode {value!r} is not an integer") from None
    if not 100 <= code <= 599:
        raise BadResponse(f"statusCode {code} out of range")
    return code


def response_to_http(result, fmt):
    """Platform response dict → (status, [(name, value)], body bytes), as that gateway would send it."""
    record = _event.BUILDERS.get(fmt)
    if record is not None and record.to_http is not None:  # a registered cloud's own response shape
        return record.to_http(result)
    if isinstance(result, (bytes, bytearray)) and PLATFORM.get(fmt) == "alicloud":
        result = json.loads(result)
    if not isinstance(result, dict) or "statusCode" not in result:
        if fmt in _INFERRING:
            # Why: HTTP API v2 / Function URL answer 200 + the JSON itself when statusCode is missing.
            return 200, [("Content-Type", "application/json")], json.dumps(result).encode("utf-8")
        raise BadResponse(f"{fmt} response must be an object with statusCode, got {type(result).__name__}")
    status = _status(result["statusCode"])
    headers = []
    seen = set()
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(multi, dict):
        raise BadResponse("multiValueHeaders must be an object")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise BadResponse(f"multiValueHeaders[{name!r}] must be a list")
        seen.add(name.lower())
        headers.extend((name, _hval(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        if name.lower() in seen:
            continue  # Why: REST v1 lets the multiValueHeaders spelling win for a name in both maps
        # Why: SCF (and FC) allow an array value for a repeated header such as Set-Cookie.
        for v in value if isinstance(value, list) else [value]:
            headers.append((name, _hval(v)))
    for cookie in result.get("cookies") or ():
        headers.append(("Set-Cookie", str(cookie)))
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (ValueError, TypeError):
            raise BadResponse("isBase64Encoded is true but body is not valid base64") from None
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = json.dumps(body).encode("utf-8")
    return status, headers, data


def _hval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def make_server(handler, fmt="apigw-v2", host="127.0.0.1", port=3000, quiet=False):
    """A ThreadingHTTPServer feeding `handler` with `fmt` events (port 0 picks a free port)."""
    if fmt not in HTTP_BUILDERS:
        raise CliError(f"unknown --format {fmt!r}; choose one of: {', '.join(HTTP_BUILDERS)}")
    build = HTTP_BUILDERS[fmt]
    platform = PLATFORM[fmt]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "koatty-lite-start-api"

        def _handle(self):
            path, _, query = self.path.partition("?")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                return self._send(400, [("Content-Type", "application/json")], b'{"message":"Bad Content-Length"}')
            body = self.rfile.read(length) if length else b""
            headers = list(self.headers.items())
            names = {k.lower() for k, _ in headers}
            # Why: a gateway says https, but this server speaks http: an app building its own URLs
            # (redirects, links) must see the scheme and port it is really reached on.
            if "x-forwarded-proto" not in names:
                headers.append(("X-Forwarded-Proto", "http"))
            if "x-forwarded-port" not in names:
                headers.append(("X-Forwarded-Port", str(self.server.server_address[1])))
            req = HttpRequest(self.command, path, query, headers, body, source_ip=self.client_address[0])
            event = build(req)
            try:
                result = handler(platform_event(event, platform), fake_context(platform))
                status, headers, data = response_to_http(result, fmt)
            except Exception as exc:  # the gateway answers 502 and the log shows why
                import traceback

                traceback.print_exc(file=sys.stderr)
                msg = json.dumps({"message": "Internal server error", "error": f"{type(exc).__name__}: {exc}"})
                return self._send(502, [("Content-Type", "application/json")], msg.encode("utf-8"))
            self._send(status, headers, data)

        def _send(self, status, headers, data):
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format, *args):
            if not quiet:
                super().log_message(format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def _main(argv):
    import_plugins(argv)  # a cloud of your own, registered by a module named with --import
    p = make_parser(prog="python -m koatty_lite start-api",
                                description="Serve a handler locally through a platform event format.")
    p.add_argument("target", help="MODULE:ATTRIBUTE, e.g. examples.aws.handler:handler")
    p.add_argument("--format", default="apigw-v2", help="one of: " + ", ".join(HTTP_BUILDERS))
    p.add_argument("--port", type=port_number, default=3000)
    p.add_argument("--host", default="127.0.0.1")
    add_import_option(p)
    args = p.parse_args(argv)
    if args.format not in HTTP_BUILDERS:
        raise CliError(f"unknown --format {args.format!r}; choose one of: {', '.join(HTTP_BUILDERS)}")
    handler = load_handler(args.target)
    try:
        server = make_server(handler, args.format, args.host, args.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); try another --port") from None
    host, port = server.server_address[:2]
    print(f"start-api: {args.target} as {args.format} events on http://{host}:{port}  (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv) -> int:
    """Entry point of `python -m koatty_lite start-api`."""
    return run_cli(_main, argv)
