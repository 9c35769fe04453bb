"""Lone working (HSE INDG73): check in at a home, with an expected check-out.

A phone checks in on arrival (a ``checkin`` record with the expected finish) and checks
out on leaving (an update). An officer still checked in past the expected finish plus a
grace period (15 minutes by default) is an alert for their team leader until the officer
checks out or a team leader clears it. A home with a "no lone visits" marker flags the
check-in.
"""

import os
from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync.access import audit
from sync.access.scope import Caller
from sync.checks import Integer, Moment, Record
from sync.clock import clock_wrong, iso, london_today, utc_now
from sync.errors import Conflict, Forbidden, NotFound
from sync.protocol.batch import Batch, Op, Rejected, dumps_text, prefetch_creates
from sync.protocol.kinds import Kind
from sync.store import changes
from sync.store.rows import load

MAX_VISIT = timedelta(hours=12)
DEFAULT_GRACE_MINUTES = 15


def grace() -> timedelta:
    """``DOORSTEP_LONE_WORKING_GRACE_MINUTES``: how long past the expected finish before an
    alert."""
    minutes = int(os.environ.get("DOORSTEP_LONE_WORKING_GRACE_MINUTES", DEFAULT_GRACE_MINUTES))
    return timedelta(minutes=minutes)


def _window(checkin: dict) -> dict:
    if (
        not checkin["checked_in_at"]
        < checkin["expected_out_at"]
        <= (checkin["checked_in_at"] + MAX_VISIT)
    ):
        return {"expected_out_at": ["After check-in, and within 12 hours of it."]}
    return {}


CHECK_IN = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "checked_in_at": Moment(required=True, nullable=False),
        "expected_out_at": Moment(required=True, nullable=False),
    },
    whole=_window,
)
CHECK_OUT = Record({"checked_out_at": Moment(required=True, nullable=False)})


def apply_check_in(batch: Batch, m: dict, checkin: dict) -> dict:
    uprn = checkin["uprn"]
    _, flags = batch.place(uprn)
    # A check-in ahead of the server (or a year behind it) is the phone's clock: the visit
    # is moved to the time of receipt, its expected finish by as much, so its alert falls
    # when the officer is really overdue, not hours later (or at once).
    flag = clock_wrong(checkin["checked_in_at"], batch.now)
    if flag is not None:
        shift = checkin["checked_in_at"] - batch.now
        checkin["checked_in_at"] -= shift
        checkin["expected_out_at"] -= shift
        if flag not in flags:
            flags.append(flag)
    batch.claim("checkin", m["entity_id"], "A check-in", uprn)
    batch.db.execute(
        "INSERT INTO checkins (id, uprn, officer_id, checked_in_at, expected_out_at, flags, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            m["entity_id"],
            uprn,
            batch.caller.user_id,
            iso(checkin["checked_in_at"]),
            iso(checkin["expected_out_at"]),
            dumps_text(flags),
            batch.now_iso,
        ],
    )
    batch.touch("checkin", m["entity_id"], uprn, None)
    return {"status": "applied", "version": 1, "flags": flags}


def apply_check_out(batch: Batch, m: dict, checkout: dict) -> dict:
    row = batch.db.execute(
        "SELECT officer_id, uprn, checked_in_at, checked_out_at, version, flags FROM checkins "
        "WHERE id = ?",
        [m["entity_id"]],
    ).fetchone()
    if row is None or row[0] != batch.caller.user_id:
        raise Rejected("No check-in of yours has this id.", code="unknown-entity")
    _, uprn, checked_in, checked_out, version, stored_flags = row
    if checked_out is not None:
        raise Rejected(f"Already checked out at {checked_out}.", code="already-checked-out")
    flags = []
    flag = clock_wrong(checkout["checked_out_at"], batch.now)
    if flag is not None:
        checkout["checked_out_at"] = batch.now
        flags.append(flag)
    if checkout["checked_out_at"] < datetime.fromisoformat(checked_in):
        raise Rejected(
            "Check-out is before check-in.",
            code="invalid-payload",
            errors={"payload.checked_out_at": ["Before checked_in_at."]},
        )
    kept = orjson.loads(stored_flags)
    kept += [f for f in flags if f not in kept]
    batch.db.execute(
        "UPDATE checkins SET checked_out_at = ?, flags = ?, version = version + 1 WHERE id = ?",
        [iso(checkout["checked_out_at"]), dumps_text(kept), m["entity_id"]],
    )
    # Exactly as the phone holds it, unless the server changed the check-in since the
    # phone last had it (a team leader cleared its alert), or the server moved the time
    # back to its own (the phone's clock ran fast): then it goes back to the phone.
    held = not flags and batch.holds("checkin", m["entity_id"], uprn)
    batch.touch("checkin", m["entity_id"], uprn, batch.caller.device_id if held else None)
    return {"status": "applied", "version": version + 1, "flags": flags}


