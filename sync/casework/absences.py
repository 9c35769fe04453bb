"""Absences: an officer away on annual leave, sick, on training or otherwise, from one
England day to another (inclusive).

An absence is a record of its own, kept by the officer's team leader (or an admin) and
audited. An absent officer gets no day plan and no stops in the team's week
(sync.casework.days, weeks); recording an absence withdraws the officer's current plans
for those days, so their phone drops them. Each absence says, for every patch the
officer owns, which of its days are covered and, when some are not, whom to ask
(sync.casework.cover). Cancelled, never deleted: who was away when is kept.
"""

from datetime import date, timedelta

from sqlite_utils import Database

from sync import codes
from sync.access import audit
from sync.access.scope import Caller, require_role
from sync.casework import cover
from sync.clock import london_today, utc_now
from sync.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sync.store import changes
from sync.store.db import write_transaction

# Longer than a year is a leaver, not an absence: disable the user instead.
MAX_DAYS = 366

ABSENCE_SQL = """
SELECT a.id, a.officer_id, u.username AS officer, u.display_name AS officer_name,
       u.team_id, a.kind, a.start_date, a.end_date, a.note, a.created_by, a.created_at,
       a.cancelled_at, a.cancelled_by
FROM absences a JOIN users u ON u.id = a.officer_id
"""


def _check_officer(db: Database, caller: Caller, officer_id: int) -> dict:
    """The officer, who must be an active officer (of the caller's team, for a leader)."""
    rows = list(
        db.query(
            "SELECT id, username, display_name, team_id, role, disabled_at FROM users "
            "WHERE id = ?",
            [officer_id],
        )
    )
    if not rows or rows[0]["role"] != "officer" or rows[0]["disabled_at"] is not None:
        raise ValidationFailed(
            f"User {officer_id} is not an active officer.",
            errors={"officer_id": ["Must be an active officer."]},
        )
    if caller.role == "team_leader" and rows[0]["team_id"] != caller.team_id:
        raise ValidationFailed(
            "A team leader records absences of their own team's officers.",
            errors={"officer_id": ["Not an officer of your team."]},
        )
    return rows[0]


def _overlapping(db: Database, officer_id: int, first: date, last: date) -> list[dict]:
    return list(
        db.query(
            ABSENCE_SQL + " WHERE a.officer_id = ? AND a.cancelled_at IS NULL "
            "AND a.start_date <= ? AND a.end_date >= ? ORDER BY a.start_date",
            [officer_id, last.isoformat(), first.isoformat()],
        )
    )


def describe(absence: dict) -> str:
    """``Officer 3 is away (annual leave) from 7 December 2026 to 11 December 2026
    (absence 4)``."""
    kind = codes.ABSENCE_KINDS[absence["kind"]].lower()
    first, last = (date.fromisoformat(absence[k]) for k in ("start_date", "end_date"))
    return (
        f"{absence['officer_name'] or absence['officer']} is away ({kind}) from "
        f"{cover.spoken(first)} to {cover.spoken(last)} (absence {absence['id']})"
    )


def create_absence(
    db: Database,
    caller: Caller,
    *,
    officer_id: int,
    kind: str,
    start_date: date,
    end_date: date,
    note: str | None = None,
) -> dict:
    """Record an absence; the officer's current plans for those days are withdrawn."""
    require_role(caller, codes.PATCH_MANAGER_ROLES, "record absences")
    _check_officer(db, caller, officer_id)
    if end_date < start_date:
        raise ValidationFailed(
            "An absence cannot end before it starts.",
            errors={"end_date": ["Before start_date."]},
        )
    if (end_date - start_date).days >= MAX_DAYS:
        raise ValidationFailed(
            f"An absence lasts at most {MAX_DAYS} days; disable a leaver's account instead.",
            errors={"end_date": [f"More than {MAX_DAYS} days after start_date."]},
        )
    with write_transaction(db):
        clash = _overlapping(db, officer_id, start_date, end_date)
        if clash:
            raise Conflict(
                f"{describe(clash[0])}: an absence may not overlap another.",
                code="absence-overlaps",
                errors={"start_date": [f"Overlaps absence {clash[0]['id']}."]},
            )
        _check_not_covering(db, officer_id, start_date, end_date)
        absence_id = db.execute(
            "INSERT INTO absences (officer_id, kind, start_date, end_date, note, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                officer_id,
                kind,
                start_date.isoformat(),
                end_date.isoformat(),
                note,
                caller.user_id,
                utc_now(),
            ],
        ).lastrowid
        _withdraw_plans(db, officer_id, start_date, end_date)
        audit.record(db, caller, "absence-recorded", "absence", [str(absence_id)], kind)
    return get_absence(db, caller, absence_id)


def _check_not_covering(db: Database, officer_id: int, first: date, last: date) -> None:
    """``Conflict`` when the officer covers a patch on a day of the absence: that patch
    would be left with no one to plan it. Cancel or move the cover first."""
    span = {"first": first.isoformat(), "last": last.isoformat(), "officer": officer_id}
    held = next(
        db.query(cover.COVERS_ON + " AND c.officer_id = :officer ORDER BY c.start_date", span),
        None,
    )
    if held:
        cover_id = held["id"]
        (name,) = db.execute(
            "SELECT name FROM patches WHERE id = ?", [held["patch_id"]]
        ).fetchone()
        days = " to ".join(
            cover.spoken(date.fromisoformat(held[k])) for k in ("start_date", "end_date")
        )
        raise Conflict(
            f"The officer covers {name} from {days} (cover {cover_id}): cancel that cover, or "
            "give it to someone else, before recording an absence on those days.",
            code="officer-covering",
            errors={"start_date": [f"Overlaps cover {cover_id} of {name}."]},
        )


