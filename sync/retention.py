"""Retention (UK GDPR) and subject access.

``purge`` deletes what is kept longer than the landlord's retention periods:

- account snapshot history older than ``snapshot_days`` (each tenancy keeps its current
  snapshot, however old);
- audit log entries older than ``audit_days``;
- closed records: tenancies ended more than ``closed_days`` ago, with their tenants,
  accounts, arrangements, promises and contact records, and repairs completed or
  cancelled that long ago, with their steps;
- delivered webhook events older than ``outbox_days``, and old login failures.

Safeguarding concerns are never purged here: they follow the safeguarding partnership's
own retention. Deleted syncable records leave tombstones, so phones drop them too.

``subject_export`` gathers everything held about one tenant, for a subject access
request; each export is audited.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync import audit, changes
from sync.clock import iso
from sync.errors import NotFound
from sync.scope import Caller, require_role

SIX_YEARS = 6 * 365


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
        for ref, uprn in tenancies:
            for entity_type, table, key in (
                ("tenant", "tenants", "person_ref"),
                ("visit", "visits", "id"),
                ("arrangement", "arrangements", "id"),
                ("promise", "promises", "id"),
            ):
                ids = [r[0] for r in db.execute(
                    f"SELECT {key} FROM {table} WHERE tenancy_ref = ?", [ref])]  # fmt: skip
                counts[table] = counts.get(table, 0) + len(ids)
                for entity_id in ids:
                    changes.touch(db, entity_type, entity_id, uprn, deleted=True)
            changes.touch(db, "account", ref, uprn, deleted=True)
            changes.touch(db, "tenancy", ref, uprn, deleted=True)
            db.execute("UPDATE tenancies SET current_snapshot_id = NULL WHERE tenancy_ref = ?",
                       [ref])  # fmt: skip
            db.execute("DELETE FROM promises WHERE tenancy_ref = ?", [ref])
            db.execute("UPDATE visits SET corrects = NULL WHERE corrects IN "
                       "(SELECT id FROM visits WHERE tenancy_ref = ?)", [ref])  # fmt: skip
            for table in ("visits", "arrangements", "tenants", "account_snapshots"):
                db.execute(f"DELETE FROM {table} WHERE tenancy_ref = ?", [ref])
            db.execute("UPDATE warning_markers SET tenancy_ref = NULL WHERE tenancy_ref = ?",
                       [ref])  # fmt: skip
            db.execute("UPDATE repairs SET tenancy_ref = NULL WHERE tenancy_ref = ?", [ref])
            db.execute("UPDATE concerns SET tenancy_ref = NULL WHERE tenancy_ref = ?", [ref])
            db.execute("DELETE FROM tenancies WHERE tenancy_ref = ?", [ref])
        counts["account_snapshots"] = db.execute(
            "DELETE FROM account_snapshots WHERE as_of < ? AND id NOT IN "
            "(SELECT current_snapshot_id FROM tenancies WHERE current_snapshot_id IS NOT NULL)",
            [(now - timedelta(days=periods.snapshot_days)).date().isoformat()],
        ).rowcount
        old_repairs = db.execute(
            "SELECT id, uprn FROM repairs WHERE status IN ('completed', 'cancelled') "
            "AND updated_at < ?",
            [_before(now, periods.closed_days)],
        ).fetchall()
        for repair_id, uprn in old_repairs:
            db.execute("DELETE FROM repair_events WHERE repair_id = ?", [repair_id])
            db.execute("DELETE FROM repairs WHERE id = ?", [repair_id])
            changes.touch(db, "repair", repair_id, uprn, deleted=True)
        counts["repairs"] = len(old_repairs)
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


def subject_export(db: Database, caller: Caller, person_ref: str) -> dict:
    """Everything held about one tenant (admins), for a subject access request."""
    require_role(caller, ("admin",), "export a tenant's data")

    def rows(sql, params):
        return [dict(r) for r in db.query(sql, params)]

    tenant = rows("SELECT * FROM tenants WHERE person_ref = ?", [person_ref])
    if not tenant:
        raise NotFound(f"Tenant {person_ref} not found.")
    ref = tenant[0]["tenancy_ref"]
    tenancy = rows("SELECT * FROM tenancies WHERE tenancy_ref = ?", [ref])
    uprn = tenancy[0]["uprn"] if tenancy else None
    export = {
        "exported_at": iso(datetime.now(UTC)),
        "person_ref": person_ref,
        "tenant": tenant[0],
        "tenancy": tenancy[0] if tenancy else None,
        "home": (rows("SELECT * FROM properties WHERE uprn = ?", [uprn]) or [None])[0],
        "rent_account_history": rows(
            "SELECT * FROM account_snapshots WHERE tenancy_ref = ? ORDER BY as_of", [ref]
        ),
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
        "repairs": rows("SELECT * FROM repairs WHERE tenancy_ref = ? OR uprn = ?", [ref, uprn]),
        "safeguarding_concerns": rows(
            "SELECT * FROM concerns WHERE tenancy_ref = ? OR uprn = ?", [ref, uprn]
        ),
        "field_changes": rows(
            "SELECT * FROM field_versions WHERE entity_type = 'tenant' AND entity_id = ?",
            [person_ref],
        ),
        "conflicts": rows(
            "SELECT * FROM conflicts WHERE entity_type = 'tenant' AND entity_id = ?",
            [person_ref],
        ),
    }
    with db.atomic():
        concern_ids = [c["id"] for c in export["safeguarding_concerns"]]
        audit.record(db, caller, "subject-export", "tenant", [person_ref],
                     detail=f"{len(concern_ids)} safeguarding concern(s) included")  # fmt: skip
        if concern_ids:
            audit.record(db, caller, "read", "concern", concern_ids, detail="subject export")
    return orjson.loads(orjson.dumps(export))
