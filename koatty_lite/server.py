"""listen(): the standard-library HTTP server that serves a ready app (loaded only by listen())."""
from __future__ import annotations

from . import log as _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def start_server(wsgi_app: Callable, host: str, port: int, shutdown_timeout: float = 10.0) -> Any:
    """A wsgiref server with a thread per request, serving in a daemon thread; ``server.stop()`` is graceful."""
    import socketserver
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            # Why: wsgiref prints every request to stderr; route the access log through "koatty" at DEBUG.
            _log.get_logger().debug("%s %s", self.address_string(), format % args)

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        # Why: daemon threads are not joined by server_close(); track in-flight ones ourselves.
        block_on_close = False

        def __init__(self, *args: Any, **kwargs: Any):
            self.inflight = set()
            self.inflight_lock = threading.Lock()
            self.serve_thread = None
            self.stop_lock = threading.Lock()
            self.stopped = False
            super().__init__(*args, **kwargs)

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            me = threading.current_thread()
            with self.inflight_lock:
                self.inflight.add(me)
            try:
                super().process_request_thread(request, client_address)
            finally:
                with self.inflight_lock:
                    self.inflight.discard(me)

        def stop(self, timeout: float = shutdown_timeout) -> None:
            """Stop accepting, let in-flight requests finish (up to ``timeout`` s), close the socket."""
            with self.stop_lock:
                if self.stopped:
                    return
                self.stopped = True
            if self.serve_thread is not None and self.serve_thread is not threading.current_thread():
                self.shutdown()
                self.serve_thread.join(timeout)
            with self.inflight_lock:
                pending = [t for t in self.inflight if t is not threading.current_thread()]
            for t in pending:
                t.join(timeout)
            self.server_close()

    server = Server((host, port), Handler)
    server.set_app(wsgi_app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="koatty-server", daemon=True)
    server.serve_thread = thread
    thread.start()
    return server
