"""Users and teams: created and disabled by admins; passwords reset or changed."""

import re
import sqlite3

from sqlite_utils import Database

from sync import codes
from sync.access import throttle
from sync.access.passwords import hash_password, verify_password
from sync.access.scope import Caller
from sync.clock import utc_now
from sync.errors import Conflict, NotFound, ValidationFailed

# Why a device was revoked by a password change or an admin's reset: it is signed out, not
# lost (sync.access.devices.authenticate answers as for an expired sign-in, and the phone
# keeps its unsent work). Revoking it, or disabling its user, still wipes it.
SIGNED_OUT = ("password changed", "password reset")

USER_COLUMNS = (
    "id, username, display_name, email, role, team_id, must_change_password, "
    "disabled_at, created_at, updated_at, base_latitude, base_longitude, base_label, work_phone"
)

PHONE_RULE = "A UK number: 0 and 10 digits (e.g. 07700 900123), or +44 and 10 digits."
_SEPARATORS = re.compile(r"[\s().-]")


def uk_phone(value: str | None) -> str | None:
    """A UK phone number as E.164 (+44 and 10 digits), however it was typed (spaces,
    dashes, brackets, a leading 0, +44 or 0044, "+44 (0)"): the form a ``tel:`` link
    dials from anywhere. None or blank clears it; anything else is refused naming the
    field."""
    if value is None or not value.strip():
        return None
    digits = _SEPARATORS.sub("", value.replace("(0)", ""))
    for prefix in ("+44", "0044", "0"):
        if digits.startswith(prefix):
            national = digits[len(prefix) :]
            break
    else:
        national = ""
    if not re.fullmatch(r"[1-9][0-9]{9}", national):  # ASCII digits: a tel: link dials them
        raise ValidationFailed(
            f"{value!r} is not a UK phone number.", errors={"work_phone": [PHONE_RULE]}
        )
    return f"+44{national}"


def base_of(row: dict) -> dict | None:
    """A user's base (latitude, longitude, label) from its columns; None when unset."""
    lat, lon = row.pop("base_latitude", None), row.pop("base_longitude", None)
    label = row.pop("base_label", None)
    if lat is None or lon is None:
        return None
    return {"latitude": lat, "longitude": lon, "label": label or "Base"}


def _user_out(row: dict) -> dict:
    row["must_change_password"] = bool(row["must_change_password"])
    row["active"] = row["disabled_at"] is None
    row["base"] = base_of(row)
    return row


def _base_columns(base: dict | None) -> dict:
    """The columns that store ``base`` (None clears it)."""
    base = base or {}
    return {
        "base_latitude": base.get("latitude"),
        "base_longitude": base.get("longitude"),
        "base_label": base.get("label") if base else None,
    }


def create_team(db: Database, name: str) -> dict:
    try:
        with db.atomic():
            cur = db.execute(
                "INSERT INTO teams (name, created_at) VALUES (?, ?)", [name, utc_now()]
            )
    except sqlite3.IntegrityError:
        raise Conflict(
            f"A team called {name!r} already exists.",
            code="team-exists",
            errors={"name": ["Already in use."]},
        ) from None
    return get_team(db, cur.lastrowid)


def get_team(db: Database, team_id: int) -> dict:
    rows = list(db.query("SELECT id, name, created_at FROM teams WHERE id = ?", [team_id]))
    if not rows:
        raise NotFound(f"Team {team_id} not found.")
    return rows[0]


def list_teams(db: Database) -> list[dict]:
    return list(db.query("SELECT id, name, created_at FROM teams ORDER BY name"))


def _check_team(db: Database, role: str, team_id: int | None) -> None:
    if team_id is not None:
        try:
            get_team(db, team_id)
        except NotFound:
            raise ValidationFailed(
                f"Team {team_id} does not exist.", errors={"team_id": ["Unknown team."]}
            ) from None
    elif role in ("officer", "team_leader"):
        raise ValidationFailed(
            f"A {role.replace('_', ' ')} must belong to a team.",
            errors={"team_id": ["Required for officers and team leaders."]},
        )


