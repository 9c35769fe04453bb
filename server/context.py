"""Per-request limits, database connection and caller."""

from flask import current_app, g, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, RequestURITooLarge

from sync.access.devices import authenticate
from sync.access.scope import Caller
from sync.errors import Forbidden, Unauthenticated
from sync.store.db import BUSY_TIMEOUT_MS, connect


def db():
    if "db" not in g:
        g.db = connect(
            current_app.config["DATABASE"],
            busy_timeout_ms=current_app.config.get("BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS),
        )
        cap = current_app.config.get("MAX_DB_MB")
        if cap:
            # A quota: past it, writes fail cleanly (503, nothing half-written).
            page_size = g.db.execute("PRAGMA page_size").fetchone()[0]
            g.db.execute(f"PRAGMA max_page_count = {int(cap * 1024 * 1024 // page_size)}")
    return g.db


def close_db(_exc=None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
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
