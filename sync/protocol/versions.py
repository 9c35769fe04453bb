"""Field-level versions of mutable records, and the conflicts between two values.

A mutable record (a tenant's contact details) carries a ``version`` that goes up by one
with every change. ``field_versions`` remembers the version at which each field last
changed, who changed it, and whether the housing system has yet confirmed a phone's edit.

The rules (docs/sync-protocol.md, "Conflicts"):

- A phone's edit names the version it was based on. A field nobody else changed since
  then takes the phone's value (edits to different fields merge).
- A field somebody else changed since then keeps the value the server holds; the phone's
  value is recorded as a conflict for a team leader, who may choose it instead.
- The nightly import never overwrites a phone's edit the housing system has not yet
  confirmed: the field keeps the phone's value and the clash is recorded as a conflict.
  When the import brings the phone's value, the edit counts as confirmed.
"""

import json
from dataclasses import dataclass

from sqlite_utils import Database

from sync.clock import utc_now
from sync.codes import TENANT_CONTACT_FIELDS
from sync.store.rows import chunks


@dataclass(frozen=True)
class MutableRecord:
    """A record phones edit field by field: its table and key, the ``fields`` phones edit,
    how to read records with their home (``select``: ids in ``{ids}``; adds ``uprn``), and
    their homes alone (``homes``). A change made in Doorstep (a phone's edit, a value chosen
    in review) writes an outbox event of ``topic`` (``change_event``); ``booleans`` are
    stored as 0/1."""

    entity_type: str
    table: str
    key: str
    fields: tuple[str, ...]
    select: str
    homes: str
    topic: str
    event_key: str
    booleans: tuple[str, ...] = ()

    def read(self, db: Database, entity_id: str) -> dict | None:
        return next(db.query(self.select.format(ids="?"), [entity_id]), None)

    def uprn_of(self, db: Database, entity_id: str) -> int | None:
        row = db.execute(self.homes.format(ids="?"), [entity_id]).fetchone()
        return row[0] if row else None


TENANT = MutableRecord(
    "tenant",
    "tenants",
    "person_ref",
    TENANT_CONTACT_FIELDS,
    "SELECT t.*, y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
    "WHERE t.person_ref IN ({ids})",
    "SELECT y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
    "WHERE t.person_ref IN ({ids})",
    topic="tenant.changed",
    event_key="person_ref",
    booleans=("interpreter_needed",),
)
ARRANGEMENT = MutableRecord(
    "arrangement",
    "arrangements",
    "id",
    ("status",),
    "SELECT a.*, t.uprn FROM arrangements a JOIN tenancies t ON t.tenancy_ref = a.tenancy_ref "
    "WHERE a.id IN ({ids})",
    "SELECT t.uprn FROM arrangements a JOIN tenancies t ON t.tenancy_ref = a.tenancy_ref "
    "WHERE a.id IN ({ids})",
    topic="arrangement.changed",
    event_key="id",
)
MUTABLE = {r.entity_type: r for r in (TENANT, ARRANGEMENT)}


def change_event(record: MutableRecord, row: dict, changed: dict, **about) -> dict:
    """The outbox event of a change made in Doorstep to a mutable record, for the housing
    system: the record (``row``, as read by ``record.select``), the fields ``changed`` with
    their new values, and ``about`` it (version, who, the source, when it was observed).
    An arrangement's event also carries its ``status`` and ``reason``, as the server's own
    status changes do (sync.records.arrangements)."""
    values = {
        f: bool(v) if f in record.booleans and v is not None else v for f, v in changed.items()
    }
    data = {
        record.event_key: row[record.key],
        "tenancy_ref": row["tenancy_ref"],
        "uprn": row["uprn"],
    }
    if record.entity_type == "arrangement":
        data |= {"status": values.get("status", row["status"]), "reason": None}
    return data | {"changes": values} | about


def field_versions(db: Database, entity_type: str, entity_id: str) -> dict[str, dict]:
    """A record's history: field -> its last change."""
    return histories(db, entity_type, [entity_id])[entity_id]


def histories(db: Database, entity_type: str, entity_ids: list[str]) -> dict[str, dict]:
    """``field_versions`` of many records at once: id -> field -> its last change."""
    found: dict[str, dict] = {i: {} for i in entity_ids}
    for chunk in chunks(entity_ids):
        for row in db.query(
            "SELECT entity_id, field, version, source, changed_by, observed_at, changed_at, "
            "pending_hms FROM field_versions WHERE entity_type = ? "
            f"AND entity_id IN ({','.join('?' * len(chunk))})",
            [entity_type, *chunk],
        ):
            found[row.pop("entity_id")][row["field"]] = row
    return found


