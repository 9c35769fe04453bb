"""Push: a batch of mutations made offline, each with its own final result.

Each mutation is applied in its own savepoint and stored, with its result, in the same
transaction; the batch commits once. A mutation id seen before with the same content is a
``duplicate`` answered with the original result; with other content it is ``rejected``
(``mutation-id-reused``). A rejected mutation is kept for review and never blocks the
ones after it. Mutations are applied in device sequence order, so within a batch a
record's create is applied before its update, however the batch was assembled.

Adding an entity kind is declaring a ``MutationKind``: its ops, payload schema and apply
function. See docs/sync-protocol.md.
"""

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlite_utils import Database

from sync import changes, codes, versions
from sync.clock import utc_now
from sync.db import write_transaction
from sync.devices import acknowledged_seq
from sync.errors import DoorstepError
from sync.scope import Caller, visible_patch_ids

MAX_BATCH = 500
MAX_BODY_BYTES = 2 * 1024 * 1024
# An officer's queued records for a patch moved away from them are still accepted for
# this long after the move (by server time, whatever the phone's clock says).
REASSIGNMENT_GRACE = timedelta(days=14)


class Rejected(DoorstepError):
    """A mutation that cannot be applied: stored for review with this code and reason."""

    code = "rejected"


# --- the envelope ----------------------------------------------------------------------


class MutationSchema(Schema):
    class Meta:
        unknown = RAISE

    mutation_id = fields.UUID(required=True)
    device_seq = fields.Integer(required=True, validate=validate.Range(1, 2**62))
    entity_type = fields.String(required=True, validate=validate.Length(1, 40))
    entity_id = fields.String(required=True, validate=validate.Length(1, 100))
    op = fields.String(required=True, validate=validate.OneOf(["create", "update"]))
    base_version = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(0, 2**62)
    )
    observed_at = fields.AwareDateTime(required=True)
    payload = fields.Dict(required=True)


def content_hash(raw: dict) -> str:
    """What makes two sends the same mutation: everything but the delivery details."""
    keys = (
        "mutation_id",
        "entity_type",
        "entity_id",
        "op",
        "base_version",
        "observed_at",
        "payload",
    )
    body = json.dumps({k: raw.get(k) for k in keys}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


# --- kinds -----------------------------------------------------------------------------


@dataclass
class Context:
    db: Database
    caller: Caller
    mutation: dict
    now: datetime
    scope: set[int] | None  # the caller's patches (None: the whole landlord)


@dataclass
class MutationKind:
    name: str
    ops: tuple[str, ...]
    schema: Schema
    apply: Callable[[Context, dict], dict]


def _home_access(ctx: Context, uprn: int) -> list[str]:
    """Flags for a write to this home, or ``Rejected`` when the caller may not write there.
    A home the caller held within the grace period is accepted and flagged."""
    db, caller, scope = ctx.db, ctx.caller, ctx.scope
    in_home = "SELECT patch_id FROM patch_properties WHERE uprn = ?"
    patches = {r[0] for r in db.execute(in_home, [uprn])}
    if not patches:
        raise Rejected(f"Home {uprn} is in no patch.", code="out-of-scope")
    if scope is None or patches & scope:
        return []
    since = (ctx.now - REASSIGNMENT_GRACE).isoformat()
    marks = ",".join("?" * len(patches))
    held = db.execute(
        f"""SELECT 1 FROM patch_assignments WHERE officer_id = ? AND patch_id IN ({marks})
            AND ended_at >= ?
            UNION SELECT 1 FROM patch_covers WHERE officer_id = ? AND patch_id IN ({marks})
            AND (cancelled_at IS NULL OR cancelled_at >= ?) AND end_date >= ?""",
        [
            caller.user_id,
            *sorted(patches),
            since,
            caller.user_id,
            *sorted(patches),
            since,
            since[:10],
        ],
    ).fetchone()
    if held:
        return ["after-reassignment"]
    raise Rejected(f"Home {uprn} is not in your patches.", code="out-of-scope")


class VisitPayload(Schema):
    class Meta:
        unknown = RAISE

    uprn = fields.Integer(required=True, validate=validate.Range(1, 999_999_999_999))
    tenancy_ref = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 40)
    )
    outcome = fields.String(required=True, validate=validate.OneOf(list(codes.VISIT_OUTCOMES)))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    latitude = fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(-90, 90)
    )
    longitude = fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(-180, 180)
    )
    gps_accuracy_m = fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(0, 100_000)
    )
    arrived_at = fields.AwareDateTime(load_default=None, allow_none=True)
    left_at = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _times(self, data, **kwargs):
        if data.get("arrived_at") and data.get("left_at") and data["left_at"] < data["arrived_at"]:
            raise ValidationError({"left_at": ["Before arrived_at."]})


