"""gunicorn's sync worker, answering gunicorn's own refusals as problem+json.

gunicorn refuses some requests before Doorstep sees them: a request line over
``limit_request_line`` (414), too many or too long headers (431), a malformed request
(400). It writes those as HTML pages; this worker writes the same status as the
problem+json document every other error is (``server.problems``), so a client reads
one shape whatever refused it. Configured in gunicorn.conf.py.
"""

import json

from gunicorn import util
from gunicorn.workers.sync import SyncWorker


def write_problem(sock, status: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error``'s stand-in: the same answer, as problem+json."""
    from server.problems import HTTP_CODES, PROBLEM_JSON, document  # loaded with the app

    detail = f"{reason}: {mesg}." if mesg else f"{reason}."
    body = json.dumps(document(status, HTTP_CODES.get(status, "error"), detail)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class ProblemWorker(SyncWorker):
    def handle_error(self, req, client, addr, exc):
        # gunicorn decides the status, logs and writes through util.write_error; keep all
        # of that and swap only the writer, for this call (a sync worker has one thread).
        html, util.write_error = util.write_error, write_problem
        try:
            super().handle_error(req, client, addr, exc)
        finally:
            util.write_error = html
