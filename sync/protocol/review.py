"""What team leaders review: conflicts between two values, rejected mutations, and
records or import steps flagged because they touched a rule (a Breathing Space)."""

import functools
import json

from sqlite_utils import Database

from sync.access.scope import Caller, require_role, scope_clause, visible_patch_ids
from sync.clock import utc_now
from sync.errors import Conflict, NotFound
from sync.protocol import outbox, versions
from sync.protocol.homes import MAX_UPRN
from sync.store import changes
from sync.store.db import write_transaction
from sync.store.pages import page

REVIEWER_ROLES = ("team_leader", "admin")

CONFLICT_COLUMNS = (
    "c.id, c.entity_type, c.entity_id, c.field, c.uprn, c.rule, c.kept_value, c.kept_source, "
    "c.kept_by, kb.username AS kept_by_username, c.kept_at, c.other_value, c.other_source, "
    "c.other_by, ob.username AS other_by_username, c.other_at, c.mutation_id, c.created_at, "
    "c.resolved_at, c.resolved_by, c.resolution, h.address_line_1, h.postcode"
)


def _conflict_out(row: dict) -> dict:
    row["kept_value"] = json.loads(row["kept_value"])
    row["other_value"] = json.loads(row["other_value"])
    return row


def _conflict_rows(db: Database, caller: Caller, where: str, params: list) -> list[dict]:
    clause, args = scope_clause(visible_patch_ids(db, caller), "c.uprn")
    return [
        _conflict_out(r)
        for r in db.query(
            f"SELECT {CONFLICT_COLUMNS} FROM conflicts c LEFT JOIN users kb ON kb.id = c.kept_by "
            "LEFT JOIN users ob ON ob.id = c.other_by LEFT JOIN properties h ON h.uprn = c.uprn "
            f"WHERE {clause} AND {where}",
            [*args, *params],
        )
    ]


def _review_page(rows, table: str, done: str, status: str, after, limit: int) -> dict:
    """One page of a review list, oldest first: its open items (``done`` unset) or its
    closed ones, after the id ``after``. ``rows(where, params)`` reads them in scope."""
    where = f"{table}.{done} IS NULL" if status == "open" else f"{table}.{done} IS NOT NULL"
    params: list = []
    if after is not None:
        where += f" AND {table}.id > ?"
        params.append(after)
    return page(rows(f"{where} ORDER BY {table}.id LIMIT ?", [*params, limit + 1]), limit, "id")


def list_conflicts(
    db: Database,
    caller: Caller,
    *,
    status: str = "open",
    after: int | None = None,
    limit: int = 100,
) -> dict:
    """Conflicts on homes in the caller's team (all, for admins), oldest first."""
    require_role(caller, REVIEWER_ROLES, "review conflicts")
    rows = functools.partial(_conflict_rows, db, caller)
    return _review_page(rows, "c", "resolved_at", status, after, limit)


