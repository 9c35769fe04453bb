"""Per-request database connection and caller."""

from flask import current_app, g, request

from sync.db import connect
from sync.devices import authenticate
from sync.errors import Unauthenticated
from sync.scope import Caller


def db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc=None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


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
