"""Logging in on a phone: one bearer token per device, stored only as a SHA-256 hash."""

import hashlib
import os
import secrets
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from sync.access import throttle
from sync.access.passwords import burn_time, verify_password
from sync.access.scope import Caller
from sync.access.users import SIGNED_OUT, find_user
from sync.clock import iso, utc_now
from sync.errors import NotFound, Unauthenticated

DEFAULT_TOKEN_DAYS = 30
# last_seen_at is written at most this often per device, not on every request.
LAST_SEEN_RESOLUTION_S = 60

DEVICE_COLUMNS = (
    "d.id, d.user_id, u.username, d.name, d.created_at, d.last_seen_at, d.revoked_at, "
    "d.revoked_by, d.revoked_reason, d.last_pull_at, d.last_push_at, d.acknowledged_seq, "
    "d.expires_at, "
    "(SELECT count(*) FROM mutations m WHERE m.device_id = d.id AND m.status = 'rejected' "
    "AND m.reviewed_at IS NULL) AS rejected_awaiting_review"
)


def advance_acknowledged(db: Database, device_id: int) -> int:
    """The device's ``acknowledged_seq``, moved on past what has now arrived: the highest n
    such that its mutations 1..n have all been received. A gap in its sequence stops it
    there (the phone re-sends what it still holds past the gap)."""
    (acknowledged,) = db.execute(
        "SELECT acknowledged_seq FROM devices WHERE id = ?", [device_id]
    ).fetchone()
    start = acknowledged
    for (seq,) in db.execute(
        "SELECT DISTINCT device_seq FROM mutations WHERE device_id = ? AND device_seq > ? "
        "ORDER BY device_seq",
        [device_id, acknowledged],
    ):
        if seq != acknowledged + 1:
            break
        acknowledged = seq
    if acknowledged != start:
        db.execute(
            "UPDATE devices SET acknowledged_seq = ? WHERE id = ?", [acknowledged, device_id]
        )
    return acknowledged


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime() -> timedelta:
    """``DOORSTEP_TOKEN_DAYS`` (default 30): a device token's life from its issue or last
    rotation. A phone rotates its token while it is valid (POST /auth/rotate)."""
    return timedelta(days=float(os.environ.get("DOORSTEP_TOKEN_DAYS", DEFAULT_TOKEN_DAYS)))


