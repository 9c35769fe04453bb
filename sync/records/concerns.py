"""Safeguarding concerns: special-category data, append-only, and audited on every read.

A concern records the category (child, adult at risk, domestic abuse), its subjects,
whether anyone is in immediate danger, what was seen, and the referral made. A follow-up
(the referral made, the outcome) is a new concern that ``follows`` the first; nothing is
ever changed or deleted. Phones push follow-ups; a lead at a desk records one with
``follow_up``, guarded by the concern's ETag so two leads do not refer one concern twice.

Only the officer who raised it, the team leaders of that officer's team and the
safeguarding leads may see a concern: it never reaches other officers' phones, and every
read (API or sync) is written to the audit log. "That officer's team" is both the team
they were in when they raised it (its leaders handled it, and keep it when the officer
moves) and the team they are in now (its leaders supervise the officer's follow-ups).

A home with concerns not yet cleared carries a safeguarding flag. A lead clears the flag
for the concerns the server holds at that moment; a concern raised offline and synced
after the clearing keeps the flag up (add-wins), so a flag is never lost to a concurrent
clearing.
"""

import hashlib
import uuid
from datetime import UTC, datetime

import orjson
from sqlite_utils import Database

from sync import codes
from sync.access import audit
from sync.access.scope import Caller
from sync.checks import Boolean, Integer, Many, Moment, Record, Text
from sync.clock import CLOCK_AHEAD, iso, utc_now
from sync.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from sync.protocol.batch import Batch, Op, Rejected, dumps_text, prefetch_creates
from sync.protocol.kinds import OUTLIVES, Kind
from sync.records.properties import ADDRESS, one_line
from sync.store import changes
from sync.store.db import write_transaction
from sync.store.pages import page
from sync.store.rows import load

READER_ROLES = ("officer", "team_leader", "safeguarding_lead")

