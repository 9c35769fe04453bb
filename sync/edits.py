"""Edits to mutable records made on phones: a tenant's contact details and an
arrangement's status. Fields merge on the base version (sync.versions)."""

from sync import codes, versions
from sync.batch import Batch, MutationKind, Op, Rejected, chunks, home_access
from sync.checks import Boolean, Email, Record, Text
from sync.versions import ARRANGEMENT, TENANT, MutableRecord

TENANT_CONTACT = Record(
    {
        "phone": Text(30),
        "mobile": Text(30),
        "email": Email(),
        "preferred_contact": Text(20, choices=codes.CONTACT_METHODS, nullable=False),
        "language": Text(40),
        "interpreter_needed": Boolean(nullable=False),
        "reasonable_adjustments": Text(500),
    },
    fill=False,
    min_fields=1,
)
ARRANGEMENT_STATUS = Record(
    {"status": Text(20, choices=codes.ARRANGEMENT_STATUSES, required=True, nullable=False)}
)


def prefetch_homes_of(record: MutableRecord):
    def prefetch(batch: Batch, mutations: list[dict]) -> None:
        ids = sorted({m["entity_id"] for m in mutations})
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            batch.load_homes(r[0] for r in batch.db.execute(record.homes.format(ids=marks), chunk))

    return prefetch


def apply_field_edit(batch: Batch, m: dict, payload: dict, record: MutableRecord) -> dict:
    """Fields merge on the base version; a field changed by someone else since the base
    keeps the server's value, and the phone's goes to a conflict with both kept."""
    db, entity_id = batch.db, m["entity_id"]
    rows = list(db.query(record.select, [entity_id]))
    if not rows:
        raise Rejected(
            f"No {record.entity_type} {entity_id}: it may not exist yet.", code="unknown-entity"
        )
    current = rows[0]
    uprn = current["uprn"]
    flags = home_access(batch, uprn, batch.home(uprn))
    base = m["base_version"]
    if base is None or base > current["version"]:
        raise Rejected(
            f"base_version must be the version the edit was based on (the server "
            f"holds version {current['version']}).",
            code="bad-base-version",
        )
    history = versions.field_versions(db, record.entity_type, entity_id)
    apply, conflicted = {}, []
    for field, value in payload.items():
        stored = current[field]
        value = int(value) if isinstance(value, bool) else value
        if value == stored:
            continue
        if history.get(field, {}).get("version", 0) <= base:
            apply[field] = value
            continue
        meta = history[field]
        versions.record_conflict(
            db,
            entity_type=record.entity_type,
            entity_id=entity_id,
            field=field,
            uprn=uprn,
            rule="first-write-kept",
            kept=(
                stored,
                meta["source"],
                meta["changed_by"],
                meta["observed_at"] or meta["changed_at"],
            ),
            other=(value, "device", batch.caller.user_id, m["observed_iso"]),
            mutation_id=m["mutation_id"],
        )
        conflicted.append({"field": field, "kept": stored, "yours": value})
    version = current["version"]
    if apply:
        sets = ", ".join(f"{f} = ?" for f in apply)
        version = db.execute(
            f"UPDATE {record.table} SET {sets}, version = version + 1, updated_at = ? "
            f"WHERE {record.key} = ? RETURNING version",
            [*apply.values(), batch.now_iso, entity_id],
        ).fetchall()[0][0]
        versions.record_changes(
            db,
            record.entity_type,
            entity_id,
            list(apply),
            version=version,
            source="device",
            changed_by=batch.caller.user_id,
            mutation_id=m["mutation_id"],
            observed_at=m["observed_iso"],
            pending_hms=True,
        )
        # News for the housing system, with the record. The event's id derives from the
        # mutation's (Batch.event), so however often the phone resends it, it is one event.
        batch.event(
            record.topic,
            entity_id,
            versions.change_event(
                record,
                current,
                {f: payload[f] for f in apply},
                version=version,
                changed_by=batch.caller.username,
                source="device",
                observed_at=m["observed_iso"],
            ),
        )
    # The phone holds exactly the server's record only when it was based on the latest
    # version and nothing was refused; otherwise the record is sent back to it.
    exact = base == current["version"] and not conflicted and not flags
    if apply or conflicted:
        batch.touch(record.entity_type, entity_id, uprn, batch.caller.device_id if exact else None)
    result = {
        "status": "conflict" if conflicted else "applied",
        "version": version,
        "flags": flags,
    }
    if conflicted:
        result["conflicts"] = conflicted
    return result


TENANT_KIND = MutationKind(
    "tenant",
    {"update": Op(TENANT_CONTACT, lambda b, m, p: apply_field_edit(b, m, p, TENANT))},
    prefetch=prefetch_homes_of(TENANT),
    writes_now=True,
)
ARRANGEMENT_STATUS_EDIT = Op(
    ARRANGEMENT_STATUS, lambda b, m, p: apply_field_edit(b, m, p, ARRANGEMENT)
)
