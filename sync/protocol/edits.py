"""Edits to mutable records made on phones: a tenant's contact details and an
arrangement's status. Fields merge on the base version (sync.protocol.versions)."""

import functools

from sync import codes
from sync.checks import Boolean, Email, Phone, Record, Text
from sync.protocol import versions
from sync.protocol.batch import Batch, Op, Rejected, chunks, home_access
from sync.protocol.versions import ARRANGEMENT, TENANT, MutableRecord
from sync.store import changes

TENANT_CONTACT = Record(
    {
        "phone": Phone(),
        "mobile": Phone(),
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
    """The prefetch of a kind that writes at once: the homes of the records edited."""

    def prefetch(batch: Batch, mutations: list[dict]) -> None:
        ids = sorted({m["entity_id"] for m in mutations})
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            batch.load_homes(r[0] for r in batch.db.execute(record.homes.format(ids=marks), chunk))

    return prefetch


def prefetch_records(record: MutableRecord):
    """The prefetch of a kind whose edits the batch follows: the records edited, their
    field versions and their homes, read once; ``apply_field_edit`` keeps them up to date."""

    def prefetch(batch: Batch, mutations: list[dict]) -> None:
        ids = sorted({m["entity_id"] for m in mutations})
        for chunk in chunks(ids):
            for row in batch.db.query(record.select.format(ids=",".join("?" * len(chunk))), chunk):
                batch.records[record.entity_type, row[record.key]] = row
        for entity_id, fields in versions.histories(batch.db, record.entity_type, ids).items():
            batch.history[record.entity_type, entity_id] = fields
        batch.latest.update(changes.latest(batch.db, record.entity_type, ids))
        batch.load_homes(row["uprn"] for row in batch.records.values())

    return prefetch


def apply_field_edit(batch: Batch, m: dict, payload: dict, record: MutableRecord) -> dict:
    """Fields merge on the base version; a field changed by someone else since the base
    keeps the server's value, and the phone's goes to a conflict with both kept.

    A kind whose writes wait for the end of the batch reads the record once (in its
    prefetch, or here) and keeps the batch's copy up to date; a kind that writes at once
    reads it from the database each time."""
    entity_id, key = m["entity_id"], (record.entity_type, m["entity_id"])
    current, history = batch.records.get(key), batch.history.get(key)
    if current is None:
        current = record.read(batch.db, entity_id)
        history = versions.field_versions(batch.db, record.entity_type, entity_id)
        if current is not None and not batch.writes_now:
            batch.records[key], batch.history[key] = current, history
    # A record outside the caller's patches is answered as one that does not exist: its
    # existence, and its home, are private (person refs are sequential).
    if current is None:
        raise _unknown(record, entity_id)
    uprn = current["uprn"]
    try:
        flags = home_access(batch, uprn, batch.home(uprn))
    except Rejected:
        raise _unknown(record, entity_id) from None
    base = m["base_version"]
    if base is None or base > current["version"]:
        raise Rejected(
            f"base_version must be the version the edit was based on (the server "
            f"holds version {current['version']}).",
            code="bad-base-version",
        )
    apply, conflicted, clashes = {}, [], []
    for field, value in payload.items():
        stored = current[field]
        value = int(value) if isinstance(value, bool) else value
        if value == stored:
            continue
        if history.get(field, {}).get("version", 0) <= base:
            apply[field] = value
            continue
        meta = history[field]
        clashes.append(
            versions.conflict_row(
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
                now=batch.now_iso,
            ),
        )
        conflicted.append({"field": field, "kept": stored, "yours": value})
    version = current["version"]
    if apply:
        # News for the housing system, with the record. The event's id derives from the
        # mutation's (Batch.event), so however often the phone resends it, it is one event.
        batch.event(
            record.topic,
            entity_id,
            versions.change_event(
                record,
                current,
                {f: payload[f] for f in apply},
                version=version + 1,
                changed_by=batch.caller.username,
                source="device",
                observed_at=m["observed_iso"],
            ),
        )
        changed = {"version": version + 1, "updated_at": batch.now_iso}
        # The record as it now is, whole, so that however the batch groups its writes the
        # last one leaves it right; and the same in the batch, for later mutations.
        current.update(apply, **changed)
        columns = (*record.fields, *changed)
        batch.later(_update(record, columns), (*(current[c] for c in columns), entity_id))
        for row in versions.field_version_rows(
            record.entity_type,
            entity_id,
            list(apply),
            version=version + 1,
            source="device",
            changed_by=batch.caller.user_id,
            mutation_id=m["mutation_id"],
            observed_at=m["observed_iso"],
            pending_hms=True,
            now=batch.now_iso,
        ):
            batch.later(versions.FIELD_VERSION, row)
            history[row[2]] = dict(zip(versions.FIELD_VERSION_COLUMNS, row, strict=True))
    for clash in clashes:
        batch.later(versions.CONFLICT, clash)
    # The phone now holds exactly the server's record only when its edit was based on the
    # latest version, it held that version whole (a version named in an answer that sent
    # the record back is not held until pulled), and nothing was refused. Otherwise the
    # record is sent back to it, even when this edit changed nothing (the answer's version
    # then names changes it lacks).
    exact = base == version and not conflicted and not flags
    if apply or not exact:
        held = exact and batch.holds(record.entity_type, entity_id, uprn)
        origin = batch.caller.device_id if held else None
        batch.touch(record.entity_type, entity_id, uprn, origin)
    result = {
        "status": "conflict" if conflicted else "applied",
        "version": current["version"],
        "flags": flags,
    }
    if conflicted:
        result["conflicts"] = conflicted
    return result


def _unknown(record: MutableRecord, entity_id: str) -> Rejected:
    return Rejected(
        f"No {record.entity_type} {entity_id} in your patches: it may not exist yet.",
        code="unknown-entity",
    )


@functools.cache
def _update(record: MutableRecord, columns: tuple[str, ...]) -> str:
    """The statement writing these columns of one record (the same for every edit)."""
    sets = ", ".join(f"{c} = ?" for c in columns)
    return f"UPDATE {record.table} SET {sets} WHERE {record.key} = ?"


TENANT_EDIT = Op(TENANT_CONTACT, lambda b, m, p: apply_field_edit(b, m, p, TENANT))
ARRANGEMENT_STATUS_EDIT = Op(
    ARRANGEMENT_STATUS, lambda b, m, p: apply_field_edit(b, m, p, ARRANGEMENT)
)
