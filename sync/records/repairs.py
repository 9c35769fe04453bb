"""Repair referrals: raised on a phone during a visit, worked by maintenance under Awaab's
Law deadlines (sync.records.awaab).

A referral is created offline and pushed (health and safety first: the clock starts at
the observation time on the phone). Maintenance then records each step, time-stamped and
by whom: reported -> acknowledged -> investigated -> made safe -> completed, or cancelled
with a reason; ``summary_sent`` and ``works_started`` meet deadlines without changing the
status. Every step is guarded by the record's ETag (``If-Match``), so two people cannot
overwrite each other's step unseen. Each referral and step is an outbox event for the
repairs system (sync.protocol.outbox).
"""

from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync import codes
from sync.access import audit
from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.checks import Integer, Many, Record, Sha256, Text
from sync.clock import iso, utc_now
from sync.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from sync.protocol import outbox
from sync.protocol.batch import Batch, Op, Rejected, dumps_text, prefetch_creates
from sync.protocol.kinds import OUTLIVES, Kind
from sync.records import awaab, blobs
from sync.store import changes
from sync.store.db import write_transaction
from sync.store.rows import chunks, load

WORKER_ROLES = ("maintenance", "admin")
OPEN = ("reported", "acknowledged", "investigated", "made_safe")
# Which statuses each action may follow, and the status it leaves (None: unchanged).
ACTIONS = {
    "acknowledged": (("reported",), "acknowledged"),
    "investigated": (("reported", "acknowledged"), "investigated"),
    "summary_sent": (("investigated", "made_safe", "completed"), None),
    "made_safe": (("acknowledged", "investigated"), "made_safe"),
    "works_started": (("investigated", "made_safe"), None),
    "completed": (("investigated", "made_safe"), "completed"),
    "cancelled": (OPEN, "cancelled"),
}
# Steps that meet a deadline without moving the status: each is recorded once.
ONCE = ("summary_sent", "works_started")
# Recorded times may trail the real event (entered back at the depot), never lead it.
CLOCK_SKEW = timedelta(minutes=5)

NEW_REPAIR = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": Text(40, min_len=1),
        "location": Text(200, min_len=1, required=True, nullable=False),
        "category": Text(20, choices=codes.REPAIR_CATEGORIES, required=True, nullable=False),
        "hazard_class": Text(20, choices=codes.HAZARD_CLASSES, required=True, nullable=False),
        "description": Text(4000, min_len=1, required=True, nullable=False),
        "photos": Many(Sha256(), max_items=10),
    }
)
_INSERT = (
    "INSERT INTO repairs (id, uprn, tenancy_ref, location, category, hazard_class, "
    "description, photos, status, observed_at, reported_by, received_at, version, updated_at, "
    "flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'reported', ?, ?, ?, 1, ?, ?)"
)
_EVENT = (
    "INSERT INTO repair_events (repair_id, action, at, by_user, note, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def apply_create(batch: Batch, m: dict, repair: dict) -> dict:
    uprn = repair["uprn"]
    _, flags = batch.place(uprn, repair["tenancy_ref"])
    try:
        awaab.check_calendar(m["observed_at"])
    except awaab.CalendarUnknown as exc:
        raise Rejected(exc.detail, code=exc.code) from None
    batch.claim("repair", m["entity_id"], "A repair referral", uprn)
    photos = repair["photos"] or []
    missing = blobs.expect(batch, "repair", m["entity_id"], photos)
    observed = m["observed_iso"]
    batch.later(
        _INSERT,
        (
            m["entity_id"],
            uprn,
            repair["tenancy_ref"],
            repair["location"],
            repair["category"],
            repair["hazard_class"],
            repair["description"],
            dumps_text(photos),
            observed,
            batch.caller.user_id,
            batch.now_iso,
            batch.now_iso,
            dumps_text(flags),
        ),
    )
    batch.later(
        _EVENT, (m["entity_id"], "reported", observed, batch.caller.user_id, None, batch.now_iso)
    )
    # The server adds deadlines and status, so the phone gets the record back.
    batch.touch("repair", m["entity_id"], uprn, None)
    due = awaab.deadlines(repair["hazard_class"], m["observed_at"], {}, batch.now)
    batch.event(
        "repair.reported",
        m["entity_id"],
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in repair.items()}
        | {
            "id": m["entity_id"],
            "photos": photos,  # a list, none sent or some, as the record has it
            "observed_at": observed,
            "reported_by": batch.caller.username,
            "deadlines": due,
        },
    )
    result = {"status": "applied", "flags": flags}
    if missing:
        result["missing_photos"] = missing
    return result


