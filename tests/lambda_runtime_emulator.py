"""A stdlib Lambda Runtime API emulator: enough of /2018-06-01/runtime for the real awslambdaric."""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeApiEmulator:
    """Feeds queued events to `invocation/next` and records responses, errors and init errors.

    Usage: `with RuntimeApiEmulator() as emu: ...; emu.invoke(event, timeout=10)`; `emu.address` is the
    `host:port` to put in AWS_LAMBDA_RUNTIME_API.
    """

    def __init__(self, host="127.0.0.1"):
        self._events = queue.Queue()
        self._results = {}
        self._cond = threading.Condition()
        self.init_errors = []
        self._closing = threading.Event()
        emu = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # Why: keep test output clean
                pass

            def _reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))  # the C client wants it on every reply
                self.end_headers()
                self.wfile.write(body)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._reply(404, b'{"errorMessage":"not found"}')
                # Long poll: block until an event arrives; after close, hold the connection until shutdown.
                while not emu._closing.is_set():
                    try:
                        rid, event = emu._events.get(timeout=0.2)
                        break
                    except queue.Empty:
                        continue
                else:
                    return self._reply(503, b"{}")
                deadline = int((time.time() + 30) * 1000)
                self._reply(200, json.dumps(event).encode("utf-8"), [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", rid),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:koatty"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
                ])

            def do_POST(self):
                body = self._body()
                if self.path == PREFIX + "/init/error":
                    with emu._cond:
                        emu.init_errors.append({
                            "type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                            "body": _json(body),
                        })
                        emu._cond.notify_all()
                    return self._reply(202, b'{"status":"OK"}')
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with emu._cond:
                        emu._results[parts[1]] = (parts[2], _json(body))
                        emu._cond.notify_all()
                    return self._reply(202, b'{"status":"OK"}')
                return self._reply(404, b'{"errorMessage":"not found"}')

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.address = "%s:%d" % self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stop serving (pending long polls are answered 503)."""
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def invoke(self, event, timeout=15.0):
        """Queue one event and wait for its outcome: ("response"|"error", decoded body)."""
        rid = str(uuid.uuid4())
        self._events.put((rid, event))
        end = time.monotonic() + timeout
        with self._cond:
            while rid not in self._results:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no result for request {rid} within {timeout}s")
                self._cond.wait(left)
            return self._results.pop(rid)

    def wait_init_error(self, timeout=15.0):
        """Wait until the runtime posted to /runtime/init/error; return that record."""
        end = time.monotonic() + timeout
        with self._cond:
            while not self.init_errors:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no init error within {timeout}s")
                self._cond.wait(left)
            return self.init_errors[0]


def _json(body):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")
