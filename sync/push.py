"""Push: a batch of mutations made offline, each with its own final result.

A batch is one write transaction. Every mutation is checked in full before anything of it
is written, so a rejected mutation leaves nothing behind; the writes of applied ones are
buffered and stored with one ``executemany`` per table when the batch ends (records that
later mutations of the same batch read, such as a tenant's fields, are written at once,
inside a savepoint). A mutation id seen before with the same content is a ``duplicate``
answered with the original result; with other content it is ``rejected``
(``mutation-id-reused``). A rejected mutation is kept for review and never blocks the
ones after it. Mutations are applied in device sequence order, so within a batch a
record's create is applied before its update, however the batch was assembled.

Adding an entity kind is declaring a ``MutationKind``: its ops, payload rules and apply
function. See docs/sync-protocol.md.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync import changes, codes, versions
from sync.checks import (
    Boolean,
    Email,
    Integer,
    Invalid,
    Moment,
    Number,
    Object,
    Record,
    Text,
    Uuid,
)
from sync.db import write_transaction
from sync.devices import advance_acknowledged
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

ENVELOPE = Record(
    {
        "mutation_id": Uuid(required=True, nullable=False),
        "device_seq": Integer(1, 2**62, required=True, nullable=False),
        "entity_type": Text(40, min_len=1, required=True, nullable=False),
        "entity_id": Text(100, min_len=1, required=True, nullable=False),
        "op": Text(10, choices=("create", "update"), required=True, nullable=False),
        "base_version": Integer(0, 2**62),
        "observed_at": Moment(required=True, nullable=False),
        "payload": Object(required=True, nullable=False),
    }
)
CONTENT_KEYS = (
    "mutation_id",
    "entity_type",
    "entity_id",
    "op",
    "base_version",
    "observed_at",
    "payload",
)


def content_hash(raw: dict) -> str:
    """What makes two sends the same mutation: everything but the delivery details."""
    content = {k: raw.get(k) for k in CONTENT_KEYS}
    return hashlib.sha256(_dumps(content, sort_keys=True)).hexdigest()


def _dumps(value, sort_keys: bool = False) -> bytes:
    """JSON as UTF-8, by orjson (the hot path); what orjson refuses (integers past 64 bits,
    nesting past 254 levels: only ever in malformed mutations) by the standard library."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
        return text.encode()


def _json(value) -> str:
    return _dumps(value).decode()


# --- the batch -------------------------------------------------------------------------

TOUCH = """INSERT INTO sync_index (entity_type, entity_id, uprn, seq, deleted, origin_device_id)
           VALUES (?, ?, ?, ?, 0, ?)
           ON CONFLICT (entity_type, entity_id)
           DO UPDATE SET uprn = excluded.uprn, seq = excluded.seq, deleted = 0,
                         origin_device_id = excluded.origin_device_id"""