def resolve_conflict(db: Database, caller: Caller, conflict_id: int, choose: str) -> dict:
    """Close a conflict. ``choose="other"`` makes the other value the record's value, as a
    new change every phone in scope receives; ``"kept"`` leaves the record as it is.

    Exactly once: the write lock is taken before the conflict is read, so of two reviewers
    resolving it at once the second waits, then finds it resolved (409)."""
    if not _conflict_rows(db, caller, "c.id = ?", [conflict_id]):
        raise NotFound(f"Conflict {conflict_id} not found.")
    require_role(caller, REVIEWER_ROLES, "resolve conflicts")
    # The write lock first (BEGIN IMMEDIATE), then the check: a deferred transaction would
    # let both reviewers read "open" and both apply (the version bumped twice).
    with write_transaction(db):
        rows = _conflict_rows(db, caller, "c.id = ?", [conflict_id])
        if not rows:  # purged with its record a moment ago
            raise NotFound(f"Conflict {conflict_id} not found.")
        conflict = rows[0]
        if conflict["resolved_at"]:
            raise Conflict(
                "This conflict is already resolved.",
                code="already-resolved",
                errors={
                    "conflict_id": [
                        f"Resolved ({conflict['resolution']}) at {conflict['resolved_at']}."
                    ]
                },
            )
        if choose == "other":
            record = versions.MUTABLE[conflict["entity_type"]]
            field, entity_id = conflict["field"], conflict["entity_id"]
            value = conflict["other_value"]
            version = db.execute(
                f"UPDATE {record.table} SET {field} = ?, version = version + 1 "
                f"WHERE {record.key} = ? "
                "RETURNING version",
                [value, entity_id],
            ).fetchall()[0][0]
            # A phone's value chosen by review is still news to the housing system.
            versions.record_changes(
                db,
                conflict["entity_type"],
                entity_id,
                [field],
                version=version,
                source="review",
                changed_by=caller.user_id,
                # When the value chosen was seen: a later clash says so of the kept value.
                observed_at=conflict["other_at"],
                pending_hms=conflict["other_source"] == "device",
            )
            changes.touch(db, record.entity_type, entity_id, record.uprn_of(db, entity_id))
            # The record's value changed: news for the housing system, as a phone's edit is.
            row = record.read(db, entity_id)
            outbox.add(
                db,
                record.topic,
                entity_id,
                versions.change_event(
                    record,
                    row,
                    {field: value},
                    version=version,
                    changed_by=caller.username,
                    source="review",
                    observed_at=conflict["other_at"],
                    entered_by=conflict["other_by_username"],
                    conflict_id=conflict_id,
                ),
            )
        db.execute(
            "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
            [utc_now(), caller.user_id, choose, conflict_id],
        )
    return _conflict_rows(db, caller, "c.id = ?", [conflict_id])[0]


MUTATION_COLUMNS = (
    "m.id, m.mutation_id, m.device_id, m.user_id, u.username, m.device_seq, m.entity_type, "
    "m.entity_id, m.op, m.observed_at, m.received_at, m.body, m.result, m.reviewed_at, "
    "m.reviewed_by"
)


def _rejection_scope(caller: Caller) -> tuple[str, list]:
    if caller.role == "admin":
        return "1", []
    return "u.team_id = ?", [caller.team_id]


WITHHELD = "Safeguarding details are not shown here: see GET /concerns (audited)."


def _rejection_out(row: dict) -> dict:
    row["body"] = json.loads(row["body"])
    row["result"] = json.loads(row["result"])
    body = row["body"]
    # A rejected safeguarding concern keeps its text out of the review queue, whose
    # readers (admins, any team leader of the team) are not the concern's audience.
    kind = body.get("entity_type") if isinstance(body, dict) else None
    if isinstance(kind, str) and kind.strip().lower() == "concern" and "payload" in body:
        body["payload"] = WITHHELD
    return row


def list_rejections(
    db: Database,
    caller: Caller,
    *,
    reviewed: bool = False,
    after: int | None = None,
    limit: int = 100,
) -> dict:
    """Rejected mutations from the team's phones, kept for a person to review."""
    require_role(caller, REVIEWER_ROLES, "review rejected mutations")
    where, params = _rejection_scope(caller)
    where += " AND m.status = 'rejected' AND m.reviewed_at IS " + (
        "NOT NULL" if reviewed else "NULL"
    )
    if after is not None:
        where += " AND m.id > ?"
        params.append(after)
    rows = [
        _rejection_out(r)
        for r in db.query(
            f"SELECT {MUTATION_COLUMNS} FROM mutations m JOIN users u ON u.id = m.user_id "
            f"WHERE {where} ORDER BY m.id LIMIT ?",
            [*params, limit + 1],
        )
    ]
    return page(_with_homes(db, rows), limit, "id")


def _payload_uprn(row: dict) -> int | None:
    """The home a rejected mutation names in its payload, when it names one: a whole number
    a UPRN can be (a phone's payload may hold any number at all)."""
    payload = row["body"].get("payload") if isinstance(row["body"], dict) else None
    uprn = payload.get("uprn") if isinstance(payload, dict) else None
    return uprn if type(uprn) is int and 0 < uprn < MAX_UPRN else None