def _read_repairs(db: Database, ids: list[str], today) -> dict[str, dict]:
    return read(db, ids, datetime.now(UTC))


REPAIR_KIND = Kind(
    "repair",
    table="repairs",
    key="id",
    read=_read_repairs,
    ops={"create": Op(NEW_REPAIR, apply_create)},
    prefetch=prefetch_creates("repair", "repairs"),
    tenancy=OUTLIVES,
    topics=("repair.reported", "repair.updated"),
)


# --- reading ---------------------------------------------------------------------------

COLUMNS = (
    "r.id, r.uprn, r.tenancy_ref, r.location, r.category, r.hazard_class, r.description, "
    "r.photos, r.status, r.observed_at, r.reported_by, u.username AS reported_by_username, "
    "r.received_at, r.investigated_at, r.cancel_reason, r.version, r.updated_at, r.flags, "
    "p.address_line_1, p.postcode"
)


def _out(row: dict, events: list[dict], now: datetime, uploaded: set[tuple[str, int]]) -> dict:
    row["photos"] = orjson.loads(row["photos"])
    row["flags"] = orjson.loads(row["flags"])
    # Missing until its reporter uploads it: only then does the repair grant it (blobs).
    row["missing_photos"] = [p for p in row["photos"] if (p, row["reported_by"]) not in uploaded]
    done = {}
    for event in events:
        done.setdefault(event["action"], datetime.fromisoformat(event["at"]))
    row["events"] = events
    row["deadlines"] = awaab.deadlines(
        row["hazard_class"],
        awaab.aware_from(row["observed_at"], row["received_at"]),
        done,
        now,
        closed=row["status"] == "cancelled",
    )
    states = {d["state"] for d in row["deadlines"]}
    row["overdue"] = "overdue" in states
    row["due_soon"] = "due_soon" in states
    return row


def read(db: Database, ids: list[str], now: datetime) -> dict[str, dict]:
    rows = load(
        db,
        f"SELECT {COLUMNS} FROM repairs r JOIN users u ON u.id = r.reported_by "
        "LEFT JOIN properties p ON p.uprn = r.uprn WHERE r.id IN ({marks})",
        ids,
        "id",
    )
    events: dict[str, list] = {i: [] for i in rows}
    for chunk in chunks(list(rows)):
        for event in db.query(
            "SELECT e.repair_id, e.action, e.at, u.username AS by_username, e.note "
            "FROM repair_events e JOIN users u ON u.id = e.by_user "
            f"WHERE e.repair_id IN ({','.join('?' * len(chunk))}) ORDER BY e.id",
            chunk,
        ):
            events[event.pop("repair_id")].append(event)
    photos = [p for row in rows.values() for p in orjson.loads(row["photos"])]
    uploaded = blobs.uploaded(db, photos)
    return {i: _out(row, events[i], now, uploaded) for i, row in rows.items()}


def next_actions(repair: dict) -> list[str]:
    """The steps ``act`` would accept now, in the order they are usually taken."""
    done = {e["action"] for e in repair["events"]}
    return [
        action
        for action, (follows, _) in ACTIONS.items()
        if repair["status"] in follows and not (action in ONCE and action in done)
    ]


def etag(repair: dict) -> str:
    return f'"{repair["id"]}.{repair["version"]}"'


def _in_scope(db: Database, caller: Caller, repair_id: str) -> bool:
    where, params = scope_clause(visible_patch_ids(db, caller), "uprn")
    return bool(
        db.execute(
            f"SELECT 1 FROM repairs WHERE id = ? AND {where}", [repair_id, *params]
        ).fetchone()
    )


