"""Pull: the changes in a caller's scope since their cursor, paged by change sequence.

Scope is made of *buckets*, one per patch the caller holds (owned, covered, led, or all
for landlord-wide roles). The cursor records, per bucket, the sequence number the phone
has everything up to, plus the server's epoch and the day of the last pull:

- a bucket new to the cursor starts at 0, so a patch entering scope arrives whole;
- a bucket gone from scope is answered with a ``remove`` for each of its homes that no
  remaining bucket holds, and for each record held for them, so the phone purges them
  with no rule of its own; so are the homes and records that left it (below) since the
  cursor's number for it;
- a home that left a patch (a redrawn boundary) is removed through ``scope_exits``, with
  its records, as is a record that moved to a home the caller does not hold (the import
  moved its tenancy), even while its old home was out of the patch;
- a marker that expired, or started, since the last pull's day is removed or sent;
- a cursor from another epoch (a restored backup) is refused: the phone must reset.

The cursor is signed, so a phone cannot forge one. See docs/sync-protocol.md.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from sync import kinds
from sync.access import audit
from sync.access.scope import Caller, checked_in_homes, granted_homes, visible_patch_ids
from sync.casework import plans
from sync.clock import london_today, utc_now
from sync.errors import Conflict, ValidationFailed
from sync.memory import collector_paused
from sync.protocol.cursor import decode_cursor, encode_cursor
from sync.records import markers
from sync.store import changes
from sync.store.rows import chunks

DEFAULT_LIMIT = 2000
MAX_LIMIT = 5000
# The bucket of records that belong to the caller rather than to a home (day plans).
OWN = 0


def _scope(db: Database, caller: Caller, today: date) -> set[int]:
    """Bucket keys: patch ids, and minus the UPRN of each home held on its own: granted
    for today alone (the partner's home on a paired visit), or where the caller is
    checked in until they check out (sync.access.scope.checked_in_homes)."""
    ids = visible_patch_ids(db, caller, today)
    if ids is None:
        ids = {r[0] for r in db.execute("SELECT id FROM patches")}
    own = granted_homes(db, caller.user_id, today, today)
    checked_in = checked_in_homes(db, caller.user_id)
    if checked_in:  # only those no patch in scope holds: the others are held already
        marks = ",".join("?" * len(checked_in))
        held = db.execute(
            f"SELECT uprn, patch_id FROM patch_properties WHERE uprn IN ({marks})",
            sorted(checked_in),
        ).fetchall()
        own |= checked_in - {uprn for uprn, patch_id in held if patch_id in ids}
    return ids | {-uprn for uprn in own}


def _homes_in(db: Database, keys: set[int]) -> set[int]:
    patch_ids = sorted(k for k in keys if k > 0)
    homes = {-k for k in keys if k < 0}
    if patch_ids:
        marks = ",".join("?" * len(patch_ids))
        homes |= {
            r[0]
            for r in db.execute(
                f"SELECT uprn FROM patch_properties WHERE patch_id IN ({marks})", patch_ids
            )
        }
    return homes


def _bucket_clause(
    buckets: dict[int, int], column: str, seq: str, home_column: str | None = None
) -> tuple[str, list]:
    """SQL for "changed since" per bucket: a patch (``column``) or a granted home
    (``home_column``; left out when None)."""
    parts, params = [], []
    for key, since in sorted(buckets.items()):
        if key > 0:
            parts.append(f"({column} = ? AND {seq} > ?)")
            params += [key, since]
        elif key < 0 and home_column:
            parts.append(f"({home_column} = ? AND {seq} > ?)")
            params += [-key, since]
    return " OR ".join(parts) or "0", params


def pull(
    db: Database,
    caller: Caller,
    cursor: str | None,
    *,
    secret: str,
    limit: int = DEFAULT_LIMIT,
    today: date | None = None,
) -> dict:
    """One page of changes. Everything is read in one transaction (one snapshot), in
    three phases: what left the caller's scope, what a new day changed, and the changes
    since the cursor. A page makes tens of thousands of short-lived objects and no
    garbage cycles: Python's cycle collector is paused meanwhile (one pass over a
    worker's objects in three bootstraps cost 80 ms)."""
    with collector_paused():
        return _pull(db, caller, cursor, secret, limit, today or london_today())


def _pull(db: Database, caller: Caller, cursor, secret: str, limit: int, today: date) -> dict:
    with db.atomic():
        epoch = changes.epoch(db)
        state = _state(db, caller, cursor, secret, epoch)
        scope = _scope(db, caller, today)
        held = state["b"]
        page = _Page(
            db,
            caller,
            today,
            types=[name for name, kind in kinds.KINDS.items() if kind.receives(caller)],
            keep=_homes_in(db, scope),
        )
        _left_scope(page, held, scope)
        if state["d"] is not None and state["d"] < today.isoformat():
            _new_day(page, {p for p in held if p in scope}, state["d"])
        buckets = {p: held.get(p, 0) for p in scope}
        own_since = held.get(OWN, 0)
        changed, has_more = _changed(page, buckets, own_since, limit)
        high = changed[-1][0] if has_more else changes.current_seq(db)
        # Patches this phone is receiving whole, until the pull that completes them: it may
        # have purged even its own records there when the patch last left its scope, so
        # nothing in them is held back as an echo.
        new_patches = (state["n"] | {p for p in scope if p not in held}) & scope
        arriving = page.keep if new_patches == scope else _homes_in(db, new_patches)
        _since_cursor(page, changed, arriving=arriving)
        new_state = {
            "e": epoch,
            "d": today.isoformat(),
            "b": {str(p): max(s, high) for p, s in {**buckets, OWN: own_since}.items()},
            "n": sorted(new_patches) if has_more else [],
            "i": caller.device_id,  # whose phone holds what this cursor says
        }
    _note_reads(db, caller, page.out, finished=not has_more)
    return {
        "changes": page.out,
        "cursor": encode_cursor(new_state, secret),
        "has_more": has_more,
        "patch_ids": sorted(k for k in scope if k > 0),
    }


def _state(db: Database, caller: Caller, cursor: str | None, secret: str, epoch: str) -> dict:
    """The cursor's state (a bootstrap's, without one). A cursor from before a restore is
    refused (the phone must reset), and so is one issued to another user's device: what
    it says was held is theirs, and removals of it would name their records. (One of the
    caller's own earlier devices is theirs: signing in again makes a new device.)"""
    state = (
        decode_cursor(cursor, secret)
        if cursor is not None
        else {"e": epoch, "d": None, "b": {}, "n": set()}
    )
    issued_to = state.get("i")
    if issued_to is not None and issued_to != caller.device_id:
        owner = db.execute("SELECT user_id FROM devices WHERE id = ?", [issued_to]).fetchone()
        if owner is None or owner[0] != caller.user_id:
            raise ValidationFailed(
                "The cursor was issued to another user. Pull without a cursor to bootstrap.",
                code="bad-cursor",
                errors={"cursor": ["Not a cursor issued to you."]},
            )
    if state["e"] != epoch:
        raise Conflict(
            "The server was restored from a backup. Upload every mutation you "
            "hold first, then pull again without a cursor.",
            code="reset-required",
            errors={"cursor": ["From an older epoch."]},
        )
    return state


@dataclass
class _Page:
    """One page being built: who it is for, what they hold, and the changes so far."""

    db: Database
    caller: Caller
    today: date
    types: list[str]  # the kinds the caller receives
    keep: set[int]  # the homes in the caller's scope now
    out: list[dict] = field(default_factory=list)
    removed: set[tuple[str, str]] = field(default_factory=set)  # removed once a page


def _left_scope(page: _Page, held: dict[int, int], scope: set[int]) -> None:
    """Phase 1. Patches that left scope: remove their homes that no remaining patch
    holds, with everything held for them; and the homes and records that left those
    patches after the phone's cursor there (a redrawn boundary, a moved tenancy) and are
    not held by another: the phone holds them too."""
    gone = set(held) - scope - {OWN}
    if not gone:
        return
    leaving = [(None, uprn, None, None) for uprn in sorted(_homes_in(page.db, gone) - page.keep)]
    where, params = _bucket_clause({p: held[p] for p in gone}, "patch_id", "seq", "uprn")
    leaving += page.db.execute(
        f"SELECT NULL, uprn, entity_type, entity_id FROM scope_exits WHERE {where} ORDER BY seq",
        params,
    ).fetchall()
    since = min(held[p] for p in gone)
    for removals in _exit_changes(page, leaving, since).values():
        page.out += removals


def _new_day(page: _Page, kept: set[int], since: str) -> None:
    """Phase 2, on the first pull of a day: markers that started or ended since the last
    pull's day, in patches already held; and the caller's day plans for days now past."""
    patch_ids = {p for p in kept if p > 0}
    if patch_ids:
        page.out += markers.transitions(page.db, page.caller, patch_ids, since, page.today)
    page.out += [
        {"type": "plan", "id": plan_id, "op": "remove"}
        for plan_id in plans.past_plans(page.db, page.caller.user_id, since, page.today)
    ]


def _changed(
    page: _Page, buckets: dict[int, int], own_since: int, limit: int
) -> tuple[list[tuple], bool]:
    """Phase 3's reads: changes and scope exits by sequence number since the cursor, per
    bucket (a patch new to the cursor starts from 0), and the caller's own records (day
    plans); at most ``limit`` of them, and whether there are more."""
    db, marks = page.db, ",".join("?" * len(page.types))
    where, params = _bucket_clause(buckets, "pp.patch_id", "si.seq", "si.uprn")
    rows = db.execute(
        f"""SELECT DISTINCT si.seq, si.entity_type, si.entity_id, si.deleted,
                   si.origin_device_id, si.uprn
            FROM sync_index si JOIN patch_properties pp ON pp.uprn = si.uprn
            WHERE si.entity_type IN ({marks}) AND ({where})
            ORDER BY si.seq LIMIT ?""",
        [*page.types, *params, limit + 1],
    ).fetchall()
    rows += db.execute(
        f"""SELECT seq, entity_type, entity_id, deleted, origin_device_id, uprn
            FROM sync_index WHERE owner_id = ? AND seq > ?
            AND entity_type IN ({marks}) ORDER BY seq LIMIT ?""",
        [page.caller.user_id, own_since, *page.types, limit + 1],
    ).fetchall()
    where, params = _bucket_clause(buckets, "patch_id", "seq", "uprn")
    exits = db.execute(
        f"SELECT seq, uprn, entity_type, entity_id FROM scope_exits WHERE {where} "
        "ORDER BY seq LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    merged = sorted(
        [(seq, "change", (t, i, d, origin, uprn)) for seq, t, i, d, origin, uprn in rows]
        + [(seq, "exit", (uprn, t, i)) for seq, uprn, t, i in exits]
    )
    return merged[:limit], len(merged) > limit


def _since_cursor(page: _Page, changed: list[tuple], arriving: set[int]) -> None:
    """Phase 3: each change as the caller receives it (an upsert of the record as they may
    see it, a delete, or a remove), and each exit's removals, in sequence order. A
    phone's own write, exactly as it holds it, is not sent back to it (no echo), except
    in a patch it is receiving whole."""

    def echo(origin: int | None, uprn: int | None) -> bool:
        return origin is not None and origin == page.caller.device_id and uprn not in arriving

    wanted: dict[str, list[str]] = defaultdict(list)
    for _, what, item in changed:
        if what == "change" and not item[2] and not echo(item[3], item[4]):
            wanted[item[0]].append(item[1])
    found, hidden = {}, set()
    for entity_type, ids in wanted.items():
        found[entity_type], hide = kinds.read(page.db, page.caller, entity_type, ids, page.today)
        hidden |= {(entity_type, i) for i in hide}
    exited = _exit_changes(page, [(seq, *i) for seq, what, i in changed if what == "exit"])
    for seq, what, item in changed:
        if what == "exit":
            page.out += exited.get(seq, [])
            continue
        entity_type, entity_id, deleted, origin, uprn = item
        if echo(origin, uprn) or (entity_type, entity_id) in hidden:
            continue
        change = {"seq": seq, "type": entity_type, "id": entity_id}
        record = None if deleted else found[entity_type].get(entity_id)
        if deleted:
            page.out.append(change | {"op": "delete"})
        elif record is None:
            page.out.append(change | {"op": "remove"})
        else:
            page.out.append(change | {"op": "upsert", "data": record})


def _note_reads(db: Database, caller: Caller, out: list[dict], *, finished: bool) -> None:
    """Audit the audited kinds the page served, and (a finished sync) when the device
    last pulled. Outside the read transaction: a read snapshot cannot always become a
    write."""
    served = defaultdict(list)
    for change in out:
        if change["op"] == "upsert" and kinds.KINDS[change["type"]].audited:
            served[change["type"]].append(change["id"])
    finished = finished and caller.device_id is not None
    if not served and not finished:
        return
    with db.atomic():
        for entity_type, ids in served.items():
            audit.record(db, caller, "sync-read", entity_type, ids)
        if finished:
            db.execute(
                "UPDATE devices SET last_pull_at = ? WHERE id = ?", [utc_now(), caller.device_id]
            )


def _exit_changes(page: _Page, exits: list[tuple], since: int = 0) -> dict[int | None, list[dict]]:
    """Removals for ``exits`` (seq, uprn, entity_type, entity_id), by seq: a home the
    caller no longer holds goes with every record held for it, and with every record that
    moved away from it since (after its exit, or after ``since`` for an exit with no seq:
    the phone held them there); a home the caller holds again (drawn back into a patch)
    stays, but what moved away from it meanwhile goes; a record that moved to a home the
    caller does not hold goes alone. A phone holding a record's new home keeps it: its
    change there follows.
    So the phone needs no rule of its own. Each record is removed once a page, however
    many exits name it."""
    db, types, keep = page.db, page.types, page.keep
    home_exits = [(seq, uprn) for seq, uprn, t, _ in exits if t is None]
    held_at = _held_at(db, [uprn for _, uprn in home_exits if uprn not in keep])
    # Records that moved away from a home after it left: the phone still holds them there,
    # whether the home itself goes now or has come back (their move's exits name only the
    # patches that held the home when they moved).
    moved = _moved_from(db, [(uprn, since if seq is None else seq) for seq, uprn in home_exits])
    now_at = changes.homes_of(
        db, [(t, i) for _, _, t, i in exits if t] + [k for ks in moved.values() for k in ks]
    )
    leaving: list[tuple[int | None, list[tuple[str, str]], int | None]] = []
    for seq, uprn, entity_type, entity_id in exits:
        if entity_type is None:
            gone = [k for k in moved.get(uprn, []) if now_at.get(k) not in keep]
            if uprn not in keep:
                leaving.append((seq, held_at.get(uprn, []) + gone, uprn))
            elif gone:
                leaving.append((seq, gone, None))
        elif entity_type in types and now_at.get((entity_type, entity_id)) not in keep:
            leaving.append((seq, [(entity_type, entity_id)], None))
    # What is hidden from the caller is read once for the whole page, not once a home.
    hidden = _hidden(page, [key for _, keys, _ in leaving for key in keys])
    out: dict[int | None, list[dict]] = defaultdict(list)
    for seq, keys, home in leaving:
        removals = _removals(types, keys, hidden)
        if home is not None:
            removals.append({"type": "property", "id": str(home), "op": "remove"})
        for change in removals:
            key = (change["type"], change["id"])
            if key not in page.removed:
                page.removed.add(key)
                out[seq].append(change if seq is None else {"seq": seq, **change})
    return out


def _moved_from(db: Database, homes: list[tuple[int, int]]) -> dict[int, list[tuple[str, str]]]:
    """Home -> (entity_type, entity_id) of the records that moved away from it after the
    given sequence number (the import corrected their home)."""
    after: dict[int, int] = {}
    for uprn, seq in homes:  # a home that left more than once: since it first left
        after[uprn] = min(seq, after.get(uprn, seq))
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in chunks(sorted(after)):
        for uprn, seq, entity_type, entity_id in db.execute(
            "SELECT uprn, seq, entity_type, entity_id FROM record_moves WHERE uprn IN "
            f"({','.join('?' * len(chunk))}) AND seq > ? ORDER BY seq",
            [*chunk, min(after[u] for u in chunk)],
        ):
            if seq > after[uprn]:
                found[uprn].append((entity_type, entity_id))
    return found


def _held_at(db: Database, uprns: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Home -> (entity_type, entity_id) of every live record indexed under it."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in chunks(sorted(set(uprns))):
        for uprn, entity_type, entity_id in db.execute(
            f"SELECT uprn, entity_type, entity_id FROM sync_index WHERE uprn IN "
            f"({','.join('?' * len(chunk))}) AND deleted = 0 AND entity_type != 'property' "
            "ORDER BY seq",
            chunk,
        ):
            found[uprn].append((entity_type, entity_id))
    return found


def _hidden(page: _Page, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these records are hidden from the caller (a concern raised by another
    officer): only kinds with an audience are read."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for entity_type, entity_id in dict.fromkeys(keys):
        if entity_type in page.types and kinds.KINDS[entity_type].audience:
            by_type[entity_type].append(entity_id)
    return {
        (entity_type, i)
        for entity_type, ids in by_type.items()
        for i in kinds.read(page.db, page.caller, entity_type, ids, page.today)[1]
    }


def _removals(
    types: list[str], keys: list[tuple[str, str]], hidden: set[tuple[str, str]]
) -> list[dict]:
    """A ``remove`` for each of these records of a type the caller receives, by type;
    never for one hidden from the caller, not even by its id."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for entity_type, entity_id in keys:
        if entity_type in types and (entity_type, entity_id) not in hidden:
            by_type[entity_type].append(entity_id)
    return [
        {"type": entity_type, "id": i, "op": "remove"}
        for entity_type, ids in by_type.items()
        for i in ids
    ]
