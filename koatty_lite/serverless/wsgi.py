"""run_wsgi(): the one place a WSGI application runs (PEP 3333)."""
from __future__ import annotations

from ..errors import check_status

__all__ = ["run_wsgi"]


def run_wsgi(app, environ):
    """Run a PEP 3333 app over environ; return (status_line, header_pairs, body_bytes)."""
    state = []  # [status, headers] once start_response was called
    chunks = []
    sent = [False]  # True once body bytes exist: headers count as "sent" (PEP 3333 exc_info rule)

    def write(data):
        if not state:
            raise AssertionError("write() before start_response()")
        if data:
            sent[0] = True
            chunks.append(bytes(data))

    def start_response(status, headers, exc_info=None):
        if exc_info:
            try:
                if sent[0]:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # why: break the traceback cycle (PEP 3333)
        elif state:
            raise AssertionError("start_response() called twice without exc_info")
        check_status(status)
        state[:] = [status, list(headers)]
        return write

    result = app(environ, start_response)
    try:
        for data in result:
            if data:
                if not state:
                    raise AssertionError("body yielded before start_response()")
                sent[0] = True
                chunks.append(data)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not state:
        raise AssertionError("the WSGI app did not call start_response()")
    return state[0], state[1], b"".join(chunks)