def login(
    db: Database,
    username: str,
    password: str,
    device_name: str,
    *,
    address: str | None = None,
    lifetime: timedelta | None = None,
) -> dict:
    """Check the password and register a device. Returns the device and its token,
    which is shown this once and never stored. Failed attempts are throttled per user and
    per ``address`` (sync.access.throttle)."""
    # Counted as a failure before the password is looked at (one write transaction with
    # the check), so parallel guesses cannot all pass the check; a success takes it back.
    attempt = throttle.attempt(db, username, address)
    user = find_user(db, username)
    if user is None:
        burn_time(password)
        raise Unauthenticated("Wrong username or password.", code="bad-credentials")
    if not verify_password(password, user["password_hash"]):
        raise Unauthenticated("Wrong username or password.", code="bad-credentials")
    if user["disabled_at"] is not None:
        throttle.release(db, attempt)
        raise Unauthenticated("This account is disabled.", code="account-disabled")
    throttle.succeeded(db, username, attempt)
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.atomic():
        cur = db.execute(
            """INSERT INTO devices (user_id, name, token_hash, created_at, last_seen_at,
                                    expires_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [
                user["id"],
                device_name,
                _hash(token),
                iso(now),
                iso(now),
                iso(now + (lifetime or token_lifetime())),
            ],
        )
    return {"token": token, "device": get_device(db, cur.lastrowid)}


def rotate(db: Database, caller: Caller) -> dict:
    """A new token for the caller's device. The old one keeps working until the new one
    is first used, so a phone that never got this answer (lost signal) carries on with the
    old one and rotates again; from the new token's first use, the old one is refused."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.atomic():
        db.execute(
            "UPDATE devices SET previous_token_hash = CASE WHEN previous_token_hash IS NULL "
            "THEN token_hash ELSE previous_token_hash END, token_hash = ?, rotated_at = ?, "
            "expires_at = ? WHERE id = ?",
            [_hash(token), iso(now), iso(now + token_lifetime()), caller.device_id],
        )
    return {"token": token, "device": get_device(db, caller.device_id)}


def authenticate(db: Database, token: str) -> Caller:
    """The caller behind a bearer token, or ``Unauthenticated``. Records last_seen_at."""
    digest = _hash(token)
    row = db.execute(
        """SELECT d.id, d.last_seen_at, u.id, u.username, u.role, u.team_id,
                  u.must_change_password, d.expires_at, d.previous_token_hash
           FROM devices d JOIN users u ON u.id = d.user_id
           WHERE (d.token_hash = ? OR d.previous_token_hash = ?)
             AND d.revoked_at IS NULL AND u.disabled_at IS NULL""",
        [digest, digest],
    ).fetchone()
    if row is None:
        marks = ",".join("?" * len(SIGNED_OUT))
        signed_out = db.execute(
            f"""SELECT 1 FROM devices d JOIN users u ON u.id = d.user_id
                WHERE (d.token_hash = ? OR d.previous_token_hash = ?)
                  AND d.revoked_reason IN ({marks}) AND u.disabled_at IS NULL""",
            [digest, digest, *SIGNED_OUT],
        ).fetchone()
        if signed_out:
            # Not a lost phone: its owner's password was changed or reset. Answered as an
            # expired sign-in, which every version of the phone app handles by asking to
            # sign in again and keeping its unsent records (a lost phone is revoked).
            raise Unauthenticated(
                "Your password was changed, so this device was signed out. Sign in again "
                "(your unsent records stay on the phone).",
                code="token-expired",
            )
        raise Unauthenticated(
            "The token is unknown or revoked. Log in again.", code="invalid-token"
        )
    device_id, last_seen, user_id, username, role, team_id, must_change, expires, previous = row
    if previous is not None and previous != digest:
        # The new token's first use: the one it replaced stops working now.
        with db.atomic():
            db.execute("UPDATE devices SET previous_token_hash = NULL WHERE id = ?", [device_id])
    now = utc_now()
    if expires is not None and expires <= now:
        raise Unauthenticated(
            "The token has expired. Log in again (your unsent records stay on the phone).",
            code="token-expired",
        )
    if last_seen is None or _seconds_between(last_seen, now) >= LAST_SEEN_RESOLUTION_S:
        with db.atomic():
            db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [now, device_id])
    return Caller(
        user_id=user_id,
        username=username,
        role=role,
        team_id=team_id,
        device_id=device_id,
        must_change_password=bool(must_change),
    )


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def get_device(db: Database, device_id: int) -> dict:
    rows = list(
        db.query(
            f"SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id "
            "WHERE d.id = ?",
            [device_id],
        )
    )
    if not rows:
        raise NotFound(f"Device {device_id} not found.")
    return rows[0]


def _device_scope(caller: Caller) -> tuple[str, list]:
    if caller.role == "admin":
        return "1", []
    if caller.role == "team_leader":
        return "(u.team_id = ? OR u.id = ?)", [caller.team_id, caller.user_id]
    return "u.id = ?", [caller.user_id]


def list_devices(db: Database, caller: Caller, *, active_only: bool = False) -> list[dict]:
    where, params = _device_scope(caller)
    if active_only:
        where += " AND d.revoked_at IS NULL"
    return list(
        db.query(
            f"SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id "
            f"WHERE {where} ORDER BY u.username, d.id",
            params,
        )
    )


def revoke_device(db: Database, caller: Caller, device_id: int, reason: str | None) -> dict:
    """A lost phone. Anyone may revoke their own devices, team leaders their team's, admins
    any; the token stops working at once. Others' devices are out of scope (404)."""
    where, params = _device_scope(caller)
    row = db.execute(
        f"SELECT d.user_id FROM devices d JOIN users u ON u.id = d.user_id "
        f"WHERE d.id = ? AND {where}",
        [device_id, *params],
    ).fetchone()
    if row is None:
        raise NotFound(f"Device {device_id} not found.")
    with db.atomic():
        db.execute(
            # A device only signed out (a password change) can still be revoked: wiped.
            f"""UPDATE devices SET revoked_at = ?, revoked_by = ?, revoked_reason = ?
               WHERE id = ? AND (revoked_at IS NULL
                                 OR revoked_reason IN ({",".join("?" * len(SIGNED_OUT))}))""",
            [utc_now(), caller.user_id, reason or "revoked", device_id, *SIGNED_OUT],
        )
    return get_device(db, device_id)


def logout(db: Database, caller: Caller) -> None:
    revoke_device(db, caller, caller.device_id, "logged out")
