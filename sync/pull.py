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
  moved its tenancy);
- a marker that expired, or started, since the last pull's day is removed or sent;
- a cursor from another epoch (a restored backup) is refused: the phone must reset.

The cursor is signed, so a phone cannot forge one. See docs/sync-protocol.md.
"""

import base64
import hashlib
import hmac
import json
from collections import defaultdict
from datetime import date

from sqlite_utils import Database

from sync import kinds as records
from sync.access import audit
from sync.access.scope import Caller, granted_homes, visible_patch_ids
from sync.clock import london_today, utc_now
from sync.errors import Conflict, ValidationFailed
from sync.store import changes
from sync.store.rows import chunks

DEFAULT_LIMIT = 2000
MAX_LIMIT = 5000
# The bucket of records that belong to the caller rather than to a home (day plans).
OWN = 0


# --- cursors ---------------------------------------------------------------------------


def encode_cursor(state: dict, secret: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()[:16]
    return f"{body.decode()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def decode_cursor(token: str, secret: str) -> dict:
    bad = ValidationFailed(
        "The cursor was not issued by this server. Pull without a cursor to bootstrap.",
        code="bad-cursor",
        errors={"cursor": ["Not a cursor this server issued."]},
    )
    try:
        body, mac = token.split(".")
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:16]
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        if not hmac.compare_digest(expected, given):
            raise bad
        state = json.loads(base64.urlsafe_b64decode(body))
        buckets = {int(k): int(v) for k, v in state["b"].items()}
        arriving = {int(p) for p in state.get("n", [])}
        device = state.get("i")
        return {
            "e": str(state["e"]),
            "d": state["d"],
            "b": buckets,
            "n": arriving,
            "i": int(device) if device is not None else None,
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad from None


def pulled_through(db: Database, caller: Caller, cursor, secret: str) -> dict[int, int]:
    """What a phone holds, from the cursor it sends with a push: bucket -> the sequence
    number it has everything up to. Nothing for no cursor, one this server cannot read
    (its pulls say so), one issued to another device, or one from before a restore (a
    phone resetting uploads first, with the cursor it has): an upload is never refused
    for its cursor."""
    if not isinstance(cursor, str) or not cursor:
        return {}
    try:
        state = decode_cursor(cursor, secret)
    except ValidationFailed:
        return {}
    if state["i"] != caller.device_id or state["e"] != changes.epoch(db):
        return {}
    return state["b"]


# --- pulling ---------------------------------------------------------------------------


def _scope(db: Database, caller: Caller, today: date) -> set[int]:
    """Bucket keys: patch ids, and minus the UPRN of each home granted for today alone
    (the partner's home on a paired visit)."""
    ids = visible_patch_ids(db, caller, today)
    if ids is None:
        ids = {r[0] for r in db.execute("SELECT id FROM patches")}
    return ids | {-uprn for uprn in granted_homes(db, caller.user_id, today, today)}


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
    """One page of changes. Everything is read in one transaction (one snapshot)."""
    today = today or london_today()
    with db.atomic():
        epoch = changes.epoch(db)
        state = (
            decode_cursor(cursor, secret)
            if cursor
            else {"e": epoch, "d": None, "b": {}, "n": set()}
        )
        if state["e"] != epoch:
            raise Conflict(
                "The server was restored from a backup. Upload every mutation you "
                "hold first, then pull again without a cursor.",
                code="reset-required",
                errors={"cursor": ["From an older epoch."]},
            )
        scope = _scope(db, caller, today)
        held = state["b"]
        types = [name for name, kind in records.TYPES.items() if kind.for_caller(caller)]
        out: list[dict] = []

        # 1. Patches that left scope: remove their homes that no remaining patch holds,
        # with everything held for them.
        # Homes and records that left those patches after the phone's cursor there (a
        # redrawn boundary, a moved tenancy) and are not held by another: the phone holds
        # them too.
        gone = set(held) - scope - {OWN}
        keep = _homes_in(db, scope)
        removed: set[tuple[str, str]] = set()  # a record is removed once a page
        leaving = [(None, uprn, None, None) for uprn in sorted(_homes_in(db, gone) - keep)]
        if gone:
            where, params = _bucket_clause({p: held[p] for p in gone}, "patch_id", "seq")
            leaving += db.execute(
                f"SELECT NULL, uprn, entity_type, entity_id FROM scope_exits WHERE {where} "
                "ORDER BY seq",
                params,
            ).fetchall()
        for changes_at in _exit_changes(db, caller, types, leaving, keep, removed, today).values():
            out += changes_at

        # 2. Markers that started or ended since the last pull's day, in patches already held.
        kept = {p: s for p, s in held.items() if p in scope}
        if state["d"] is not None and state["d"] < today.isoformat() and kept:
            out += _marker_transitions(db, caller, set(kept), state["d"], today)
        # ... and the caller's day plans for days now past.
        if state["d"] is not None and state["d"] < today.isoformat():
            out += [
                {"type": "plan", "id": str(r[0]), "op": "remove"}
                for r in db.execute(
                    "SELECT id FROM plans WHERE officer_id = ? AND plan_date >= ? "
                    "AND plan_date < ? ORDER BY id",
                    [caller.user_id, state["d"], today.isoformat()],
                )
            ]

        # 3. Changes and scope exits by sequence number; new patches start from 0.
        buckets = {p: held.get(p, 0) for p in scope}
        where, params = _bucket_clause(buckets, "pp.patch_id", "si.seq", "si.uprn")
        type_marks = ",".join("?" * len(types))
        rows = db.execute(
            f"""SELECT DISTINCT si.seq, si.entity_type, si.entity_id, si.deleted,
                       si.origin_device_id, si.uprn
                FROM sync_index si JOIN patch_properties pp ON pp.uprn = si.uprn
                WHERE si.entity_type IN ({type_marks}) AND ({where})
                ORDER BY si.seq LIMIT ?""",
            [*types, *params, limit + 1],
        ).fetchall()
        where, params = _bucket_clause(buckets, "patch_id", "seq")
        exits = db.execute(
            f"SELECT seq, uprn, entity_type, entity_id FROM scope_exits WHERE {where} "
            "ORDER BY seq LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
        own_since = held.get(OWN, 0)
        rows += db.execute(
            f"""SELECT seq, entity_type, entity_id, deleted, origin_device_id, uprn
                FROM sync_index WHERE owner_id = ? AND seq > ?
                AND entity_type IN ({type_marks}) ORDER BY seq LIMIT ?""",
            [caller.user_id, own_since, *types, limit + 1],
        ).fetchall()
        merged = sorted(
            [(seq, "change", (t, i, d, origin, uprn)) for seq, t, i, d, origin, uprn in rows]
            + [(seq, "exit", (uprn, t, i)) for seq, uprn, t, i in exits]
        )
        has_more = len(merged) > limit
        page = merged[:limit]
        high = page[-1][0] if has_more else changes.current_seq(db)

        # Patches this phone is receiving whole, until the pull that completes them: it may
        # have purged even its own records there when the patch last left its scope, so
        # nothing in them is held back as an echo.
        new_patches = (state["n"] | {p for p in scope if p not in held}) & scope
        arriving = _homes_in(db, new_patches)

        def _echo(origin: int | None, uprn: int | None) -> bool:
            """A phone's own write, exactly as it holds it, is not sent back to it."""
            return origin is not None and origin == caller.device_id and uprn not in arriving

        wanted: dict[str, list[str]] = defaultdict(list)
        for _, kind, item in page:
            if kind == "change" and not item[2] and not _echo(item[3], item[4]):
                wanted[item[0]].append(item[1])
        found, hidden = {}, set()
        for entity_type, ids in wanted.items():
            found[entity_type], hide = records.read(db, caller, entity_type, ids, today)
            hidden |= {(entity_type, i) for i in hide}
        exited = _exit_changes(
            db,
            caller,
            types,
            [(seq, *i) for seq, k, i in page if k == "exit"],
            keep,
            removed,
            today,
        )
        for seq, kind, item in page:
            if kind == "exit":
                out += exited.get(seq, [])
                continue
            entity_type, entity_id, deleted, origin, uprn = item
            if _echo(origin, uprn) or (entity_type, entity_id) in hidden:
                continue
            record = None if deleted else found[entity_type].get(entity_id)
            if deleted:
                out.append({"seq": seq, "type": entity_type, "id": entity_id, "op": "delete"})
            elif record is None:
                out.append({"seq": seq, "type": entity_type, "id": entity_id, "op": "remove"})
            else:
                out.append(
                    {
                        "seq": seq,
                        "type": entity_type,
                        "id": entity_id,
                        "op": "upsert",
                        "data": record,
                    }
                )
        new_state = {
            "e": epoch,
            "d": today.isoformat(),
            "b": {str(p): max(s, high) for p, s in {**buckets, OWN: own_since}.items()},
            "n": sorted(new_patches) if has_more else [],
            "i": caller.device_id,  # whose phone holds what this cursor says
        }
    served = defaultdict(list)
    for change in out:
        if change["op"] == "upsert" and records.TYPES[change["type"]].audited:
            served[change["type"]].append(change["id"])
    if served or (not has_more and caller.device_id is not None):
        # Outside the read transaction: a read snapshot cannot always become a write.
        with db.atomic():
            for entity_type, ids in served.items():
                audit.record(db, caller, "sync-read", entity_type, ids)
            if not has_more and caller.device_id is not None:
                db.execute(
                    "UPDATE devices SET last_pull_at = ? WHERE id = ?",
                    [utc_now(), caller.device_id],
                )
    return {
        "changes": out,
        "cursor": encode_cursor(new_state, secret),
        "has_more": has_more,
        "patch_ids": sorted(k for k in scope if k > 0),
    }


def _exit_changes(
    db: Database,
    caller: Caller,
    types: list[str],
    exits: list[tuple],
    keep: set[int],
    removed: set[tuple[str, str]],
    today: date,
) -> dict[int | None, list[dict]]:
    """Removals for ``exits`` (seq, uprn, entity_type, entity_id), by seq: a home the
    caller no longer holds goes with every record held for it, so the phone needs no rule
    of its own; a record that moved to a home the caller does not hold goes alone (a
    phone holding its new home too keeps it: its change there follows). ``removed``: what
    this page removed already, and now these too."""
    now_at = changes.homes_of(db, [(t, i) for _, _, t, i in exits if t])
    out: dict[int | None, list[dict]] = defaultdict(list)
    for seq, uprn, entity_type, entity_id in exits:
        if entity_type is None and uprn not in keep:
            leaving = _removals(db, caller, types, _held_at(db, [uprn]), today)
            leaving.append({"type": "property", "id": str(uprn), "op": "remove"})
        elif entity_type in types and now_at.get((entity_type, entity_id)) not in keep:
            leaving = _removals(db, caller, types, [(entity_type, entity_id)], today)
        else:
            continue
        for change in leaving:
            key = (change["type"], change["id"])
            if key not in removed:
                removed.add(key)
                out[seq].append(change if seq is None else {"seq": seq, **change})
    return out


def _held_at(db: Database, uprns: list[int]) -> list[tuple[str, str]]:
    """(entity_type, entity_id) of every live record indexed under these homes."""
    return [
        tuple(r)
        for chunk in chunks(uprns)
        for r in db.execute(
            f"SELECT entity_type, entity_id FROM sync_index WHERE uprn IN "
            f"({','.join('?' * len(chunk))}) AND deleted = 0 AND entity_type != 'property' "
            "ORDER BY seq",
            chunk,
        )
    ]


def _removals(
    db: Database, caller: Caller, types: list[str], keys: list[tuple[str, str]], today: date
) -> list[dict]:
    """A ``remove`` for each of these records of a type the caller receives; never for one
    hidden from the caller (a concern raised by another officer), not even by its id."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for entity_type, entity_id in keys:
        if entity_type in types:
            by_type[entity_type].append(entity_id)
    out = []
    for entity_type, ids in by_type.items():
        hidden = set()
        if records.TYPES[entity_type].audience:
            hidden = records.read(db, caller, entity_type, ids, today)[1]
        out += [{"type": entity_type, "id": i, "op": "remove"} for i in ids if i not in hidden]
    return out


def _marker_transitions(
    db: Database, caller: Caller, patch_ids: set[int], since: str, today: date
) -> list:
    """Markers in these patches that expired or came into force after ``since``."""
    day = today.isoformat()
    marks = ",".join("?" * len(patch_ids))
    homes = f"uprn IN (SELECT uprn FROM patch_properties WHERE patch_id IN ({marks}))"
    ended = [
        r[0]
        for r in db.execute(
            f"SELECT marker_ref FROM warning_markers WHERE {homes} AND end_date >= ? "
            "AND end_date < ? ORDER BY marker_ref",
            [*sorted(patch_ids), since, day],
        )
    ]
    started = [
        r[0]
        for r in db.execute(
            f"SELECT marker_ref FROM warning_markers WHERE {homes} AND start_date > ? "
            "AND start_date <= ? ORDER BY marker_ref",
            [*sorted(patch_ids), since, day],
        )
    ]
    found, _ = records.read(db, caller, "marker", started, today)
    out = [{"type": "marker", "id": ref, "op": "remove"} for ref in ended]
    out += [
        {"type": "marker", "id": ref, "op": "upsert", "data": found[ref]}
        for ref in started
        if ref in found
    ]
    return out