def get(db: Database, caller: Caller, repair_id: str) -> dict:
    if not _in_scope(db, caller, repair_id):
        raise NotFound(f"Repair {repair_id} not found.")
    return read(db, [repair_id], datetime.now(UTC))[repair_id]


# --- maintenance's steps ---------------------------------------------------------------


def act(
    db: Database,
    caller: Caller,
    repair_id: str,
    *,
    action: str,
    if_match: str | None,
    at: datetime | None = None,
    note: str | None = None,
) -> dict:
    """Record one step. ``if_match``: the ETag the caller last read."""
    if caller.role not in WORKER_ROLES:
        if _in_scope(db, caller, repair_id):
            raise Forbidden(f"{caller.a_role} may not work repairs.")
        raise NotFound(f"Repair {repair_id} not found.")
    now = datetime.now(UTC)
    # The write lock first (BEGIN IMMEDIATE), then the ETag check: a concurrent step with
    # the same ETag waits for this one, then finds the ETag changed (412). A deferred
    # transaction would read, then fail to write (busy at once: 503).
    with write_transaction(db):
        current = read(db, [repair_id], now).get(repair_id)
        if current is None:
            raise NotFound(f"Repair {repair_id} not found.")
        if not if_match:
            raise PreconditionRequired(
                "Send If-Match with the repair's ETag (GET /repairs/{id}).",
                errors={"If-Match": ["Required."]},
            )
        if if_match.strip() != etag(current):
            raise PreconditionFailed(
                "The repair changed since you read it: read it again, then decide.",
                errors={"If-Match": [f"The current ETag is {etag(current)}."]},
            )
        follows, status = ACTIONS[action]
        if current["status"] not in follows:
            raise Conflict(
                f"A repair that is {current['status'].replace('_', ' ')} cannot be "
                f"{action.replace('_', ' ')}.",
                code="invalid-transition",
                errors={"action": [f"Allowed after: {', '.join(follows)}."]},
            )
        if action in ONCE and any(e["action"] == action for e in current["events"]):
            raise Conflict(
                f"{codes.REPAIR_ACTIONS[action]}: already recorded.",
                code="invalid-transition",
                errors={"action": ["Already recorded."]},
            )
        if action == "cancelled" and not note:
            raise ValidationFailed(
                "Say why the repair is cancelled.", errors={"note": ["Required to cancel."]}
            )
        when = at or now
        if when > now + CLOCK_SKEW or when < datetime.fromisoformat(current["observed_at"]):
            raise ValidationFailed(
                "A step happens after the referral was seen and not in the future.",
                errors={"at": ["Before the observation or in the future."]},
            )
        if action == "investigated":
            try:
                awaab.check_calendar(when)
            except awaab.CalendarUnknown as exc:
                raise ValidationFailed(exc.detail, errors={"at": [exc.detail]}) from None
        stamp = iso(when)
        db.execute(_EVENT, [repair_id, action, stamp, caller.user_id, note, utc_now()])
        sets = ["version = version + 1", "updated_at = ?"]
        params: list = [utc_now()]
        if status:
            sets.append("status = ?")
            params.append(status)
        if action == "investigated":
            sets.append("investigated_at = ?")
            params.append(stamp)
        if action == "cancelled":
            sets.append("cancel_reason = ?")
            params.append(note)
        db.execute(f"UPDATE repairs SET {', '.join(sets)} WHERE id = ?", [*params, repair_id])
        changes.touch(db, "repair", repair_id, current["uprn"])
        updated = read(db, [repair_id], now)[repair_id]
        outbox.add(
            db,
            "repair.updated",
            repair_id,
            {
                "id": repair_id,
                "action": action,
                "at": stamp,
                "by": caller.username,
                "note": note,
                "status": updated["status"],
                "deadlines": updated["deadlines"],
            },
        )
        audit.record(db, caller, f"repair-{action}", "repair", [repair_id])
    return updated
