"""Warning markers raised from the field.

An officer raises a marker on a phone (for example "no lone visits" after an incident).
It must rest on a recorded incident and carry a review date. It shows at once to the
officer who raised it and to team leaders, and reaches everyone else who visits the home
only when a team leader approves it. A rejected marker leaves the raising officer's phone
through the sync removal, as does any marker once it ends.
"""

from datetime import timedelta

import orjson
from sqlite_utils import Database

from sync import codes
from sync.access import audit
from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.checks import Day, Integer, Record, Text
from sync.clock import london_today, utc_now
from sync.errors import Conflict, Forbidden, NotFound
from sync.protocol import outbox
from sync.protocol.batch import Batch, Op, Rejected, dumps_text, prefetch_creates
from sync.protocol.kinds import OUTLIVES, Kind
from sync.store import changes
from sync.store.pages import page
from sync.store.rows import load

DECIDER_ROLES = ("team_leader", "admin")
MAX_REVIEW = timedelta(days=366)

NEW_MARKER = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": Text(40, min_len=1),
        "code": Text(40, choices=codes.MARKER_CODES, required=True, nullable=False),
        "description": Text(500, min_len=1, required=True, nullable=False),
        "source_incident": Text(1000, min_len=1, required=True, nullable=False),
        "review_date": Day(required=True, nullable=False),
    }
)
_INSERT = (
    "INSERT INTO warning_markers (marker_ref, uprn, tenancy_ref, code, description, "
    "source_incident, start_date, review_date, end_date, imported_at, updated_at, status, "
    "raised_by, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 'pending', ?, ?)"
)


def apply_create(batch: Batch, m: dict, marker: dict) -> dict:
    uprn = marker["uprn"]
    _, flags = batch.place(uprn, marker["tenancy_ref"])
    raised_on = batch.local_day(m["observed_at"])
    if not raised_on < marker["review_date"] <= raised_on + MAX_REVIEW:
        raise Rejected(
            "The review date must be after the day it is raised and within a year.",
            code="invalid-payload",
            errors={"payload.review_date": ["Not within a year after today."]},
        )
    batch.claim("marker", m["entity_id"], "A warning marker", uprn)
    batch.later(
        _INSERT,
        (
            m["entity_id"],
            uprn,
            marker["tenancy_ref"],
            marker["code"],
            marker["description"],
            marker["source_incident"],
            raised_on.isoformat(),
            marker["review_date"].isoformat(),
            batch.now_iso,
            batch.now_iso,
            batch.caller.user_id,
            dumps_text(flags),
        ),
    )
    batch.touch("marker", m["entity_id"], uprn, None)
    batch.event(
        "marker.raised",
        m["entity_id"],
        {
            "marker_ref": m["entity_id"],
            "uprn": uprn,
            "tenancy_ref": marker["tenancy_ref"],
            "code": marker["code"],
            "description": marker["description"],
            "source_incident": marker["source_incident"],
            "review_date": marker["review_date"].isoformat(),
            "raised_by": batch.caller.username,
            "status": "pending",
        },
    )
    return {"status": "applied", "flags": [*flags, "awaiting-approval"]}


def _read_markers(db: Database, ids: list[str], today) -> dict[str, dict]:
    """Markers in force today (one expired, not yet started, or rejected is not served:
    the phone removes it)."""
    day = today.isoformat()
    rows = load(
        db,
        f"SELECT {MARKER_COLUMNS} FROM warning_markers WHERE marker_ref IN ({{marks}})",
        ids,
        "marker_ref",
    )
    for row in rows.values():
        row["review_overdue"] = row["review_date"] < day
        row["flags"] = orjson.loads(row["flags"])
    return {
        ref: row
        for ref, row in rows.items()
        if row["status"] != "rejected"
        and row["start_date"] <= day
        and (row["end_date"] is None or row["end_date"] >= day)
    }


def _marker_audience(caller: Caller, row: dict) -> bool:
    """A pending marker (raised from the field) reaches its raiser and team leaders."""
    if row["status"] != "pending":
        return True
    return row["raised_by"] == caller.user_id or caller.role in DECIDER_ROLES


MARKER_COLUMNS = (
    "marker_ref, uprn, tenancy_ref, code, description, source_incident, start_date, "
    "review_date, end_date, status, raised_by, flags"
)
# Who received which warning markers is audited (one entry per page).
MARKER_KIND = Kind(
    "marker",
    table="warning_markers",
    key="marker_ref",
    read=_read_markers,
    audience=_marker_audience,
    audited=True,
    ops={"create": Op(NEW_MARKER, apply_create)},
    prefetch=prefetch_creates("marker", "warning_markers", "marker_ref"),
    tenancy=OUTLIVES,
    topics=("marker.raised", "marker.decided"),
)


