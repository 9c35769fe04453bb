"""Per-request database connection and caller."""

from flask import current_app, g, request

from sync.db import BUSY_TIMEOUT_MS, connect
from sync.devices import authenticate
from sync.errors import Forbidden, Unauthenticated
from sync.scope import Caller


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


def authenticate_request() -> None:
    """Before any parsing: every API operation but the public ones needs a valid token,
    so an anonymous caller learns nothing from validation errors."""
    if request.routing_exception is not None or request.endpoint is None:
        return
    view = current_app.view_functions[request.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is None:  # the OpenAPI document and other non-API routes
        return
    handler = getattr(view_class, request.method.lower(), None)
    if handler is None:
        return
    if getattr(handler, "doorstep_max_body", None):
        request.max_content_length = handler.doorstep_max_body
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