STORE = """INSERT INTO mutations (id, mutation_id, duplicate_of, device_id, user_id,
               device_seq, entity_type, entity_id, op, base_version, observed_at, received_at,
               content_hash, body, status, result)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


@dataclass(frozen=True)
class Home:
    patches: frozenset[int]
    tenancies: frozenset[str]


class Batch:
    """One push: what it has read (cached for the batch) and what it will write."""

    def __init__(self, db: Database, caller: Caller, now: datetime):
        self.db, self.caller, self.now = db, caller, now
        self.now_iso = now.isoformat()
        self.scope = visible_patch_ids(db, caller)  # None: the whole landlord
        self.seq = changes.current_seq(db)
        self.last_row = db.execute("SELECT coalesce(max(id), 0) FROM mutations").fetchone()[0]
        self.seen: dict[str, tuple] = {}  # mutation_id -> (row id, content hash, result)
        self.homes: dict[int, Home | None] = {}
        self.known: dict[str, set[str]] = {}  # per kind: entity ids that already exist
        self.buffered: dict[str, list[tuple]] = {}
        self.staged: list[tuple[str, tuple]] = []  # the current mutation's writes

    # Reads
    def load_homes(self, uprns) -> None:
        wanted = sorted({u for u in uprns if type(u) is int} - self.homes.keys())
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            found = {
                u: (set(), set())
                for (u,) in self.db.execute(
                    f"SELECT uprn FROM properties WHERE uprn IN ({marks})", chunk
                )
            }
            for uprn, patch_id in self.db.execute(
                f"SELECT uprn, patch_id FROM patch_properties WHERE uprn IN ({marks})", chunk
            ):
                found[uprn][0].add(patch_id)
            for uprn, ref in self.db.execute(
                f"SELECT uprn, tenancy_ref FROM tenancies WHERE uprn IN ({marks})", chunk
            ):
                found[uprn][1].add(ref)
            for uprn in chunk:
                sets = found.get(uprn)
                self.homes[uprn] = sets and Home(frozenset(sets[0]), frozenset(sets[1]))

    def home(self, uprn: int) -> Home | None:
        if uprn not in self.homes:
            self.load_homes([uprn])
        return self.homes[uprn]

    # Writes
    def later(self, sql: str, row: tuple) -> None:
        """Store this row when the batch ends (if the current mutation is applied)."""
        self.staged.append((sql, row))

    def touch(self, entity_type: str, entity_id: str, uprn: int, origin: int | None) -> None:
        """``changes.touch`` for the batch; ``origin``: the device whose pulls skip it."""
        self.seq += 1
        self.later(TOUCH, (entity_type, entity_id, uprn, self.seq, origin))

    def keep_staged(self) -> None:
        for sql, row in self.staged:
            self.buffered.setdefault(sql, []).append(row)
        self.staged.clear()

    def store(self, mutation_id, raw, clean, digest, result, duplicate_of=None) -> int:
        status = result["status"] if result["status"] in ("applied", "conflict") else "rejected"
        self.last_row += 1
        self.buffered.setdefault(STORE, []).append(
            (
                self.last_row,
                mutation_id,
                duplicate_of,
                self.caller.device_id,
                self.caller.user_id,
                clean and clean["device_seq"],
                clean and clean["entity_type"],
                clean and clean["entity_id"],
                clean and clean["op"],
                clean and clean["base_version"],
                clean and clean["observed_iso"],
                self.now_iso,
                digest,
                _json(raw),
                status,
                _json(result),
            )
        )
        return self.last_row

    def flush(self) -> None:
        for sql, rows in self.buffered.items():
            self.db.conn.executemany(sql, rows)
        self.buffered.clear()
        self.db.execute("UPDATE sync_state SET seq = ?", [self.seq])


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- kinds -----------------------------------------------------------------------------


@dataclass
class MutationKind:
    """``apply(batch, mutation, payload)`` raises ``Rejected`` or returns the result. It
    writes through ``batch.later``/``batch.touch``; a kind that must also write at once
    (because a later mutation in the batch reads it) sets ``writes_now`` and gets a
    savepoint. ``prefetch(batch, mutations)`` reads what the whole batch needs at once."""

    name: str
    ops: tuple[str, ...]
    payload: Record
    apply: Callable[[Batch, dict, dict], dict]
    prefetch: Callable[[Batch, list[dict]], None] | None = None
    writes_now: bool = False


def _home_access(batch: Batch, uprn: int, home: Home) -> list[str]:
    """Flags for a write to this home, or ``Rejected`` when the caller may not write there.
    A home the caller held within the grace period is accepted and flagged."""
    patches, scope = home.patches, batch.scope
    if not patches:
        raise Rejected(f"Home {uprn} is in no patch.", code="out-of-scope")
    if scope is None or patches & scope:
        return []
    since = (batch.now - REASSIGNMENT_GRACE).isoformat()
    marks = ",".join("?" * len(patches))
    officer = batch.caller.user_id
    held = batch.db.execute(
        f"""SELECT 1 FROM patch_assignments WHERE officer_id = ? AND patch_id IN ({marks})
            AND ended_at >= ?
            UNION SELECT 1 FROM patch_covers WHERE officer_id = ? AND patch_id IN ({marks})
            AND (cancelled_at IS NULL OR cancelled_at >= ?) AND end_date >= ?""",
        [officer, *sorted(patches), since, officer, *sorted(patches), since, since[:10]],
    ).fetchone()
    if held:
        return ["after-reassignment"]
    raise Rejected(f"Home {uprn} is not in your patches.", code="out-of-scope")


def _left_after_arrival(visit: dict) -> dict:
    if visit["arrived_at"] and visit["left_at"] and visit["left_at"] < visit["arrived_at"]:
        return {"left_at": ["Before arrived_at."]}
    return {}


VISIT = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": Text(40, min_len=1),
        "outcome": Text(40, choices=codes.VISIT_OUTCOMES, required=True, nullable=False),
        "notes": Text(4000),
        "latitude": Number(-90, 90),
        "longitude": Number(-180, 180),
        "gps_accuracy_m": Number(0, 100_000),
        "arrived_at": Moment(),
        "left_at": Moment(),
    },
    whole=_left_after_arrival,
)

VISIT_COLUMNS = (
    "id, uprn, tenancy_ref, officer_id, outcome, notes, latitude, longitude, "
    "gps_accuracy_m, arrived_at, left_at, observed_at, received_at, flags"
)
INSERT_VISIT = (
    f"INSERT INTO visits ({VISIT_COLUMNS}, device_id, mutation_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _iso(value):
    return value.isoformat() if value is not None else None


def prefetch_visits(batch: Batch, mutations: list[dict]) -> None:
    batch.load_homes(m["payload"].get("uprn") for m in mutations)
    ids = sorted({m["entity_id"] for m in mutations})
    known = batch.known.setdefault("visit", set())
    for chunk in _chunks(ids):
        known.update(
            r[0]
            for r in batch.db.execute(
                f"SELECT id FROM visits WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
        )


def apply_visit(batch: Batch, m: dict, visit: dict) -> dict:
    """Append-only: a visit never conflicts. A second create of one id is refused."""
    uprn = visit["uprn"]
    home = batch.home(uprn)
    if home is None:
        raise Rejected(f"No home has UPRN {uprn}.", code="unknown-home")
    if visit["tenancy_ref"] and visit["tenancy_ref"] not in home.tenancies:
        raise Rejected("That tenancy is not at that home.", code="unknown-tenancy")
    flags = _home_access(batch, uprn, home)
    known = batch.known.setdefault("visit", set())
    if m["entity_id"] in known:
        raise Rejected(
            "A visit with this id already exists; corrections are new visits.",
            code="already-exists",
        )
    known.add(m["entity_id"])
    batch.later(
        INSERT_VISIT,
        (
            m["entity_id"],
            uprn,
            visit["tenancy_ref"],
            batch.caller.user_id,
            visit["outcome"],
            visit["notes"],
            visit["latitude"],
            visit["longitude"],
            visit["gps_accuracy_m"],
            _iso(visit["arrived_at"]),
            _iso(visit["left_at"]),
            m["observed_iso"],
            batch.now_iso,
            _json(flags) if flags else "[]",
            batch.caller.device_id,
            m["mutation_id"],
        ),
    )
    # Flagged records changed meaning on the server, so the phone gets them back.
    batch.touch("visit", m["entity_id"], uprn, None if flags else batch.caller.device_id)
    return {"status": "applied", "flags": flags}


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


@dataclass
class MutableRecord:
    """A record phones edit field by field: its table, key, and how to read it with its
    home (``uprn``)."""

    entity_type: str
    table: str
    key: str
    select: str
    homes: str  # entity id -> uprn, for ids in ({ids})

    def prefetch(self, batch: "Batch", mutations: list[dict]) -> None:
        ids = sorted({m["entity_id"] for m in mutations})
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            batch.load_homes(r[0] for r in batch.db.execute(self.homes.format(ids=marks), chunk))


TENANT = MutableRecord(
    "tenant",
    "tenants",
    "person_ref",
    "SELECT t.*, y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
    "WHERE t.person_ref = ?",
    "SELECT y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
    "WHERE t.person_ref IN ({ids})",
)
ARRANGEMENT = MutableRecord(
    "arrangement",
    "arrangements",
    "tenancy_ref",
    "SELECT a.*, t.uprn FROM arrangements a JOIN tenancies t ON t.tenancy_ref = a.tenancy_ref "
    "WHERE a.tenancy_ref = ?",
    "SELECT uprn FROM tenancies WHERE tenancy_ref IN ({ids})",
)


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
    flags = _home_access(batch, uprn, batch.home(uprn))
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


KINDS = {
    k.name: k
    for k in (
        MutationKind("visit", ("create",), VISIT, apply_visit, prefetch=prefetch_visits),
        MutationKind(
            "tenant",
            ("update",),
            TENANT_CONTACT,
            lambda batch, m, payload: apply_field_edit(batch, m, payload, TENANT),
            prefetch=TENANT.prefetch,
            writes_now=True,
        ),
        MutationKind(
            "arrangement",
            ("update",),
            ARRANGEMENT_STATUS,
            lambda batch, m, payload: apply_field_edit(batch, m, payload, ARRANGEMENT),
            prefetch=ARRANGEMENT.prefetch,
            writes_now=True,
        ),
    )
}


# --- applying --------------------------------------------------------------------------


def _mutation_key(raw: dict, digest: str) -> str:
    """The id a mutation is stored under: its own, or (malformed, no usable id) its hash."""
    given = raw.get("mutation_id")
    if isinstance(given, str) and 0 < len(given) <= 100:
        return given
    return f"invalid:{digest}"


def _check(clean: dict | None, problems: dict) -> tuple[MutationKind, dict]:
    """The mutation's kind and clean payload, or ``Rejected``."""
    if clean is None:
        raise Rejected("The mutation is malformed.", code="invalid-mutation", errors=problems)
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
            errors={"op": [f"One of: {', '.join(kind.ops)}."]},
        )
    try:
        return kind, kind.payload.load(clean["payload"])
    except Invalid as exc:
        raise Rejected(
            "The payload is invalid.",
            code="invalid-payload",
            errors={f"payload.{k}": v for k, v in exc.errors.items()},
        ) from None