def create_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    team_id: int | None = None,
    email: str | None = None,
    must_change_password: bool = True,
    base: dict | None = None,
    work_phone: str | None = None,
    password_hash: str | None = None,
) -> dict:
    """``base``: where the user's day starts and ends by default (latitude, longitude,
    label), for officers' plans. ``work_phone``: a UK number, stored as E.164.
    ``password_hash``: ``password``'s hash by ``hash_password``, made once by a caller
    creating many accounts with one password (the demo), as hashing is slow on purpose."""
    if role not in codes.ROLES:
        raise ValidationFailed(f"Unknown role {role!r}.", errors={"role": ["Unknown role."]})
    _check_team(db, role, team_id)
    phone = uk_phone(work_phone)
    now = utc_now()
    try:
        with db.atomic():
            cur = db.execute(
                """INSERT INTO users (username, display_name, email, role, team_id,
                   work_phone, password_hash, must_change_password, password_changed_at,
                   created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    username,
                    display_name,
                    email,
                    role,
                    team_id,
                    phone,
                    password_hash or hash_password(password),
                    int(must_change_password),
                    now,
                    now,
                    now,
                ],
            )
    except sqlite3.IntegrityError:
        raise Conflict(
            f"The username {username!r} is taken.",
            code="username-taken",
            errors={"username": ["Already in use."]},
        ) from None
    if base is not None:
        update_user(db, cur.lastrowid, {"base": base}, by=cur.lastrowid)
    return get_user(db, cur.lastrowid)


def get_user(db: Database, user_id: int) -> dict:
    rows = list(db.query(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id]))
    if not rows:
        raise NotFound(f"User {user_id} not found.")
    return _user_out(rows[0])


def find_user(db: Database, username: str) -> dict | None:
    rows = list(
        db.query(f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?", [username])
    )
    return rows[0] if rows else None


def list_users(
    db: Database,
    *,
    role: str | None = None,
    team_id: int | None = None,
    include_disabled: bool = True,
) -> list[dict]:
    where, params = ["1"], []
    if role:
        where.append("role = ?")
        params.append(role)
    if team_id is not None:
        where.append("team_id = ?")
        params.append(team_id)
    if not include_disabled:
        where.append("disabled_at IS NULL")
    sql = f"SELECT {USER_COLUMNS} FROM users WHERE {' AND '.join(where)} ORDER BY username"
    return [_user_out(r) for r in db.query(sql, params)]


def update_user(db: Database, user_id: int, changes: dict, *, by: int) -> dict:
    """Change a user's name, email, work phone, role, team, base or active state.
    Disabling revokes devices."""
    user = get_user(db, user_id)
    role = changes.get("role", user["role"])
    team_id = changes.get("team_id", user["team_id"])
    if role not in codes.ROLES:
        raise ValidationFailed(f"Unknown role {role!r}.", errors={"role": ["Unknown role."]})
    _check_team(db, role, team_id)
    now = utc_now()
    fields = {k: changes[k] for k in ("display_name", "email", "role", "team_id") if k in changes}
    if "work_phone" in changes:
        fields["work_phone"] = uk_phone(changes["work_phone"])
    if "base" in changes:
        fields |= _base_columns(changes["base"])
    with db.atomic():
        if fields:
            sets = ", ".join(f"{k} = :{k}" for k in fields)
            db.execute(
                f"UPDATE users SET {sets}, updated_at = :now WHERE id = :id",
                {**fields, "now": now, "id": user_id},
            )
        if "active" in changes:
            if changes["active"] is False and user["active"]:
                if user_id == by:
                    raise ValidationFailed(
                        "You cannot disable your own account.",
                        errors={"active": ["Cannot disable yourself."]},
                    )
                db.execute(
                    "UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?",
                    [now, now, user_id],
                )
                revoke_user_devices(db, user_id, by=by, reason="user disabled")
            elif changes["active"] is True and not user["active"]:
                db.execute(
                    "UPDATE users SET disabled_at = NULL, updated_at = ? WHERE id = ?",
                    [now, user_id],
                )
    return get_user(db, user_id)


def set_password(
    db: Database,
    user_id: int,
    password: str,
    *,
    must_change: bool,
    sign_out: bool = True,
    keep_device: int | None = None,
    by: int | None = None,
) -> None:
    """Admin reset (``must_change=True``) or the user's own change. Signs out every device
    of the user but ``keep_device`` (the one making the change), unless ``sign_out`` is
    false: whoever knew the old password, or holds a stolen phone, is signed out with it."""
    get_user(db, user_id)
    now = utc_now()
    with db.atomic():
        db.execute(
            """UPDATE users SET password_hash = ?, must_change_password = ?,
               password_changed_at = ?, updated_at = ? WHERE id = ?""",
            [hash_password(password), int(must_change), now, now, user_id],
        )
        if sign_out:
            reason = SIGNED_OUT[1] if must_change else SIGNED_OUT[0]
            revoke_user_devices(db, user_id, by=by, reason=reason, keep=keep_device)


def change_own_password(
    db: Database,
    caller: Caller,
    current: str,
    new: str,
    *,
    address: str | None = None,
    sign_out_others: bool = True,
) -> None:
    """The caller's own change. A wrong current password counts as a failed login (same
    per-user and per-address counter and backoff, sync.access.throttle): a stolen device token
    gets no more guesses than the login screen gives. The caller's other devices are
    signed out unless ``sign_out_others`` is false; the device making the change stays."""
    attempt = throttle.attempt(db, caller.username, address)
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [caller.user_id]).fetchone()
    if row is None or not verify_password(current, row[0]):
        raise ValidationFailed(
            "The current password is wrong.",
            code="wrong-password",
            errors={"current_password": ["Does not match."]},
        )
    throttle.succeeded(db, caller.username, attempt)
    if current == new:
        raise ValidationFailed(
            "The new password must differ from the current one.",
            errors={"new_password": ["Same as the current password."]},
        )
    set_password(
        db,
        caller.user_id,
        new,
        must_change=False,
        sign_out=sign_out_others,
        keep_device=caller.device_id,
        by=caller.user_id,
    )


def revoke_user_devices(
    db: Database, user_id: int, *, by: int | None, reason: str, keep: int | None = None
) -> int:
    """Revoke every active device of the user but ``keep``; how many were revoked."""
    signed_out = ",".join("?" * len(SIGNED_OUT))
    cur = db.execute(
        f"""UPDATE devices SET revoked_at = ?, revoked_by = ?, revoked_reason = ?
            WHERE user_id = ? AND id IS NOT ?
              AND (revoked_at IS NULL OR revoked_reason IN ({signed_out}))""",
        [utc_now(), by, reason, user_id, keep, *SIGNED_OUT],
    )
    return cur.rowcount