CHECKIN_COLUMNS = (
    "id, uprn, officer_id, checked_in_at, expected_out_at, checked_out_at, flags, "
    "cleared_at, version"
)


def _read_checkins(db: Database, ids: list[str], today) -> dict[str, dict]:
    rows = load(db, f"SELECT {CHECKIN_COLUMNS} FROM checkins WHERE id IN ({{marks}})", ids, "id")
    for row in rows.values():
        row["flags"] = orjson.loads(row["flags"])
    return rows


def _own_checkin(caller: Caller, row: dict) -> bool:
    """An officer's check-ins reach that officer, and the team leaders who watch them."""
    return row["officer_id"] == caller.user_id or caller.role in ("team_leader", "admin")


CHECKIN_KIND = Kind(
    "checkin",
    table="checkins",
    key="id",
    read=_read_checkins,
    roles=("officer", "team_leader", "admin"),
    audience=_own_checkin,
    ops={"create": Op(CHECK_IN, apply_check_in), "update": Op(CHECK_OUT, apply_check_out)},
    prefetch=prefetch_creates("checkin", "checkins"),
    writes_now=True,
)


ALERT_COLUMNS = (
    "c.id, c.uprn, c.officer_id, u.username, u.display_name, u.work_phone, c.checked_in_at, "
    "c.expected_out_at, c.flags, p.address_line_1, p.postcode"
)


def _team_clause(caller: Caller) -> tuple[str, list]:
    if caller.role == "admin":
        return "1", []
    if caller.role == "team_leader":
        return "u.team_id = ?", [caller.team_id]
    raise Forbidden(f"{caller.a_role} may not see lone-working alerts.")


def alerts(db: Database, caller: Caller, now: datetime | None = None) -> list[dict]:
    """Officers overdue past their expected finish plus the grace period, oldest first:
    each with the officer's work phone to call, the home's address and the warning
    markers in force there (what the caller walks into), and how many minutes overdue."""
    where, params = _team_clause(caller)
    now = now or datetime.now(UTC)
    cutoff = iso(now - grace())
    rows = list(
        db.query(
            f"SELECT {ALERT_COLUMNS} FROM checkins c JOIN users u ON u.id = c.officer_id "
            "JOIN properties p ON p.uprn = c.uprn WHERE c.checked_out_at IS NULL "
            f"AND c.cleared_at IS NULL AND c.expected_out_at < ? AND {where} "
            "ORDER BY c.expected_out_at",
            [cutoff, *params],
        )
    )
    markers = _markers_in_force(db, sorted({r["uprn"] for r in rows}), london_today())
    for row in rows:
        row["flags"] = orjson.loads(row["flags"])
        row["markers"] = markers.get(row["uprn"], [])
        late = now - datetime.fromisoformat(row["expected_out_at"])
        row["overdue_minutes"] = max(0, int(late.total_seconds() // 60))
    return rows


def _markers_in_force(db: Database, uprns: list[int], today) -> dict[int, list[str]]:
    """The approved warning markers in force today at each of these homes (codes)."""
    found: dict[int, list[str]] = {}
    if not uprns:
        return found
    day = today.isoformat()
    for uprn, code in db.execute(
        f"SELECT DISTINCT uprn, code FROM warning_markers WHERE uprn IN "
        f"({','.join('?' * len(uprns))}) AND status = 'approved' AND start_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?) ORDER BY uprn, code",
        [*uprns, day, day],
    ):
        found.setdefault(uprn, []).append(code)
    return found


def clear(db: Database, caller: Caller, checkin_id: str, note: str) -> dict:
    where, params = _team_clause(caller)
    row = db.execute(
        f"SELECT c.uprn, c.cleared_at FROM checkins c JOIN users u ON u.id = c.officer_id "
        f"WHERE c.id = ? AND {where}",
        [checkin_id, *params],
    ).fetchone()
    if row is None:
        raise NotFound(f"Check-in {checkin_id} not found.")
    if row[1] is not None:
        raise Conflict("This alert is already cleared.", code="already-cleared")
    with db.atomic():
        changed = db.execute(
            "UPDATE checkins SET cleared_at = ?, cleared_by = ?, cleared_note = ?, "
            "version = version + 1 WHERE id = ? AND cleared_at IS NULL",
            [utc_now(), caller.user_id, note, checkin_id],
        ).rowcount
        if not changed:  # cleared by someone else a moment ago
            raise Conflict("This alert is already cleared.", code="already-cleared")
        changes.touch(db, "checkin", checkin_id, row[0])
        audit.record(db, caller, "clear-lone-working-alert", "checkin", [checkin_id], note)
    return {"id": checkin_id, "cleared": True}