def _one(batch: Batch, raw: dict, clean: dict | None, problems: dict) -> dict:
    digest = content_hash(raw)
    mutation_id = _mutation_key(raw, digest)
    base = {"mutation_id": mutation_id}
    seen = batch.seen.get(mutation_id)
    if seen and seen[1] == digest:
        original = seen[2] if isinstance(seen[2], dict) else orjson.loads(seen[2])
        return {**base, "status": "duplicate", "original": original}
    if seen:
        result = {
            **base,
            "status": "rejected",
            "code": "mutation-id-reused",
            "reason": "This mutation id was already used for different content.",
        }
        batch.store(mutation_id, raw, clean, digest, result, duplicate_of=seen[0])
        return result
    try:
        kind, payload = _check(clean, problems)
        mutation = {**clean, "mutation_id": mutation_id}
        if kind.writes_now:
            with batch.db.atomic():
                outcome = kind.apply(batch, mutation, payload)
        else:
            outcome = kind.apply(batch, mutation, payload)
        result = {**base, **outcome}
        batch.keep_staged()
    except Rejected as exc:
        batch.staged.clear()
        result = {**base, "status": "rejected", "code": exc.code, "reason": exc.detail}
        if exc.errors:
            result["errors"] = exc.errors
    row_id = batch.store(mutation_id, raw, clean, digest, result)
    # A copy later in the same batch is a duplicate of this one.
    batch.seen[mutation_id] = (row_id, digest, result)
    return result


