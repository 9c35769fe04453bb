"""Per-request limits, database connection and caller."""

import os
import sqlite3
import threading

from flask import current_app, g, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, RequestURITooLarge

from sync.access.devices import authenticate
from sync.access.scope import Caller
from sync.errors import Forbidden, Unauthenticated
from sync.store.db import BUSY_TIMEOUT_MS, connect


def db():
    """This thread's connection to the database, for the whole request."""
    if "db" not in g:
        g.db = _held()
    return g.db


def _held():
    """The connection this thread keeps across requests, opened by its first one. Opening
    one a request cost a checkpoint a request (closing a database's last connection
    checkpoints its WAL: some 7 ms); a held one leaves checkpoints to SQLite's own, at
    1,000 pages of WAL. One per thread, never shared: a gunicorn sync worker is one thread,
    the test client runs in its caller's. A process forked from one that held it opens its
    own (SQLite connections do not survive a fork)."""
    held = current_app.extensions["doorstep.connections"]
    if getattr(held, "db", None) is None or held.pid != os.getpid():
        held.db, held.pid = _open(), os.getpid()
    return held.db


def _open():
    conn = connect(
        current_app.config["DATABASE"],
        busy_timeout_ms=current_app.config.get("BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS),
    )
    cap = current_app.config.get("MAX_DB_MB")
    if cap:
        # A quota: past it, writes fail cleanly (503, nothing half-written).
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {int(cap * 1024 * 1024 // page_size)}")
    return conn


def hold_connections(app) -> None:
    """Give ``app`` its per-thread connections, handed back after every request."""
    app.extensions["doorstep.connections"] = threading.local()
    app.teardown_appcontext(release_db)


def release_db(exc=None) -> None:
    """After each request the connection is kept for the next, with no transaction left
    open. After an error nothing handled, or if it cannot roll back, it is closed, and the
    thread's next request opens another."""
    conn = g.pop("db", None)
    if conn is None:
        return
    if exc is None and not conn.conn.in_transaction:
        return
    held = current_app.extensions["doorstep.connections"]
    try:
        conn.conn.rollback()
        if exc is None:
            return
    except sqlite3.Error:
        pass
    held.db = None
    conn.close()


def _handler():
    """The API operation this request is for, or None (no such route, the OpenAPI
    document and other non-API routes)."""
    if request.routing_exception is not None or request.endpoint is None:
        return None
    view = current_app.view_functions[request.endpoint]
    return getattr(getattr(view, "view_class", None), request.method.lower(), None)


def limit_request() -> None:
    """Before anything else: a URL or a body over its limit is refused unread. A body's
    limit is its operation's (``Blueprint.max_body``), else ``MAX_CONTENT_LENGTH``; one
    without Content-Length is refused as soon as it passes it."""
    url_limit = current_app.config["MAX_URL_BYTES"]
    if len(request.environ.get("RAW_URI") or request.full_path) > url_limit:
        raise RequestURITooLarge(
            f"The URL is longer than the {url_limit} bytes this server accepts."
        )
    limit = getattr(_handler(), "doorstep_max_body", None)
    if isinstance(limit, str):
        limit = current_app.config[limit]
    if limit:
        request.max_content_length = limit
    if (request.content_length or 0) > request.max_content_length:
        raise RequestEntityTooLarge()
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        body = request.environ["wsgi.input"]
        request.environ["wsgi.input"] = _Capped(body, request.max_content_length)


class _Capped:
    """A body without Content-Length (chunked), refused once it passes its limit. werkzeug
    stops reading at the limit without a word: a body cut short there would be taken for
    the whole of it (an import's first 64 MB). This reads one byte past to tell. A body
    whose chunked framing is broken (gunicorn raises an ``OSError`` of its own, such as
    ``InvalidChunkSize``) is a bad request, not a server error."""

    def __init__(self, stream, limit: int):
        self._stream, self._left = stream, limit

    def read(self, size: int | None = -1) -> bytes:
        size = self._left if size is None or size < 0 else min(size, self._left)
        try:
            data = self._stream.read(size)
            self._left -= len(data)
            if not self._left and self._stream.read(1):
                raise RequestEntityTooLarge()
        except (OSError, ParseException) as exc:
            raise BadRequest(f"The request body could not be read: {exc}.") from None
        return data


def authenticate_request() -> None:
    """Before any parsing: every API operation but the public ones needs a valid token,
    so an anonymous caller learns nothing from validation errors."""
    handler = _handler()
    if handler is None:
        return
    if getattr(handler, "doorstep_public", False):
        return
    me = caller()
    if me.must_change_password and not getattr(handler, "doorstep_before_password_change", False):
        raise Forbidden(
            "Change your password first (POST /me/password).", code="password-change-required"
        )


def caller() -> Caller:
    """The authenticated caller, from ``Authorization: Bearer <token>``."""
    if "caller" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "Send 'Authorization: Bearer <token>'; log in to get one.", code="missing-token"
            )
        g.caller = authenticate(db(), token.strip())
    return g.caller