def _iso(value):
    return value.isoformat() if value is not None else None


VISIT_COLUMNS = (
    "id, uprn, tenancy_ref, officer_id, outcome, notes, latitude, longitude, "
    "gps_accuracy_m, arrived_at, left_at, observed_at, received_at, flags"
)


def apply_visit(ctx: Context, payload: dict) -> dict:
    """Append-only: a visit never conflicts. A second create of one id is refused."""
    db, m = ctx.db, ctx.mutation
    if not db.execute("SELECT 1 FROM properties WHERE uprn = ?", [payload["uprn"]]).fetchone():
        raise Rejected(f"No home has UPRN {payload['uprn']}.", code="unknown-home")
    if (
        payload["tenancy_ref"]
        and not db.execute(
            "SELECT 1 FROM tenancies WHERE tenancy_ref = ? AND uprn = ?",
            [payload["tenancy_ref"], payload["uprn"]],
        ).fetchone()
    ):
        raise Rejected("That tenancy is not at that home.", code="unknown-tenancy")
    flags = _home_access(ctx, payload["uprn"])
    try:
        db.execute(
            f"INSERT INTO visits ({VISIT_COLUMNS}, device_id, mutation_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                m["entity_id"],
                payload["uprn"],
                payload["tenancy_ref"],
                ctx.caller.user_id,
                payload["outcome"],
                payload["notes"],
                payload["latitude"],
                payload["longitude"],
                payload["gps_accuracy_m"],
                _iso(payload["arrived_at"]),
                _iso(payload["left_at"]),
                m["observed_at"].isoformat(),
                ctx.now.isoformat(),
                json.dumps(flags),
                ctx.caller.device_id,
                m["mutation_id"],
            ],
        )
    except sqlite3.IntegrityError as exc:
        if "visits.id" not in str(exc):
            raise
        raise Rejected(
            "A visit with this id already exists; corrections are new visits.",
            code="already-exists",
        ) from None
    # Flagged records changed meaning on the server, so the phone gets them back.
    changes.touch(
        db,
        "visit",
        m["entity_id"],
        payload["uprn"],
        origin_device_id=None if flags else ctx.caller.device_id,
    )
    return {"status": "applied", "flags": flags}