def _withdraw_plans(db: Database, officer_id: int, first: date, last: date) -> None:
    """The officer's current plans for days of the absence, from today, are superseded
    with no successor: their phone removes them at its next sync."""
    first = max(first, london_today())
    for (plan_id,) in db.execute(
        "SELECT id FROM plans WHERE officer_id = ? AND status = 'current' "
        "AND plan_date >= ? AND plan_date <= ?",
        [officer_id, first.isoformat(), last.isoformat()],
    ).fetchall():
        db.execute("UPDATE plans SET status = 'superseded' WHERE id = ?", [plan_id])
        changes.touch(db, "plan", plan_id, None, deleted=True, owner_id=officer_id)


def _row(db: Database, absence_id: int) -> dict:
    rows = list(db.query(ABSENCE_SQL + " WHERE a.id = ?", [absence_id]))
    if not rows:
        raise NotFound(f"Absence {absence_id} not found.")
    return rows[0]


def _visible(caller: Caller, absence: dict) -> None:
    """Team leaders see their team's officers' absences; admins every one."""
    require_role(caller, codes.PATCH_MANAGER_ROLES, "see absences")
    if caller.role == "team_leader" and absence["team_id"] != caller.team_id:
        raise NotFound(f"Absence {absence['id']} not found.")


def _out(db: Database, absence: dict) -> dict:
    absence["patches"] = [] if absence["cancelled_at"] else cover.status(db, absence)
    return absence


def get_absence(db: Database, caller: Caller, absence_id: int) -> dict:
    absence = _row(db, absence_id)
    _visible(caller, absence)
    return _out(db, absence)


def list_absences(
    db: Database,
    caller: Caller,
    *,
    team_id: int | None = None,
    officer_id: int | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    include_cancelled: bool = False,
) -> list[dict]:
    """Absences that touch the days from ``from_date`` to ``to_date`` (either open), of
    a team or an officer, earliest first. A team leader sees only their own team."""
    require_role(caller, codes.PATCH_MANAGER_ROLES, "see absences")
    if caller.role == "team_leader":
        if team_id is not None and team_id != caller.team_id:
            raise Forbidden("A team leader sees their own team's absences.")
        team_id = caller.team_id
    if from_date and to_date and to_date < from_date:
        raise ValidationFailed(
            "The range cannot end before it starts.", errors={"to": ["Before from."]}
        )
    where, params = ["1"], []
    for clause, value in (
        ("u.team_id = ?", team_id),
        ("a.officer_id = ?", officer_id),
        ("a.end_date >= ?", from_date and from_date.isoformat()),
        ("a.start_date <= ?", to_date and to_date.isoformat()),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    if not include_cancelled:
        where.append("a.cancelled_at IS NULL")
    rows = db.query(
        ABSENCE_SQL + f" WHERE {' AND '.join(where)} ORDER BY a.start_date, a.id", params
    )
    return [_out(db, r) for r in rows]


def cancel_absence(db: Database, caller: Caller, absence_id: int) -> dict:
    """Cancel an absence (the officer is back, or was never away); kept as cancelled."""
    _visible(caller, _row(db, absence_id))
    with write_transaction(db):
        cancelled = db.execute(
            "UPDATE absences SET cancelled_at = ?, cancelled_by = ? "
            "WHERE id = ? AND cancelled_at IS NULL",
            [utc_now(), caller.user_id, absence_id],
        ).rowcount
        if cancelled:
            audit.record(db, caller, "absence-cancelled", "absence", [str(absence_id)])
    return get_absence(db, caller, absence_id)


def absent_days(db: Database, officer_ids: list[int], first: date, last: date) -> dict:
    """``{(officer_id, day): absence}`` for every day from ``first`` to ``last`` that
    one of the officers is away."""
    if not officer_ids:
        return {}
    marks = ",".join("?" * len(officer_ids))
    found = {}
    for absence in db.query(
        ABSENCE_SQL + f" WHERE a.officer_id IN ({marks}) AND a.cancelled_at IS NULL "
        "AND a.start_date <= ? AND a.end_date >= ?",
        [*officer_ids, last.isoformat(), first.isoformat()],
    ):
        day = max(first, date.fromisoformat(absence["start_date"]))
        end = min(last, date.fromisoformat(absence["end_date"]))
        while day <= end:
            found[absence["officer_id"], day] = absence
            day += timedelta(days=1)
    return found


def check_present(db: Database, officer: dict, day: date) -> None:
    """``ValidationFailed`` naming the absence when the officer is away on ``day``: an
    absent officer gets no plan."""
    away = absent_days(db, [officer["id"]], day, day).get((officer["id"], day))
    if away is not None:
        raise ValidationFailed(
            f"{describe(away)}: an absent officer gets no plan.",
            code="officer-absent",
            errors={"date": [f"{describe(away)}."]},
        )
