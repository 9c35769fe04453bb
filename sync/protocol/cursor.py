"""The pull cursor: what a phone holds, signed by the server so no phone can forge it.

It records, per bucket (a patch, minus a home granted for the day, or the caller's own
records), the sequence number the phone has everything up to; the server's epoch; the
day of the last pull; the patches still arriving whole; and the device it was issued to.
A push carries it too, so that the server knows which versions the phone holds
(``pulled_through``). See docs/sync-protocol.md.
"""

import base64
import hashlib
import hmac
import json

from sqlite_utils import Database

from sync.access.scope import Caller
from sync.errors import ValidationFailed
from sync.store import changes


def encode_cursor(state: dict, secret: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()[:16]
    return f"{body.decode()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def decode_cursor(token: str, secret: str) -> dict:
    bad = ValidationFailed(
        "The cursor was not issued by this server. Pull without a cursor to bootstrap.",
        code="bad-cursor",
        errors={"cursor": ["Not a cursor this server issued."]},
    )
    try:
        body, mac = token.split(".")
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:16]
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        if not hmac.compare_digest(expected, given):
            raise bad
        state = json.loads(base64.urlsafe_b64decode(body))
        buckets = {int(k): int(v) for k, v in state["b"].items()}
        arriving = {int(p) for p in state.get("n", [])}
        device = state.get("i")
        return {
            "e": str(state["e"]),
            "d": state["d"],
            "b": buckets,
            "n": arriving,
            "i": int(device) if device is not None else None,
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad from None


def pulled_through(db: Database, caller: Caller, cursor, secret: str) -> dict[int, int]:
    """What a phone holds, from the cursor it sends with a push: bucket -> the sequence
    number it has everything up to. Nothing for no cursor, one this server cannot read
    (its pulls say so), one issued to another device, or one from before a restore (a
    phone resetting uploads first, with the cursor it has): an upload is never refused
    for its cursor."""
    if not isinstance(cursor, str) or not cursor:
        return {}
    try:
        state = decode_cursor(cursor, secret)
    except ValidationFailed:
        return {}
    if state["i"] != caller.device_id or state["e"] != changes.epoch(db):
        return {}
    return state["b"]
