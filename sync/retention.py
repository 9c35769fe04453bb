"""Retention (UK GDPR) and subject access.

``purge`` deletes what is kept longer than the landlord's retention periods:

- account snapshot history older than ``snapshot_days`` (each tenancy keeps its current
  snapshot, however old);
- audit log entries older than ``audit_days``;
- closed records: tenancies ended more than ``closed_days`` ago, with their tenants,
  accounts, arrangements, promises and contact records, and repairs completed or
  cancelled that long ago, with their steps;
- delivered webhook events older than ``outbox_days``, and old login failures.

With a closed record go the copies of it held elsewhere: the payloads phones pushed
about it or naming its tenancy (``mutations.body``; the row stays, with its result and
the SHA-256 of its content, so a re-sent old mutation is still answered ``duplicate`` and
never applied again; values in a result's conflicts are blanked), its conflicts and field versions,
its outbox events not yet purged (a dead delivery, say), which photos it names
(``record_blobs``), and day plans for days past ``closed_days`` (the only plans that can
name a tenancy ended before then).

Safeguarding concerns are never purged here: they follow the safeguarding partnership's
own retention. Deleted syncable records leave tombstones, so phones drop them too.

``subject_export`` gathers everything held about one tenant, for a subject access
request, from the same places purge clears; each export is audited. Only a safeguarding
lead exports what safeguarding concerns say; an admin's export lists them without it.
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync import kinds
from sync.access import audit
from sync.access.scope import Caller, require_role
from sync.clock import LONDON, iso
from sync.errors import NotFound
from sync.protocol import outbox
from sync.protocol.kinds import MOVES, OUTLIVES, STAYS
from sync.protocol.resends import digest
from sync.store import changes
from sync.store.rows import EACH, each
from sync.store.strict_json import dumps_text

SIX_YEARS = 6 * 365
REDACTED = "Purged: past its retention period."
# Kinds whose pushed payload can name a tenancy (``payload.tenancy_ref``).
NAMING_TENANCY = tuple(
    name
    for name, kind in kinds.pushed().items()
    if any("tenancy_ref" in op.payload.fields for op in kind.ops.values())
)
# Records with versioned fields and conflicts (sync.protocol.versions).
VERSIONED = tuple(name for name, kind in kinds.KINDS.items() if kind.versioned)
# Purged with their tenancy (its account and statement among them: their id is the
# tenancy's, their rows its own, its snapshots and transactions).
PURGED = kinds.following_tenancy(MOVES, STAYS)
_OWN_ROW = {kind.name for kind in PURGED if kind.table == "tenancies"}
# The tenancy's history from the housing system, deleted with it.
_HISTORY = (
    "account_snapshots",
    "rent_transactions",
    "letters",
    "breathing_spaces",
    "review_flags",
)
# Kept when their tenancy is purged, with the tenancy taken off them.
OUTLIVING = kinds.following_tenancy(OUTLIVES)


@dataclass(frozen=True)
class Periods:
    snapshot_days: int = SIX_YEARS
    audit_days: int = SIX_YEARS
    closed_days: int = SIX_YEARS
    outbox_days: int = 90

    @classmethod
    def from_env(cls, environ=os.environ) -> "Periods":
        def days(name, default):
            return int(environ.get(f"DOORSTEP_RETAIN_{name}_DAYS", default))

        return cls(
            snapshot_days=days("SNAPSHOT", SIX_YEARS),
            audit_days=days("AUDIT", SIX_YEARS),
            closed_days=days("CLOSED", SIX_YEARS),
            outbox_days=days("OUTBOX", 90),
        )


def _before(now: datetime, days: int) -> str:
    return iso(now - timedelta(days=days))


def _tenancy_records(db: Database, ref: str) -> list[tuple[str, str]]:
    """(entity type, id) of every record held under one tenancy, the tenancy last."""
    found = []
    for kind in PURGED:
        sql = f"SELECT {kind.key} FROM {kind.table} WHERE {kind.tenancy_column} = ?"
        found += [(kind.name, r[0]) for r in db.execute(sql, [ref])]
    return [*found, ("tenancy", ref)]


# A visit kept (of another tenancy) that corrected a visit of the purged tenancy.
_UNLINK_CORRECTIONS = (
    "UPDATE visits SET corrects = NULL WHERE corrects IN "
    "(SELECT id FROM visits WHERE tenancy_ref = ?) AND tenancy_ref IS NOT ? "
    "RETURNING 'visit', id, uprn"
)


def _delete_under(db: Database, ref: str) -> dict[str, int]:
    """Delete the tenancy's history (first: a letter names a tenant; its snapshots,
    transactions, Breathing Spaces and review items) and its records of every purged kind.
    A promise goes before the visit that made it (its id is the visit's)."""
    tables = [k.table for k in PURGED if k.table != "tenancies"]
    tables.sort(key=lambda table: table != "promises")
    # A letter of another tenancy addressed to one of its tenants (a tenant who moved, or
    # a row the housing system got wrong) keeps its letter, addressed to no one now.
    db.execute(
        "UPDATE letters SET person_ref = NULL WHERE tenancy_ref != ? AND person_ref IN "
        "(SELECT person_ref FROM tenants WHERE tenancy_ref = ?)",
        [ref, ref],
    )
    deleted = {}
    for table in [*_HISTORY, *tables]:
        deleted[table] = db.execute(f"DELETE FROM {table} WHERE tenancy_ref = ?", [ref]).rowcount
    return {table: deleted[table] for table in _HISTORY}  # the rest are counted as records


def _keys(entities) -> bytes:
    return orjson.dumps([f"{t}:{i}" for t, i in entities])


_PUSHED_ABOUT = f"""
    (m.entity_type || ':' || m.entity_id) IN (SELECT value FROM json_each(:entities))
    OR (m.entity_type IN ({", ".join(repr(k) for k in NAMING_TENANCY)})
        AND iif(json_valid(m.body), json_extract(m.body, '$.payload.tenancy_ref'), NULL)
            IN (SELECT value FROM json_each(:refs)))
"""


def _pushed_about(db: Database, entities, refs, columns: str) -> list[dict]:
    """Mutations phones pushed about these records, or naming these tenancies."""
    return [
        dict(r)
        for r in db.query(
            f"SELECT {columns} FROM mutations m WHERE {_PUSHED_ABOUT} ORDER BY m.id",
            {"entities": _keys(entities).decode(), "refs": orjson.dumps(list(refs)).decode()},
        )
    ]


def _redact(sent, result: str, stamp: str) -> tuple[str, str]:
    """A pushed mutation (``sent``, as read back) without its payload; its result without
    field values."""
    if isinstance(sent, dict):
        envelope = {k: v for k, v in sent.items() if k != "payload"}
        envelope |= {"payload": REDACTED, "redacted_at": stamp}
    else:
        envelope = {"payload": REDACTED, "redacted_at": stamp}
    outcome = orjson.loads(result)
    for conflict in outcome.get("conflicts") or []:
        conflict.update(kept=None, yours=None)
    return dumps_text(envelope), orjson.dumps(outcome).decode()


def _purge_copies(db: Database, entities: list, refs: list, stamp: str) -> dict[str, int]:
    """Remove or redact what is held elsewhere about purged records (see the module)."""
    counts = {}
    pushed = _pushed_about(db, entities, refs, "m.id, m.body, m.result, m.content_hash")
    for row in pushed:
        # Read back exactly (the standard library keeps integers past 64 bits, and reads
        # the NaN an older copy may hold, which orjson and SQLite refuse).
        sent = json.loads(row["body"])
        body, result = _redact(sent, row["result"], stamp)
        # What a resend is compared with once the payload is gone (sync.protocol.resends):
        # the hash of the content as it was sent, worked out before its first redaction.
        kept = row["content_hash"] or (digest(sent) if isinstance(sent, dict) else None)
        db.execute(
            "UPDATE mutations SET body = ?, result = ?, content_hash = ? WHERE id = ?",
            [body, result, kept, row["id"]],
        )
    counts["mutation_payloads"] = len(pushed)
    keys = _keys((t, i) for t, i in entities if t in VERSIONED).decode()
    for table in ("conflicts", "field_versions"):
        counts[table] = db.execute(
            f"DELETE FROM {table} WHERE (entity_type || ':' || entity_id) IN "
            "(SELECT value FROM json_each(?))",
            [keys],
        ).rowcount
    # Field work not yet delivered (a dead webhook, say) goes too: it is past retention.
    events = (
        "SELECT id FROM outbox WHERE (substr(topic, 1, instr(topic, '.') - 1) || ':' || "
        "entity_id) IN (SELECT value FROM json_each(?))"
    )
    db.execute(f"DELETE FROM deliveries WHERE outbox_id IN ({events})", [_keys(entities).decode()])
    counts["outbox_events"] = db.execute(
        f"DELETE FROM outbox WHERE id IN ({events})", [_keys(entities).decode()]
    ).rowcount
    counts["record_blobs"] = db.execute(
        "DELETE FROM record_blobs WHERE (entity_type || ':' || entity_id) IN "
        "(SELECT value FROM json_each(?))",
        [_keys(entities).decode()],
    ).rowcount
    return counts


def purge(db: Database, periods: Periods, *, now: datetime | None = None, dry_run=False):
    """Delete what is past retention; returns what was (or would be) deleted, by kind."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        closed_day = (now - timedelta(days=periods.closed_days)).date().isoformat()
        tenancies = [
            (r[0], r[1])
            for r in db.execute(
                "SELECT tenancy_ref, uprn FROM tenancies WHERE end_date IS NOT NULL "
                "AND end_date < ?",
                [closed_day],
            )
        ]
        refs = [t[0] for t in tenancies]
        counts["tenancies"] = len(refs)
        for kind in PURGED:
            if kind.name not in _OWN_ROW:
                counts[kind.table] = 0
        gone: list[tuple[str, str]] = []
        # Visits kept that corrected a purged one lose that link below: their events,
        # read from them, first take the body they have now (what was applied).
        correcting = db.execute(
            "SELECT id FROM visits WHERE corrects IN "
            f"(SELECT id FROM visits WHERE tenancy_ref IN ({EACH}))",
            [each(refs)],
        ).fetchall()
        outbox.settle(db, "visit.recorded", [r[0] for r in correcting])
        for ref, uprn in tenancies:
            held = _tenancy_records(db, ref)
            gone += held
            for entity_type, entity_id in held:
                if entity_type != "tenancy" and entity_type not in _OWN_ROW:
                    counts[kinds.KINDS[entity_type].table] += 1
                changes.touch(db, entity_type, entity_id, uprn, deleted=True)
            db.execute(
                "UPDATE tenancies SET current_snapshot_id = NULL WHERE tenancy_ref = ?", [ref]
            )
            # Records kept that named the tenancy (or a visit of it) now name nothing:
            # phones holding them receive them again.
            kept = db.execute(_UNLINK_CORRECTIONS, [ref, ref]).fetchall()
            for table, n in _delete_under(db, ref).items():
                counts[table] = counts.get(table, 0) + n
            for kind in OUTLIVING:
                kept += db.execute(
                    f"UPDATE {kind.table} SET {kind.tenancy_column} = NULL "
                    f"WHERE {kind.tenancy_column} = ? RETURNING '{kind.name}', {kind.key}, uprn",
                    [ref],
                ).fetchall()
            changes.touch_many(db, kept)
            db.execute("DELETE FROM tenancies WHERE tenancy_ref = ?", [ref])
        counts["account_snapshots"] = (
            counts.get("account_snapshots", 0)
            + db.execute(
                "DELETE FROM account_snapshots WHERE as_of < ? AND id NOT IN (SELECT "
                "current_snapshot_id FROM tenancies WHERE current_snapshot_id IS NOT NULL)",
                [(now - timedelta(days=periods.snapshot_days)).date().isoformat()],
            ).rowcount
        )
        old_repairs = db.execute(
            "SELECT id, uprn FROM repairs WHERE status IN ('completed', 'cancelled') "
            "AND updated_at < ?",
            [_before(now, periods.closed_days)],
        ).fetchall()
        for repair_id, uprn in old_repairs:
            db.execute("DELETE FROM repair_events WHERE repair_id = ?", [repair_id])
            db.execute("DELETE FROM repairs WHERE id = ?", [repair_id])
            changes.touch(db, "repair", repair_id, uprn, deleted=True)
            gone.append(("repair", repair_id))
        counts["repairs"] = len(old_repairs)
        counts |= _purge_copies(db, gone, refs, iso(now))
        # A plan names only tenancies current on its day, so every plan naming a tenancy
        # ended before the closed period is for a day before it too.
        old_plans = "SELECT id FROM plans WHERE plan_date < ?"
        db.execute(
            f"UPDATE plans SET replaces = NULL WHERE replaces IN ({old_plans})", [closed_day]
        )
        counts["plans"] = db.execute(
            "DELETE FROM plans WHERE plan_date < ?", [closed_day]
        ).rowcount
        counts["audit_log"] = db.execute(
            "DELETE FROM audit_log WHERE at < ?", [_before(now, periods.audit_days)]
        ).rowcount
        old = _before(now, periods.outbox_days)
        counts["deliveries"] = db.execute(
            "DELETE FROM deliveries WHERE status = 'delivered' AND delivered_at < ?", [old]
        ).rowcount
        counts["outbox"] = db.execute(
            "DELETE FROM outbox WHERE created_at < ? AND id NOT IN "
            "(SELECT outbox_id FROM deliveries)",
            [old],
        ).rowcount
        counts["login_failures"] = db.execute(
            "DELETE FROM login_failures WHERE failed_at < ?", [_before(now, 1)]
        ).rowcount
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("ROLLBACK" if dry_run else "COMMIT")
    return counts


# Who may export a tenant's data for a subject access request. A safeguarding concern is
# special-category data that only its raiser, their team leaders and the safeguarding
# leads may read (sync.records.concerns), so only a lead exports what concerns say (the lead
# decides what of them is released: a concern names third parties, and telling may put
# someone at risk). A lead sees no rent accounts, so the rest is the admin's export, which
# lists the concerns held without their text: between the two, the request is answered.
EXPORTERS = ("admin", "safeguarding_lead")
# The admin's export has every section but the concerns' text; the lead's, only these.
LEAD_SECTIONS = ("exported_at", "person_ref", "safeguarding_concerns", "pushed_records")


def subject_export(db: Database, caller: Caller, person_ref: str) -> dict:
    """What one tenant's subject access request gets from the caller (see ``EXPORTERS``):
    the records purge deletes with their tenancy, and the copies of them it clears. Each
    export is audited, and a lead's as a read of each concern in it."""
    require_role(caller, EXPORTERS, "export a tenant's data")
    held = _held_about(db, person_ref)
    concerns = held["safeguarding_concerns"]
    pushed = held["pushed_records"]
    if caller.role == "safeguarding_lead":
        export = {k: v for k, v in held.items() if k in LEAD_SECTIONS}
        export["pushed_records"] = [r for r in pushed if r["entity_type"] == "concern"]
        export["withheld"] = [
            {
                "sections": [k for k in held if k not in LEAD_SECTIONS],
                "released_by": "admin",
                "detail": "Everything else held about the tenant, and what phones pushed "
                "about it other than concerns, is in an admin's export of the same tenant.",
            }
        ]
        detail = f"{len(concerns)} safeguarding concern(s) included"
    else:
        export = held | {
            "safeguarding_concerns": [_listed(c) for c in concerns],
            "pushed_records": [r for r in pushed if r["entity_type"] != "concern"],
            "withheld": [
                {
                    "sections": ["safeguarding_concerns"],
                    "released_by": "safeguarding_lead",
                    "detail": "Safeguarding concerns are listed without what they say, whom "
                    "they are about or who raised them, and what phones pushed about them "
                    "is left out: only a safeguarding lead may export a concern's text "
                    "(the same export, made by a safeguarding lead).",
                }
            ],
        }
        detail = f"{len(concerns)} safeguarding concern(s) listed without their text"
    with db.atomic():
        audit.record(db, caller, "subject-export", "tenant", [person_ref], detail=detail)
        if caller.role == "safeguarding_lead" and concerns:
            ids = [c["id"] for c in concerns]
            audit.record(db, caller, "read", "concern", ids, detail="subject export")
    return orjson.loads(orjson.dumps(export))


def _listed(concern: dict) -> dict:
    """That a concern exists, for an export by someone who may not read it: its id, its
    category and the day it was raised (not the time, which a visit record could match)."""
    raised = datetime.fromisoformat(concern["observed_at"]).astimezone(LONDON).date()
    return {"id": concern["id"], "category": concern["category"], "raised_on": str(raised)}


def _held_about(db: Database, person_ref: str) -> dict:
    """Everything held about one tenant, by section, unaudited: ``subject_export`` decides
    what the caller gets."""

    def rows(sql, params):
        return [dict(r) for r in db.query(sql, params)]

    tenant = rows("SELECT * FROM tenants WHERE person_ref = ?", [person_ref])
    if not tenant:
        raise NotFound(f"Tenant {person_ref} not found.")
    ref = tenant[0]["tenancy_ref"]
    tenancy = rows("SELECT * FROM tenancies WHERE tenancy_ref = ?", [ref])
    uprn = tenancy[0]["uprn"] if tenancy else None
    # Records at the home are the tenant's while the tenancy ran, not another household's.
    began = tenancy[0]["start_date"] if tenancy else None
    ended = tenancy[0]["end_date"] if tenancy else None
    during = (
        "(uprn = :uprn AND observed_at >= :began AND (:ended IS NULL OR observed_at < :ended))"
    )
    after_end = ended and (date.fromisoformat(ended) + timedelta(days=1)).isoformat()
    period = {"ref": ref, "uprn": uprn, "began": began, "ended": after_end}
    # This tenant's own records: not a joint tenant's contact details.
    mine = [(t, i) for t, i in _tenancy_records(db, ref) if t != "tenant" or i == person_ref]
    versioned = _keys((t, i) for t, i in mine if t in VERSIONED).decode()
    return {
        "exported_at": iso(datetime.now(UTC)),
        "person_ref": person_ref,
        "tenant": tenant[0],
        "tenancy": tenancy[0] if tenancy else None,
        "home": (rows("SELECT * FROM properties WHERE uprn = ?", [uprn]) or [None])[0],
        "rent_account_history": rows(
            "SELECT * FROM account_snapshots WHERE tenancy_ref = ? ORDER BY as_of", [ref]
        ),
        "breathing_spaces": rows(
            "SELECT * FROM breathing_spaces WHERE tenancy_ref = ? ORDER BY start_date", [ref]
        ),
        "rent_transactions": rows(
            "SELECT * FROM rent_transactions WHERE tenancy_ref = ? ORDER BY posted_on", [ref]
        ),
        "letters": rows("SELECT * FROM letters WHERE tenancy_ref = ? ORDER BY sent_on", [ref]),
        "contact_records": rows(
            "SELECT * FROM visits WHERE tenancy_ref = ? ORDER BY observed_at", [ref]
        ),
        "arrangements": rows("SELECT * FROM arrangements WHERE tenancy_ref = ?", [ref]),
        "promises": rows("SELECT * FROM promises WHERE tenancy_ref = ?", [ref]),
        "warning_markers": rows(
            "SELECT * FROM warning_markers WHERE tenancy_ref = ? OR "
            "(tenancy_ref IS NULL AND uprn = ?)",
            [ref, uprn],
        ),
        "repairs": rows(f"SELECT * FROM repairs WHERE tenancy_ref = :ref OR {during}", period),
        "safeguarding_concerns": rows(
            f"SELECT * FROM concerns WHERE tenancy_ref = :ref OR {during} "
            "ORDER BY observed_at, id",
            period,
        ),
        "field_changes": rows(
            "SELECT * FROM field_versions WHERE (entity_type || ':' || entity_id) IN "
            "(SELECT value FROM json_each(?))",
            [versioned],
        ),
        "conflicts": rows(
            "SELECT * FROM conflicts WHERE (entity_type || ':' || entity_id) IN "
            "(SELECT value FROM json_each(?))",
            [versioned],
        ),
        "pushed_records": [
            r | {"body": orjson.loads(r["body"]), "result": orjson.loads(r["result"])}
            for r in _pushed_about(
                db,
                mine,
                [ref],
                "m.id, m.mutation_id, m.entity_type, m.entity_id, m.op, m.observed_at, "
                "m.received_at, m.status, m.body, m.result",
            )
        ],
        "visit_plans": _planned_visits(db, ref, began, ended),
    }


def _planned_visits(db: Database, ref: str, began: str | None, ended: str | None) -> list:
    """The stops of day plans that name the tenancy (a plan's day falls in its life), each
    with only the reasons about this tenancy."""
    found = []
    for plan_id, officer_id, day, body in db.execute(
        "SELECT id, officer_id, plan_date, body FROM plans WHERE plan_date >= ? "
        "AND (? IS NULL OR plan_date <= ?) AND instr(body, ?) ORDER BY plan_date, id",
        [began or "", ended, ended, orjson.dumps(ref).decode()],
    ):
        for stop in orjson.loads(body)["stops"]:
            if ref in stop.get("tenancy_refs", []):
                reasons = [r for r in stop.get("reasons", []) if r.get("tenancy_ref") == ref]
                found.append(
                    {
                        "plan_id": plan_id,
                        "officer_id": officer_id,
                        "date": day,
                        "uprn": stop["uprn"],
                        "arrive_at": stop.get("arrive_at"),
                        "reasons": reasons,
                    }
                )
    return found
