"""Push: a batch of mutations made offline, each with its own final result.

A batch is one write transaction (sync.protocol.batch). A mutation id seen before with the same
content is a ``duplicate`` answered with the original result; with other content it is
``rejected`` (``mutation-id-reused``). A rejected mutation is kept for review and never
blocks the ones after it. Mutations are applied in device sequence order, so within a
batch a record's create is applied before its update, however the batch was assembled.

The kinds phones may push are the registry's kinds with ops (sync.kinds): adding one is
declaring its ``Kind`` in its own module. See docs/sync-protocol.md.
"""

from datetime import UTC, datetime

import orjson
from sqlite_utils import Database

from sync import kinds
from sync.access.devices import advance_acknowledged
from sync.access.scope import Caller
from sync.checks import Integer, Invalid, Moment, Object, Record, Text, Uuid
from sync.clock import clock_wrong, iso
from sync.errors import TooLarge
from sync.ids import uuid7
from sync.memory import collector_paused
from sync.protocol.batch import Batch, Op, Rejected, chunks
from sync.protocol.cursor import pulled_through
from sync.protocol.kinds import Kind
from sync.protocol.resends import same
from sync.store.db import write_transaction

MAX_BATCH = 500
MAX_BODY_BYTES = 2 * 1024 * 1024


ENVELOPE = Record(
    {
        "mutation_id": Uuid(required=True, nullable=False),
        "device_seq": Integer(1, 2**62, required=True, nullable=False),
        "entity_type": Text(40, min_len=1, required=True, nullable=False),
        "entity_id": Text(100, min_len=1, required=True, nullable=False),
        # Any text: one a kind does not take is answered ``invalid-op`` (sync.push._check).
        "op": Text(10, min_len=1, required=True, nullable=False),
        "base_version": Integer(0, 2**62),
        "observed_at": Moment(required=True, nullable=False),
        "payload": Object(required=True, nullable=False),
    }
)
_MUTATION_ID = ENVELOPE.fields["mutation_id"]
_DEVICE_SEQ = ENVELOPE.fields["device_seq"]
_NEW_ID = Uuid()


def _mutation_key(raw: dict) -> str | None:
    """The id a mutation is stored and deduplicated under: its own, when it is a UUID;
    None when it has no usable id (it is then rejected, and never a duplicate: two such
    entries, from one phone or two, are two rejections)."""
    given = raw.get("mutation_id")
    try:
        _MUTATION_ID.clean(given)
    except ValueError:
        return None
    return given


def _given_seq(raw: dict) -> int | None:
    """A malformed mutation's ``device_seq``, when that is a good one: it has reached the
    server all the same (rejected, never to be sent again)."""
    try:
        return _DEVICE_SEQ.clean(raw.get("device_seq"))
    except ValueError:
        return None


def _check(batch: Batch, clean: dict | None, problems) -> tuple[Kind, Op, dict]:
    """The mutation's kind, op and clean payload, or ``Rejected``."""
    if clean is None:
        raise Rejected("The mutation is malformed.", code="invalid-mutation", errors=problems)
    pair = (clean["entity_type"], clean["op"])
    found = batch.allowed.get(pair)
    if found is None:  # (looked up once a batch: most are of a kind or two)
        found = batch.allowed[pair] = _kind_and_op(batch.caller, *pair)
    kind, op = found
    if clean["op"] == "create":
        try:  # a new record's id is the phone's UUID, kept as sent (the batch read it so)
            _NEW_ID.clean(clean["entity_id"])
        except ValueError:
            raise Rejected(
                "A new record's id must be a UUID the phone makes.",
                code="invalid-mutation",
                errors={"entity_id": ["Not a valid UUID."]},
            ) from None
    try:
        return kind, op, op.payload.load(clean["payload"])
    except Invalid as exc:
        raise Rejected(
            "The payload is invalid.",
            code="invalid-payload",
            errors={f"payload.{k}": v for k, v in exc.errors.items()},
        ) from None