COLUMNS = (
    "m.marker_ref, m.uprn, m.tenancy_ref, m.code, m.description, m.source_incident, "
    "m.start_date, m.review_date, m.end_date, m.status, m.raised_by, "
    "r.username AS raised_by_username, m.decided_by, m.decided_at, m.decision_note, "
    "h.address_line_1, h.postcode"
)
# The markers raised from the field, with who raised them and the home's address.
RAISED = (
    "warning_markers m JOIN users r ON r.id = m.raised_by "
    "LEFT JOIN properties h ON h.uprn = m.uprn"
)


def list_markers(
    db: Database, caller: Caller, *, status: str = "pending", after=None, limit: int = 100
) -> dict:
    """Markers raised from the field in the caller's scope (team leaders: to decide)."""
    if caller.role not in (*DECIDER_ROLES, "officer"):
        raise Forbidden(f"{caller.a_role} may not review warning markers.")
    where, params = scope_clause(visible_patch_ids(db, caller), "m.uprn")
    clauses = [where, "m.raised_by IS NOT NULL", "m.status = ?"]
    params.append(status)
    if caller.role == "officer":
        clauses.append("m.raised_by = ?")
        params.append(caller.user_id)
    if after is not None:
        clauses.append("m.marker_ref > ?")
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {COLUMNS} FROM {RAISED} "
            f"WHERE {' AND '.join(clauses)} ORDER BY m.marker_ref LIMIT ?",
            [*params, limit + 1],
        )
    )
    return page(rows, limit, "marker_ref")


def decide(db: Database, caller: Caller, marker_ref: str, approve: bool, note: str | None):
    where, params = scope_clause(visible_patch_ids(db, caller), "m.uprn")
    rows = list(
        db.query(
            f"SELECT {COLUMNS} FROM {RAISED} WHERE m.marker_ref = ? AND {where}",
            [marker_ref, *params],
        )
    )
    if not rows:
        raise NotFound(f"Marker {marker_ref} not found.")
    if caller.role not in DECIDER_ROLES:
        raise Forbidden(f"{caller.a_role} may not approve warning markers.")
    marker = rows[0]
    if marker["status"] != "pending":
        raise Conflict(f"This marker is already {marker['status']}.", code="already-decided")
    status = "approved" if approve else "rejected"
    now = utc_now()
    with db.atomic():
        changed = db.execute(
            "UPDATE warning_markers SET status = ?, decided_by = ?, decided_at = ?, "
            "decision_note = ?, updated_at = ? WHERE marker_ref = ? AND status = 'pending'",
            [status, caller.user_id, now, note, now, marker_ref],
        ).rowcount
        if not changed:  # decided by someone else a moment ago
            raise Conflict("This marker has just been decided.", code="already-decided")
        changes.touch(db, "marker", marker_ref, marker["uprn"])
        outbox.add(
            db,
            "marker.decided",
            marker_ref,
            {
                "marker_ref": marker_ref,
                "status": status,
                "by": caller.username,
                "note": note,
                "today": london_today().isoformat(),
            },
        )
        audit.record(db, caller, f"marker-{status}", "marker", [marker_ref], detail=note)
    return next(
        iter(
            db.query(
                f"SELECT {COLUMNS} FROM {RAISED} WHERE m.marker_ref = ?",
                [marker_ref],
            )
        )
    )


def transitions(
    db: Database, caller: Caller, patch_ids: set[int], since: str, today
) -> list[dict]:
    """Markers in these patches that expired or came into force after ``since`` (the day
    of the phone's last pull): removed, or sent, on its first pull of a new day."""
    day = today.isoformat()
    marks = ",".join("?" * len(patch_ids))
    homes = f"uprn IN (SELECT uprn FROM patch_properties WHERE patch_id IN ({marks}))"
    params = [*sorted(patch_ids), since, day]
    ended = [
        r[0]
        for r in db.execute(
            f"SELECT marker_ref FROM warning_markers WHERE {homes} AND end_date >= ? "
            "AND end_date < ? ORDER BY marker_ref",
            params,
        )
    ]
    started = [
        r[0]
        for r in db.execute(
            f"SELECT marker_ref FROM warning_markers WHERE {homes} AND start_date > ? "
            "AND start_date <= ? ORDER BY marker_ref",
            params,
        )
    ]
    found = _read_markers(db, started, today)
    out = [{"type": "marker", "id": ref, "op": "remove"} for ref in ended]
    out += [
        {"type": "marker", "id": ref, "op": "upsert", "data": found[ref]}
        for ref in started
        if ref in found and _marker_audience(caller, found[ref])
    ]
    return out