class TenantContactPayload(Schema):
    class Meta:
        unknown = RAISE

    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    mobile = fields.String(allow_none=True, validate=validate.Length(max=30))
    email = fields.Email(allow_none=True)
    preferred_contact = fields.String(validate=validate.OneOf(codes.CONTACT_METHODS))
    language = fields.String(allow_none=True, validate=validate.Length(max=40))
    interpreter_needed = fields.Boolean()
    reasonable_adjustments = fields.String(allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Change at least one field.")


@dataclass
class MutableRecord:
    """A record phones edit field by field: its table, key, and how to read it with its
    home (``uprn``)."""

    entity_type: str
    table: str
    key: str
    select: str


TENANT = MutableRecord(
    "tenant",
    "tenants",
    "person_ref",
    "SELECT t.*, y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
    "WHERE t.person_ref = ?",
)
ARRANGEMENT = MutableRecord(
    "arrangement",
    "arrangements",
    "tenancy_ref",
    "SELECT a.*, t.uprn FROM arrangements a JOIN tenancies t ON t.tenancy_ref = a.tenancy_ref "
    "WHERE a.tenancy_ref = ?",
)


def apply_field_edit(ctx: Context, payload: dict, record: MutableRecord) -> dict:
    """Fields merge on the base version; a field changed by someone else since the base
    keeps the server's value, and the phone's goes to a conflict with both kept."""
    db, m = ctx.db, ctx.mutation
    entity_id = m["entity_id"]
    rows = list(db.query(record.select, [entity_id]))
    if not rows:
        raise Rejected(
            f"No {record.entity_type} {entity_id}: it may not exist yet.", code="unknown-entity"
        )
    current = rows[0]
    flags = _home_access(ctx, current["uprn"])
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
            uprn=current["uprn"],
            rule="first-write-kept",
            kept=(
                stored,
                meta["source"],
                meta["changed_by"],
                meta["observed_at"] or meta["changed_at"],
            ),
            other=(value, "device", ctx.caller.user_id, m["observed_at"].isoformat()),
            mutation_id=m["mutation_id"],
        )
        conflicted.append({"field": field, "kept": stored, "yours": value})
    version = current["version"]
    if apply:
        sets = ", ".join(f"{f} = ?" for f in apply)
        version = db.execute(
            f"UPDATE {record.table} SET {sets}, version = version + 1, updated_at = ? "
            f"WHERE {record.key} = ? RETURNING version",
            [*apply.values(), ctx.now.isoformat(), entity_id],
        ).fetchall()[0][0]
        versions.record_changes(
            db,
            record.entity_type,
            entity_id,
            list(apply),
            version=version,
            source="device",
            changed_by=ctx.caller.user_id,
            mutation_id=m["mutation_id"],
            observed_at=m["observed_at"].isoformat(),
            pending_hms=True,
        )
    # The phone holds exactly the server's record only when it was based on the latest
    # version and nothing was refused; otherwise the record is sent back to it.
    exact = base == current["version"] and not conflicted and not flags
    if apply or conflicted:
        changes.touch(
            db,
            record.entity_type,
            entity_id,
            current["uprn"],
            origin_device_id=ctx.caller.device_id if exact else None,
        )
    result = {
        "status": "conflict" if conflicted else "applied",
        "version": version,
        "flags": flags,
    }
    if conflicted:
        result["conflicts"] = conflicted
    return result


class ArrangementStatusPayload(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(codes.ARRANGEMENT_STATUSES))


KINDS = {
    k.name: k
    for k in (
        MutationKind("visit", ("create",), VisitPayload(), apply_visit),
        MutationKind(
            "tenant",
            ("update",),
            TenantContactPayload(),
            lambda ctx, payload: apply_field_edit(ctx, payload, TENANT),
        ),
        MutationKind(
            "arrangement",
            ("update",),
            ArrangementStatusPayload(),
            lambda ctx, payload: apply_field_edit(ctx, payload, ARRANGEMENT),
        ),
    )
}


# --- the batch -------------------------------------------------------------------------