def _kind_and_op(caller: Caller, entity_type: str, op: str) -> tuple[Kind, Op]:
    """The kind and op a mutation names, or ``Rejected``. A role may make only the kinds
    of record it receives (sync.records): maintenance never sees rent records, so it never
    makes them either."""
    pushed = kinds.pushed()
    kind = pushed.get(entity_type)
    if kind is None:
        raise Rejected(
            f"Unknown entity_type {entity_type!r}.",
            code="unknown-entity-type",
            errors={"entity_type": [f"One of: {', '.join(pushed)}."]},
        )
    if not kind.receives(caller):
        raise Rejected(
            f"Your role ({caller.role}) may not make {kind.name} records.",
            code="forbidden",
        )
    if op not in kind.ops:
        raise Rejected(
            f"{kind.name} records allow only: {', '.join(kind.ops)}.",
            code="invalid-op",
            errors={"op": [f"One of: {', '.join(kind.ops)}."]},
        )
    return kind, kind.ops[op]


def _one(batch: Batch, raw: dict, clean: dict | None, problems, key: str | None) -> dict:
    given = raw.get("mutation_id")
    answer_id = given if isinstance(given, str) else None  # each result names it as sent
    seq = clean["device_seq"] if clean is not None else _given_seq(raw)
    if key is None:  # no usable id: stored for review under an id of its own, never looked up
        mutation_id, seen = f"invalid:{uuid7()}", None
    else:
        mutation_id, seen = key, batch.seen.get(key)
    if seen:
        return _sent_again(batch, raw, clean, seq, answer_id, mutation_id, seen)
    try:
        kind, op, payload = _check(batch, clean, problems)
        clean["mutation_id"] = mutation_id  # as stored (a phone may send capitals)
        batch.begin(mutation_id, kind.writes_now)
        earliest, latest = batch.believable
        if not earliest <= clean["observed_at"] <= latest:  # (two comparisons, what phones send)
            batch.clock_flag = _clamp_observed(clean, batch)
        if kind.writes_now:
            with batch.db.atomic():
                outcome = op.apply(batch, clean, payload)
        else:
            outcome = op.apply(batch, clean, payload)
        result = {"mutation_id": answer_id, **outcome}
        if batch.clock_flag:
            flags = result.setdefault("flags", [])
            if batch.clock_flag not in flags:
                flags.append(batch.clock_flag)
            result["observed_at"] = clean["observed_at"].isoformat()
        batch.keep_staged()
    except Rejected as exc:
        batch.drop_staged()
        result = {
            "mutation_id": answer_id,
            "status": "rejected",
            "code": exc.code,
            "reason": exc.detail,
        }
        if exc.errors:
            result["errors"] = exc.errors
    row_id = batch.store(mutation_id, raw, clean, seq, result)
    if key is not None:  # a copy later in the same batch is a duplicate of this one
        batch.seen[key] = (row_id, raw, result, batch.caller.user_id)
    return result


def _sent_again(batch, raw, clean, seq, answer_id, mutation_id, seen) -> dict:
    """The answer to a mutation id already stored (``seen``: its row, what was sent, its
    result and its user) or made earlier in the batch: a ``duplicate`` of the same content
    from the same user, else ``mutation-id-reused``, stored for review."""
    if seen[3] != batch.caller.user_id:
        # Another user's id: say nothing of what it was or did.
        reason = "This mutation id was already used. Make a new one for each change."
    elif same(seen[1], raw):
        original = seen[2] if isinstance(seen[2], dict) else orjson.loads(seen[2])
        return {"mutation_id": answer_id, "status": "duplicate", "original": original}
    else:
        reason = "This mutation id was already used for different content."
    result = {
        "mutation_id": answer_id,
        "status": "rejected",
        "code": "mutation-id-reused",
        "reason": reason,
    }
    batch.store(mutation_id, raw, clean, seq, result, duplicate_of=seen[0])
    return result


def _clamp_observed(clean: dict, batch: Batch) -> str | None:
    """An ``observed_at`` more than ``CLOCK_AHEAD`` past the time the server received the
    push, or more than ``CLOCK_BEHIND`` before it, is the phone's clock, not the officer:
    the record is kept, but at the time of receipt (in the phone's own UTC offset, as it
    sent it), so no legal clock runs from a time that has not come yet, or from 1970.
    Called for a time outside ``batch.believable``; the flag it is kept with
    (``clock-ahead``, ``clock-behind``)."""
    observed = clean["observed_at"]
    received = batch.now
    clean["observed_at"] = received.astimezone(observed.tzinfo)
    clean["observed_iso"] = iso(received)
    return clock_wrong(observed, received)


