"""Stored plans: each officer's current plan for a day, and the plans it superseded.

A new plan for the same officer and day supersedes the last; the current one reaches
the officer's phone through sync as a ``plan`` record (``read_plans``). Who may see a
plan is who may plan the officer's day (``officer_for``).
"""

from datetime import date

import orjson
from sqlite_utils import Database

from sync.access.scope import Caller
from sync.access.users import base_of
from sync.casework import absences
from sync.casework.progress import add_progress
from sync.clock import utc_now
from sync.errors import Forbidden, NotFound
from sync.protocol.kinds import Kind
from sync.store import changes
from sync.store.db import write_transaction


def officer_for(db: Database, caller: Caller, officer_id: int) -> dict:
    rows = list(
        db.query(
            "SELECT id, username, display_name, team_id, role, base_latitude, "
            "base_longitude, base_label FROM users WHERE id = ? AND disabled_at IS NULL",
            [officer_id],
        )
    )
    if not rows or rows[0]["role"] != "officer":
        raise NotFound(f"Officer {officer_id} not found.")
    officer = rows[0]
    officer["base"] = base_of(officer)
    if caller.role == "officer" and caller.user_id != officer_id:
        raise NotFound(f"Officer {officer_id} not found.")
    if caller.role == "team_leader" and caller.team_id != officer["team_id"]:
        raise NotFound(f"Officer {officer_id} not found.")
    if caller.role not in ("officer", "team_leader", "admin"):
        raise Forbidden(f"{caller.a_role} may not plan visits.")
    return officer


def store(db, caller, officer, day, request, body, replaces) -> int:
    """Store a plan, superseding the officer's current plan for the day; its id. The
    officer's absence is checked again under the write lock: one recorded while the plan
    was being solved (seconds, for a week) must not be planned over."""
    with write_transaction(db):
        absences.check_present(db, officer, day)
        previous = [
            r[0]
            for r in db.execute(
                "SELECT id FROM plans WHERE officer_id = ? AND plan_date = ? "
                "AND status = 'current'",
                [officer["id"], day.isoformat()],
            )
        ]
        for plan_id in previous:
            db.execute("UPDATE plans SET status = 'superseded' WHERE id = ?", [plan_id])
            changes.touch(db, "plan", plan_id, None, deleted=True, owner_id=officer["id"])
        row = {
            "officer_id": officer["id"],
            "plan_date": day.isoformat(),
            "status": "current",
            "replaces": replaces or (previous[-1] if previous else None),
            "rules_version": body["rules_version"],
            "request": orjson.dumps(request).decode(),
            "body": orjson.dumps(body).decode(),
            "created_by": caller.user_id,
            "created_at": utc_now(),
        }
        plan_id = db.execute(
            f"INSERT INTO plans ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        ).lastrowid
        changes.touch(db, "plan", plan_id, None, owner_id=officer["id"])
    return plan_id


PLAN_COLUMNS = "id, officer_id, plan_date, status, replaces, created_at, body"


def plan_out(row: dict) -> dict:
    body = orjson.loads(row.pop("body"))
    return {**row, **body, "id": row["id"], "status": row["status"]}


def get_plan(db: Database, caller: Caller, plan_id: int) -> dict:
    rows = list(db.query(f"SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?", [plan_id]))
    if not rows:
        raise NotFound(f"Plan {plan_id} not found.")
    try:
        officer_for(db, caller, rows[0]["officer_id"])
    except NotFound:  # another's plan is answered as none: whose it is is not said
        raise NotFound(f"Plan {plan_id} not found.") from None
    return add_progress(db, [plan_out(rows[0])])[0]


def read_plans(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    """For sync: a current plan for today or later (others are removed from phones)."""
    found = {}
    for row in db.query(
        f"SELECT {PLAN_COLUMNS} FROM plans WHERE id IN ({','.join('?' * len(ids))}) "
        "AND status = 'current' AND plan_date >= ?",
        [*[int(i) for i in ids], today.isoformat()],
    ):
        found[str(row["id"])] = plan_out(row)
    return found


def list_plans(db: Database, caller: Caller, *, day: date, officer_id: int | None = None):
    """Current plans for a day: mine (officers), my team's (team leaders), all (admins),
    each with its progress (``sync.casework.progress``)."""
    if caller.role not in ("officer", "team_leader", "admin"):
        raise Forbidden(f"{caller.a_role} may not see visit plans.")
    where, params = ["p.plan_date = ?", "p.status = 'current'"], [day.isoformat()]
    if caller.role == "officer":
        where.append("p.officer_id = ?")
        params.append(caller.user_id)
    elif caller.role == "team_leader":
        where.append("u.team_id = ?")
        params.append(caller.team_id)
    if officer_id is not None:
        where.append("p.officer_id = ?")
        params.append(officer_id)
    return add_progress(
        db,
        [
            plan_out(row)
            for row in db.query(
                f"SELECT {', '.join('p.' + c for c in PLAN_COLUMNS.split(', '))} FROM plans p "
                f"JOIN users u ON u.id = p.officer_id WHERE {' AND '.join(where)} "
                "ORDER BY u.username",
                params,
            )
        ],
    )


def past_plans(db: Database, officer_id: int, since: str, today: date) -> list[str]:
    """The officer's day plans for days from ``since`` to before ``today``: a new day
    removes them from the phone."""
    return [
        str(r[0])
        for r in db.execute(
            "SELECT id FROM plans WHERE officer_id = ? AND plan_date >= ? AND plan_date < ? "
            "ORDER BY id",
            [officer_id, since, today.isoformat()],
        )
    ]


# A day plan reaches only its officer (it belongs to a person, not a home).
PLAN_KIND = Kind("plan", table="plans", key="id", read=read_plans, roles=("officer",))