def _with_homes(db: Database, rows: list[dict]) -> list[dict]:
    """Each rejection with the UPRN and address of the home its payload names (one read
    for the page), so a reviewer reads where, not a number; None when it names none or no
    such home exists (often why it was rejected)."""
    uprns = [_payload_uprn(row) for row in rows]
    wanted = sorted({u for u in uprns if u is not None})
    homes = {}
    if wanted:
        homes = {
            r[0]: r[1:]
            for r in db.execute(
                "SELECT uprn, address_line_1, postcode FROM properties "
                f"WHERE uprn IN ({','.join('?' * len(wanted))})",
                wanted,
            )
        }
    for row, uprn in zip(rows, uprns, strict=True):
        row["uprn"] = uprn
        row["address_line_1"], row["postcode"] = homes.get(uprn, (None, None))
    return rows


def mark_reviewed(db: Database, caller: Caller, rejection_id: int) -> dict:
    require_role(caller, REVIEWER_ROLES, "review rejected mutations")
    where, params = _rejection_scope(caller)
    found = db.execute(
        f"SELECT m.id FROM mutations m JOIN users u ON u.id = m.user_id WHERE m.id = ? "
        f"AND m.status = 'rejected' AND {where}",
        [rejection_id, *params],
    ).fetchone()
    if found is None:
        raise NotFound(f"Rejected mutation {rejection_id} not found.")
    with db.atomic():
        db.execute(
            "UPDATE mutations SET reviewed_at = ?, reviewed_by = ? WHERE id = ? "
            "AND reviewed_at IS NULL",
            [utc_now(), caller.user_id, rejection_id],
        )
    row = next(
        db.query(
            f"SELECT {MUTATION_COLUMNS} FROM mutations m JOIN users u ON u.id = m.user_id "
            "WHERE m.id = ?",
            [rejection_id],
        )
    )
    return _with_homes(db, [_rejection_out(row)])[0]


# --- flagged records and import steps -------------------------------------------------------

FLAG_COLUMNS = (
    "f.id, f.flag, f.rule, f.message, f.tenancy_ref, f.uprn, f.source, f.entity_type, "
    "f.entity_id, f.step, f.step_date, f.run_id, f.line, f.user_id, u.username, "
    "f.observed_at, f.created_at, f.reviewed_at, f.reviewed_by, "
    "r.username AS reviewed_by_username, f.review_note, h.address_line_1, h.postcode"
)


def _flag_rows(db: Database, caller: Caller, where: str, params: list) -> list[dict]:
    clause, args = scope_clause(visible_patch_ids(db, caller), "f.uprn")
    return list(
        db.query(
            f"SELECT {FLAG_COLUMNS} FROM review_flags f LEFT JOIN users u ON u.id = f.user_id "
            "LEFT JOIN users r ON r.id = f.reviewed_by LEFT JOIN properties h ON h.uprn = f.uprn "
            f"WHERE {clause} AND {where}",
            [*args, *params],
        )
    )


def list_flags(
    db: Database,
    caller: Caller,
    *,
    status: str = "open",
    after: int | None = None,
    limit: int = 100,
) -> dict:
    """Records pushed and import steps that touched a rule (a Breathing Space above all:
    sync.records.breathing), on homes in the caller's team (all, for admins), oldest
    first. Each was kept, and names the rule."""
    require_role(caller, REVIEWER_ROLES, "review flagged records")
    rows = functools.partial(_flag_rows, db, caller)
    return _review_page(rows, "f", "reviewed_at", status, after, limit)


def review_flag(db: Database, caller: Caller, flag_id: int, note: str) -> dict:
    """Mark a flagged record or step reviewed, with the leader's note. Once: a second
    review is refused (409), so the first note stands."""
    # The role first: a caller it rules out learns nothing of which ids exist.
    require_role(caller, REVIEWER_ROLES, "review flagged records")
    if not _flag_rows(db, caller, "f.id = ?", [flag_id]):
        raise NotFound(f"Flagged item {flag_id} not found.")
    with write_transaction(db):
        done = db.execute(
            "UPDATE review_flags SET reviewed_at = ?, reviewed_by = ?, review_note = ? "
            "WHERE id = ? AND reviewed_at IS NULL",
            [utc_now(), caller.user_id, note, flag_id],
        ).rowcount
    row = _flag_rows(db, caller, "f.id = ?", [flag_id])[0]
    if not done:
        raise Conflict(
            "This flagged item is already reviewed.",
            code="already-reviewed",
            errors={"flag_id": [f"Reviewed at {row['reviewed_at']}."]},
        )
    return row