def _store(
    db: Database,
    caller: Caller,
    mutation_id: str,
    raw: dict,
    clean: dict | None,
    digest: str,
    result: dict,
    now: str,
    duplicate_of: int | None = None,
) -> int:
    status = {"applied": "applied", "conflict": "conflict"}.get(result["status"], "rejected")
    return db.execute(
        """INSERT INTO mutations (mutation_id, duplicate_of, device_id, user_id, device_seq,
               entity_type, entity_id, op, base_version, observed_at, received_at,
               content_hash, body, status, result)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            mutation_id,
            duplicate_of,
            caller.device_id,
            caller.user_id,
            clean and clean["device_seq"],
            clean and clean["entity_type"],
            clean and clean["entity_id"],
            clean and clean["op"],
            clean and clean["base_version"],
            clean and clean["observed_at"].isoformat(),
            now,
            digest,
            json.dumps(raw, default=str),
            status,
            json.dumps(result),
        ],
    ).lastrowid


def _mutation_key(raw: dict, digest: str) -> str:
    """The id a mutation is stored under: its own, or (malformed, no usable id) its hash."""
    given = raw.get("mutation_id")
    if isinstance(given, str) and 0 < len(given) <= 100:
        return given
    return f"invalid:{digest}"


def _one(batch: "Batch", raw: dict, clean: dict | None, problems: dict) -> dict:
    db, caller, now = batch.db, batch.caller, batch.now
    digest = content_hash(raw)
    mutation_id = _mutation_key(raw, digest)
    base = {"mutation_id": mutation_id}
    seen = batch.seen.get(mutation_id)
    if seen and seen[1] == digest:
        return {**base, "status": "duplicate", "original": json.loads(seen[2])}
    if seen:
        result = {
            **base,
            "status": "rejected",
            "code": "mutation-id-reused",
            "reason": "This mutation id was already used for different content.",
        }
        with db.atomic():
            _store(db, caller, mutation_id, raw, clean, digest, result, now.isoformat(), seen[0])
        return result
    try:
        with db.atomic():
            if clean is None:
                raise Rejected(
                    "The mutation is malformed.", code="invalid-mutation", errors=problems
                )
            kind = KINDS.get(clean["entity_type"])
            if kind is None:
                raise Rejected(
                    f"Unknown entity_type {clean['entity_type']!r}.",
                    code="unknown-entity-type",
                    errors={"entity_type": [f"One of: {', '.join(KINDS)}."]},
                )
            if clean["op"] not in kind.ops:
                raise Rejected(
                    f"{kind.name} records allow only: {', '.join(kind.ops)}.",
                    code="invalid-op",
                    errors={"op": [f"One of: {kind.ops}."]},
                )
            try:
                payload = kind.schema.load(clean["payload"])
            except ValidationError as exc:
                raise Rejected(
                    "The payload is invalid.",
                    code="invalid-payload",
                    errors={
                        f"payload.{k}": v if isinstance(v, list) else [str(v)]
                        for k, v in exc.normalized_messages().items()
                    },
                ) from None
            context = Context(db, caller, {**clean, "mutation_id": mutation_id}, now, batch.scope)
            result = {**base, **kind.apply(context, payload)}
            row_id = _store(db, caller, mutation_id, raw, clean, digest, result, now.isoformat())
    except Rejected as exc:
        result = {**base, "status": "rejected", "code": exc.code, "reason": exc.detail}
        if exc.errors:
            result["errors"] = exc.errors
        with db.atomic():
            row_id = _store(db, caller, mutation_id, raw, clean, digest, result, now.isoformat())
    # A copy later in the same batch is a duplicate of this one.
    batch.seen[mutation_id] = (row_id, digest, json.dumps(result))
    return result


@dataclass
class Batch:
    db: Database
    caller: Caller
    now: datetime
    scope: set[int] | None
    seen: dict[str, tuple]  # mutation_id -> (row id, content hash, result) already stored


ENVELOPE = MutationSchema()


def push(db: Database, caller: Caller, mutations: list[dict]) -> dict:
    """Apply a batch; one result per mutation, in the order sent."""
    parsed = []
    for position, raw in enumerate(mutations):
        if not isinstance(raw, dict):
            parsed.append((position, {"mutation": raw}, None, {"_": ["Not an object."]}))
            continue
        try:
            parsed.append((position, raw, ENVELOPE.load(raw), {}))
        except ValidationError as exc:
            parsed.append((position, raw, None, exc.normalized_messages()))
    # Apply in device sequence order (malformed ones last); answer in the order sent.
    order = sorted(parsed, key=lambda p: (p[2] is None, p[2]["device_seq"] if p[2] else 0, p[0]))
    results: dict[int, dict] = {}
    with write_transaction(db):
        batch = Batch(
            db,
            caller,
            datetime.now(UTC),
            visible_patch_ids(db, caller),
            _already_stored(db, [raw for _, raw, _, _ in parsed]),
        )
        for position, raw, clean, problems in order:
            results[position] = _one(batch, raw, clean, problems)
        db.execute(
            "UPDATE devices SET last_push_at = ? WHERE id = ?", [utc_now(), caller.device_id]
        )
    return {
        "results": [results[i] for i in range(len(mutations))],
        "acknowledged_seq": acknowledged_seq(db, caller.device_id),
    }


def _already_stored(db: Database, raws: list[dict]) -> dict[str, tuple]:
    ids = sorted({r["mutation_id"] for r in raws if isinstance(r.get("mutation_id"), str)})
    seen = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for mutation_id, row_id, digest, result in db.execute(
            "SELECT mutation_id, id, content_hash, result FROM mutations WHERE mutation_id "
            f"IN ({','.join('?' * len(chunk))}) AND duplicate_of IS NULL",
            chunk,
        ):
            seen[mutation_id] = (row_id, digest, result)
    return seen