NEW_CONCERN = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": Text(40, min_len=1),
        "category": Text(20, choices=codes.CONCERN_CATEGORIES, required=True, nullable=False),
        "subjects": Many(Text(120, min_len=1), min_items=1, max_items=10, required=True),
        "immediate_danger": Boolean(required=True, nullable=False),
        "seen": Text(4000, min_len=1, required=True, nullable=False),
        "referred_to": Text(200, min_len=1),
        "referred_at": Moment(),
        "referral_ref": Text(100, min_len=1),
        "outcome": Text(2000, min_len=1),
        "follows": Text(100, min_len=1),
    }
)
_INSERT = (
    "INSERT INTO concerns (id, follows, uprn, tenancy_ref, category, subjects, "
    "immediate_danger, seen, referred_to, referred_at, referral_ref, outcome, raised_by, "
    "team_id, observed_at, received_at, flags) VALUES "
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def apply_create(batch: Batch, m: dict, concern: dict) -> dict:
    uprn = concern["uprn"]
    _, flags = batch.place(uprn, concern["tenancy_ref"])
    follows = concern["follows"]
    if follows is not None:
        first = _read_concerns(batch.db, [follows], None).get(follows)
        made_here = batch.created.get("concern", {}).get(follows)
        if made_here != uprn and (
            first is None or first["uprn"] != uprn or not concern_audience(batch.caller, first)
        ):
            raise Rejected(
                "A follow-up must name a concern at the same home that you may see.",
                code="unknown-entity",
                errors={"payload.follows": ["No such concern at this home."]},
            )
    batch.claim("concern", m["entity_id"], "A concern", uprn)
    referred_at = concern["referred_at"]
    batch.later(
        _INSERT,
        (
            m["entity_id"],
            follows,
            uprn,
            concern["tenancy_ref"],
            concern["category"],
            dumps_text(concern["subjects"]),
            int(concern["immediate_danger"]),
            concern["seen"],
            concern["referred_to"],
            referred_at.isoformat() if referred_at else None,
            concern["referral_ref"],
            concern["outcome"],
            batch.caller.user_id,
            batch.caller.team_id,
            m["observed_iso"],
            batch.now_iso,
            dumps_text(flags),
        ),
    )
    batch.touch("concern", m["entity_id"], uprn, None)
    return {"status": "applied", "flags": flags}


CONCERN_COLUMNS = (
    "c.id, c.follows, c.uprn, c.tenancy_ref, c.category, c.subjects, c.immediate_danger, "
    "c.seen, c.referred_to, c.referred_at, c.referral_ref, c.outcome, c.raised_by, "
    "u.username AS raised_by_username, c.team_id, u.team_id AS raiser_team_id, "
    "c.observed_at, c.received_at, c.flags, "
    "c.cleared_by_clearance IS NOT NULL AS cleared"
)


def concern_out(row: dict) -> dict:
    row["subjects"] = orjson.loads(row["subjects"])
    row["flags"] = orjson.loads(row["flags"])
    row["immediate_danger"] = bool(row["immediate_danger"])
    row["cleared"] = bool(row["cleared"])
    return row


def _read_concerns(db: Database, ids: list[str], today) -> dict[str, dict]:
    rows = load(
        db,
        f"SELECT {CONCERN_COLUMNS} FROM concerns c JOIN users u ON u.id = c.raised_by "
        "WHERE c.id IN ({marks})",
        ids,
        "id",
    )
    return {k: concern_out(row) for k, row in rows.items()}


def concern_audience(caller: Caller, row: dict) -> bool:
    """The raising officer, safeguarding leads, and team leaders of the raising officer's
    team: the team they were in when they raised it (``team_id``: its leaders handled it,
    and keep it) and the team they are in now (``raiser_team_id``: its leaders supervise
    them and their follow-ups)."""
    return (
        row["raised_by"] == caller.user_id
        or caller.role == "safeguarding_lead"
        or (
            caller.role == "team_leader"
            and caller.team_id in (row["team_id"], row["raiser_team_id"])
        )
    )


# Never to other officers' phones, even with the home in scope; every read audited.
CONCERN_KIND = Kind(
    "concern",
    table="concerns",
    key="id",
    read=_read_concerns,
    roles=READER_ROLES,
    audience=concern_audience,
    audited=True,
    ops={"create": Op(NEW_CONCERN, apply_create)},
    prefetch=prefetch_creates("concern", "concerns"),
    tenancy=OUTLIVES,
)


# --- reading (audited) -----------------------------------------------------------------

# What the API serves beyond what phones hold: the home's address (a lead acts on a home,
# not a UPRN) and who cleared the concern, when.
_SERVED = (
    f"{CONCERN_COLUMNS}, p.address_line_1, p.address_line_2, p.address_line_3, "
    "p.post_town, p.postcode, k.cleared_at, ku.username AS cleared_by_username "
    "FROM concerns c JOIN users u ON u.id = c.raised_by "
    "JOIN properties p ON p.uprn = c.uprn "
    "LEFT JOIN concern_clearances k ON k.id = c.cleared_by_clearance "
    "LEFT JOIN users ku ON ku.id = k.cleared_by"
)


def _served(row: dict) -> dict:
    row["address"] = one_line(row)
    for key in ADDRESS:
        del row[key]
    return concern_out(row)


def _audience_clause(caller: Caller) -> tuple[str, list]:
    if caller.role == "safeguarding_lead":
        return "1", []
    if caller.role == "team_leader":
        # Raised in my team, or by an officer in my team now (``u`` is the raiser).
        return "(c.raised_by = ? OR c.team_id = ? OR u.team_id = ?)", [
            caller.user_id,
            caller.team_id,
            caller.team_id,
        ]
    if caller.role == "officer":
        return "c.raised_by = ?", [caller.user_id]
    raise Forbidden(f"{caller.a_role} may not read safeguarding concerns.")


def list_concerns(
    db: Database,
    caller: Caller,
    *,
    uprn: int | None = None,
    flagged: bool | None = None,
    after: str | None = None,
    limit: int = 100,
) -> dict:
    """Concerns the caller may see, by id; every page read is audited."""
    where, params = _audience_clause(caller)
    clauses = [where]
    if uprn is not None:
        clauses.append("c.uprn = ?")
        params.append(uprn)
    if flagged is not None:
        clauses.append("c.cleared_by_clearance IS " + ("NULL" if flagged else "NOT NULL"))
    if after is not None:
        clauses.append("c.id > ?")
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {_SERVED} WHERE {' AND '.join(clauses)} ORDER BY c.id LIMIT ?",
            [*params, limit + 1],
        )
    )
    result = page([_served(r) for r in rows], limit, "id")
    if result["items"]:
        with db.atomic():
            audit.record(db, caller, "read", "concern", [r["id"] for r in result["items"]])
    return result


def get_concern(db: Database, caller: Caller, concern_id: str) -> dict:
    """One concern with its follow-ups."""
    where, params = _audience_clause(caller)
    rows = list(db.query(f"SELECT {_SERVED} WHERE c.id = ? AND {where}", [concern_id, *params]))
    if not rows:
        raise NotFound(f"Concern {concern_id} not found.")
    concern = _served(rows[0])
    concern["follow_ups"] = [
        _served(r)
        for r in db.query(
            f"SELECT {_SERVED} WHERE c.follows = ? AND {where} ORDER BY c.observed_at",
            [concern_id, *params],
        )
    ]
    with db.atomic():
        ids = [concern_id, *(f["id"] for f in concern["follow_ups"])]
        audit.record(db, caller, "read", "concern", ids)
    return concern