def _envelope(raw) -> tuple[dict | None, dict]:
    if not isinstance(raw, dict):
        return None, {"_schema": ["Not an object."]}
    try:
        clean = ENVELOPE.load(raw)
    except Invalid as exc:
        return None, exc.errors
    clean["observed_iso"] = clean["observed_at"].isoformat()
    return clean, {}


def push(db: Database, caller: Caller, mutations: list[dict]) -> dict:
    """Apply a batch; one result per mutation, in the order sent."""
    parsed = [(i, raw, *_envelope(raw)) for i, raw in enumerate(mutations)]
    # Apply in device sequence order (malformed ones last); answer in the order sent.
    order = sorted(parsed, key=lambda p: (p[2] is None, p[2]["device_seq"] if p[2] else 0, p[0]))
    results: dict[int, dict] = {}
    with write_transaction(db):
        batch = Batch(db, caller, datetime.now(UTC))
        batch.seen = _already_stored(db, [raw for _, raw, _, _ in parsed])
        for kind in KINDS.values():
            mine = [c for _, _, c, _ in parsed if c and c["entity_type"] == kind.name]
            if kind.prefetch and mine:
                kind.prefetch(batch, mine)
        for position, raw, clean, problems in order:
            wrapped = raw if isinstance(raw, dict) else {"mutation": raw}
            results[position] = _one(batch, wrapped, clean, problems)
        batch.flush()
        db.execute(
            "UPDATE devices SET last_push_at = ? WHERE id = ?", [batch.now_iso, caller.device_id]
        )
        acknowledged = advance_acknowledged(db, caller.device_id)
    return {
        "results": [results[i] for i in range(len(mutations))],
        "acknowledged_seq": acknowledged,
    }


def _already_stored(db: Database, raws: list) -> dict[str, tuple]:
    ids = sorted(
        {
            r["mutation_id"]
            for r in raws
            if isinstance(r, dict) and isinstance(r.get("mutation_id"), str)
        }
    )
    seen = {}
    for chunk in _chunks(ids):
        for mutation_id, row_id, digest, result in db.execute(
            "SELECT mutation_id, id, content_hash, result FROM mutations WHERE mutation_id "
            f"IN ({','.join('?' * len(chunk))}) AND duplicate_of IS NULL",
            chunk,
        ):
            seen[mutation_id] = (row_id, digest, result)
    return seen