FIELD_VERSION_COLUMNS = (
    "entity_type",
    "entity_id",
    "field",
    "version",
    "source",
    "changed_by",
    "mutation_id",
    "observed_at",
    "changed_at",
    "pending_hms",
)
FIELD_VERSION = f"""INSERT INTO field_versions ({", ".join(FIELD_VERSION_COLUMNS)})
       VALUES ({", ".join("?" * len(FIELD_VERSION_COLUMNS))})
       ON CONFLICT (entity_type, entity_id, field) DO UPDATE SET
           version = excluded.version, source = excluded.source,
           changed_by = excluded.changed_by, mutation_id = excluded.mutation_id,
           observed_at = excluded.observed_at, changed_at = excluded.changed_at,
           pending_hms = excluded.pending_hms"""


def field_version_rows(
    entity_type: str,
    entity_id: str,
    fields: list[str],
    *,
    version: int,
    source: str,
    changed_by: int | None = None,
    mutation_id: str | None = None,
    observed_at: str | None = None,
    pending_hms: bool = False,
    now: str | None = None,
) -> list[tuple]:
    """The ``FIELD_VERSION`` rows of a change to ``fields``."""
    now = now or utc_now()
    return [
        (
            entity_type,
            entity_id,
            f,
            version,
            source,
            changed_by,
            mutation_id,
            observed_at,
            now,
            int(pending_hms),
        )
        for f in fields
    ]


def record_changes(db: Database, entity_type: str, entity_id: str, fields: list[str], **about):
    """Remember that ``fields`` changed (``field_version_rows`` for ``about``)."""
    db.conn.executemany(FIELD_VERSION, field_version_rows(entity_type, entity_id, fields, **about))


CONFLICT_COLUMNS = (
    "entity_type",
    "entity_id",
    "field",
    "uprn",
    "rule",
    "kept_value",
    "kept_source",
    "kept_by",
    "kept_at",
    "other_value",
    "other_source",
    "other_by",
    "other_at",
    "mutation_id",
    "created_at",
)
CONFLICT = f"""INSERT INTO conflicts ({", ".join(CONFLICT_COLUMNS)})
       VALUES ({", ".join("?" * len(CONFLICT_COLUMNS))})"""


def conflict_row(
    *,
    entity_type: str,
    entity_id: str,
    field: str,
    uprn: int | None,
    rule: str,
    kept: tuple,
    other: tuple,
    mutation_id: str | None = None,
    now: str | None = None,
) -> tuple:
    """The ``CONFLICT`` row keeping both values: ``kept``/``other`` are (value, source,
    user id, when)."""
    return (
        entity_type,
        entity_id,
        field,
        uprn,
        rule,
        json.dumps(kept[0]),
        kept[1],
        kept[2],
        kept[3],
        json.dumps(other[0]),
        other[1],
        other[2],
        other[3],
        mutation_id,
        now or utc_now(),
    )


def record_conflict(db: Database, **conflict) -> int | None:
    """Keep both values (``conflict_row``). Every phone's clash is recorded (with its
    mutation); the import's is recorded once while it stays open, since a nightly import
    repeats itself."""
    row = conflict_row(**conflict)
    new = dict(zip(CONFLICT_COLUMNS, row, strict=True))
    open_same = (
        new["mutation_id"] is None
        and db.execute(
            """SELECT id FROM conflicts WHERE entity_type = :entity_type
           AND entity_id = :entity_id AND field = :field AND kept_value = :kept_value
           AND other_value = :other_value AND other_source = :other_source
           AND resolved_at IS NULL""",
            new,
        ).fetchone()
    )
    if open_same:
        return None
    return db.execute(CONFLICT, row).lastrowid


def protect_pending_edits(
    db: Database,
    entity_type: str,
    entity_id: str,
    uprn: int | None,
    incoming: dict,
    stored: dict,
    tracked: tuple[str, ...],
) -> None:
    """The import rule. ``incoming`` (the import's row) is changed in place: a field with a
    phone edit the housing system has not confirmed keeps the stored value."""
    pending = {
        f: v
        for f, v in field_versions(db, entity_type, entity_id).items()
        if v["pending_hms"] and f in tracked
    }
    for field, meta in pending.items():
        if incoming.get(field) == stored[field]:
            db.execute(
                "UPDATE field_versions SET pending_hms = 0 WHERE entity_type = ? "
                "AND entity_id = ? AND field = ?",
                [entity_type, entity_id, field],
            )
            continue
        record_conflict(
            db,
            entity_type=entity_type,
            entity_id=entity_id,
            field=field,
            uprn=uprn,
            rule="import-kept-phone-edit",
            kept=(
                stored[field],
                meta["source"],
                meta["changed_by"],
                meta["observed_at"] or meta["changed_at"],
            ),
            other=(incoming.get(field), "import", None, utc_now()),
        )
        incoming[field] = stored[field]