def clear_flag(db: Database, caller: Caller, uprn: int, reason: str) -> dict:
    """A safeguarding lead clears a home's flag: the concerns held now, no others.

    The write lock is taken before the open concerns are read, so clearings at once are
    applied one after the other: the first clears the flag, and one that then finds
    nothing left to clear answers 409 ``already-cleared`` (who cleared it, and when)."""
    if caller.role != "safeguarding_lead":
        raise Forbidden("Only a safeguarding lead may clear a safeguarding flag.")
    # A deferred transaction would read, then fail to write while another clearing
    # commits (busy at once: 503).
    with write_transaction(db):
        open_ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM concerns WHERE uprn = ? AND cleared_by_clearance IS NULL",
                [uprn],
            )
        ]
        if not open_ids:
            last = db.execute(
                "SELECT u.username, k.cleared_at FROM concern_clearances k "
                "JOIN users u ON u.id = k.cleared_by WHERE k.uprn = ? "
                "ORDER BY k.id DESC LIMIT 1",
                [uprn],
            ).fetchone()
            if last is None:
                raise NotFound(f"Home {uprn} has no safeguarding flag.")
            raise Conflict(
                f"Home {uprn}'s safeguarding flag is already cleared.",
                code="already-cleared",
                errors={"uprn": [f"Cleared by {last[0]} at {last[1]}; no concern since."]},
            )
        clearance = db.execute(
            "INSERT INTO concern_clearances (uprn, cleared_by, cleared_at, reason) "
            "VALUES (?, ?, ?, ?)",
            [uprn, caller.user_id, utc_now(), reason],
        ).lastrowid
        marks = ",".join("?" * len(open_ids))
        db.execute(
            f"UPDATE concerns SET cleared_by_clearance = ? WHERE id IN ({marks})",
            [clearance, *open_ids],
        )
        for concern_id in open_ids:
            changes.touch(db, "concern", concern_id, uprn)
        audit.record(db, caller, "clear-flag", "concern", open_ids, detail=reason)
    return {"uprn": uprn, "cleared": sorted(open_ids), "flagged": flag_raised(db, uprn)}


def flag_raised(db: Database, uprn: int) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM concerns WHERE uprn = ? AND cleared_by_clearance IS NULL", [uprn]
        ).fetchone()
    )


# --- a follow-up recorded at a desk (a lead's referral, outcome, notes) -----------------


def etag(db: Database, concern_id: str) -> str:
    """Changes when anyone adds a follow-up to the concern or clears it: a lead who read
    it before then reads it again before deciding (no second referral of one concern)."""
    state = [
        f"{r[0]}:{r[1]}"
        for r in db.execute(
            "SELECT id, cleared_by_clearance FROM concerns WHERE id = ? OR follows = ? "
            "ORDER BY id",
            [concern_id, concern_id],
        )
    ]
    digest = hashlib.sha256("|".join(state).encode()).hexdigest()[:16]
    return f'"{concern_id}.{digest}"'


def follow_up(
    db: Database,
    caller: Caller,
    concern_id: str,
    *,
    if_match: str | None,
    note: str,
    referred_to: str | None = None,
    referred_at: datetime | None = None,
    referral_ref: str | None = None,
    outcome: str | None = None,
    immediate_danger: bool = False,
) -> dict:
    """Record a follow-up to a concern the caller may see, as a phone would push one: a
    new concern at the same home, about the same people, that ``follows`` it. Like any
    concern it raises the home's flag until a lead clears it. Returns the concern."""
    _audience_clause(caller)  # 403 for roles that never see concerns
    now = datetime.now(UTC)
    if referred_at is not None:
        try:
            utc = referred_at.astimezone(UTC)  # stored as sent, with its offset
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the first instant
            utc = None
        if utc is None or utc.year < 1990:
            raise ValidationFailed(
                "A referral's date must be a real one, after 1990.",
                errors={"referred_at": ["Before 1990."]},
            )
        if utc > now + CLOCK_AHEAD:
            raise ValidationFailed(
                "A referral cannot be made in the future.",
                errors={"referred_at": ["In the future."]},
            )
    new_id = str(uuid.uuid4())
    # The write lock first, then the ETag check: a follow-up recorded at once with the
    # same ETag waits for this one, then finds the ETag changed (412).
    with write_transaction(db):
        first = _read_concerns(db, [concern_id], None).get(concern_id)
        if first is None or not concern_audience(caller, first):
            raise NotFound(f"Concern {concern_id} not found.")
        if not if_match:
            raise PreconditionRequired(
                "Send If-Match with the concern's ETag (GET /concerns/{id}).",
                errors={"If-Match": ["Required."]},
            )
        current = etag(db, concern_id)
        if if_match.strip() != current:
            raise PreconditionFailed(
                "The concern changed since you read it: read it again, then decide.",
                errors={"If-Match": [f"The current ETag is {current}."]},
            )
        stamp = iso(now)
        db.execute(
            _INSERT,
            [
                new_id,
                concern_id,
                first["uprn"],
                first["tenancy_ref"],
                first["category"],
                dumps_text(first["subjects"]),
                int(immediate_danger),
                note,
                referred_to,
                iso(referred_at) if referred_at else None,
                referral_ref,
                outcome,
                caller.user_id,
                caller.team_id,
                stamp,
                stamp,
                "[]",
            ],
        )
        changes.touch(db, "concern", new_id, first["uprn"])
        audit.record(db, caller, "follow-up", "concern", [concern_id, new_id])
    return get_concern(db, caller, concern_id)