def upload(db: Database, caller: Caller, mutations: list, cursor, secret: str) -> dict:
    """A phone's push as it arrives: at most ``MAX_BATCH`` mutations (``TooLarge``, and
    nothing applied), with the cursor of its last pull, which says what it holds (one the
    server cannot use is ignored: an upload is never refused for its cursor)."""
    if len(mutations) > MAX_BATCH:
        raise TooLarge(
            f"At most {MAX_BATCH} mutations a batch; send the rest in another.",
            errors={"mutations": [f"More than {MAX_BATCH}."]},
        )
    return push(db, caller, mutations, pulled_through(db, caller, cursor, secret))


def push(
    db: Database, caller: Caller, mutations: list[dict], pulled: dict[int, int] | None = None
) -> dict:
    """Apply a batch; one result per mutation, in the order sent. ``pulled``: what the
    phone holds, from the cursor it sent (``sync.protocol.cursor.pulled_through``).
    A batch makes tens of thousands of small objects and no garbage cycles: Python's
    cycle collector is paused meanwhile (its passes cost about 3 µs a mutation)."""
    with collector_paused():
        return _push(db, caller, mutations, pulled)


def _push(db: Database, caller: Caller, mutations: list[dict], pulled) -> dict:
    received = datetime.now(UTC)  # before waiting for the write lock
    well_formed, malformed = [], []
    for position, raw in enumerate(mutations):
        try:
            clean = ENVELOPE.load(raw)  # (what is not an object is refused as "_schema")
        except Invalid as exc:
            wrapped = raw if isinstance(raw, dict) else {"mutation": raw}
            malformed.append((position, wrapped, None, exc.errors, _mutation_key(wrapped)))
            continue
        clean["observed_iso"] = iso(clean["observed_at"])
        # A well-formed envelope's id is a UUID already: kept as sent, not checked again.
        well_formed.append((position, raw, clean, None, raw["mutation_id"]))
    # Apply in device sequence order (the sort is stable: one number sent twice keeps the
    # order sent), malformed ones last; answer in the order sent.
    well_formed.sort(key=_device_seq)
    order = well_formed + malformed
    results: list = [None] * len(mutations)
    # Inside a caller's transaction, this push's commit is not the last word (the caller
    # may yet roll back, and may have changed the homes before): nothing it read is kept.
    nested = db.conn.in_transaction
    with write_transaction(db):
        batch = Batch(db, caller, received, pulled)
        batch.seen = _already_stored(db, [p[4] for p in order if p[4] is not None])
        by_kind: dict[str, list[dict]] = {}
        for p in well_formed:
            by_kind.setdefault(p[2]["entity_type"], []).append(p[2])
        for kind in kinds.pushed().values():
            mine = by_kind.get(kind.name)
            if kind.prefetch and mine:
                kind.prefetch(batch, mine)
        for position, raw, clean, problems, key in order:
            results[position] = _one(batch, raw, clean, problems, key)
        batch.flush()
        db.execute(
            "UPDATE devices SET last_push_at = ? WHERE id = ?", [batch.now_iso, caller.device_id]
        )
        acknowledged = advance_acknowledged(db, caller.device_id)
    if not nested:  # committed: what it read of the homes serves the next push
        batch.homes.keep()
    return {"results": results, "acknowledged_seq": acknowledged}


def _device_seq(parsed: tuple) -> int:
    return parsed[2]["device_seq"]


def _already_stored(db: Database, keys: list[str]) -> dict[str, tuple]:
    ids = sorted(set(keys))
    seen = {}
    for chunk in chunks(ids):
        for mutation_id, row_id, copy, content_hash, result, user_id in db.execute(
            # The copy when there is no hash (so it is short: sync.protocol.resends).
            "SELECT mutation_id, id, iif(content_hash IS NULL, body, NULL), content_hash, "
            "result, user_id FROM mutations WHERE "
            f"mutation_id IN ({','.join('?' * len(chunk))}) AND duplicate_of IS NULL",
            chunk,
        ):
            seen[mutation_id] = (row_id, (copy, content_hash), result, user_id)
    return seen
