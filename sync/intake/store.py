"""Storing the nightly import's checked rows.

Rows are stored a batch at a time, and a batch the database refuses a row of is undone and
stored again row by row, each in its own savepoint. A row identical to what is stored changes
nothing, so re-running a file is a no-op.
"""

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite_utils import Database

from sync import codes, kinds
from sync.clock import utc_now
from sync.intake import moratoria
from sync.intake.parse import Codes, Row
from sync.protocol import versions
from sync.protocol.kinds import MOVES
from sync.records import arrangements, notices, phone_statements
from sync.records.patches import assign_properties, patch_index
from sync.store import changes
from sync.store.db import write_transaction
from sync.store.rows import chunks

CHUNK = 500  # ids a query names at once


@dataclass
class Kind:
    """How one kind of row is checked and stored. Adding a kind is declaring one, in
    ``sync.intake.kinds``."""

    name: str
    table: str
    key: tuple[str, ...]
    row: Row  # the columns, and how each is checked
    # Columns of ``table`` filled from a row (after ``derive``), compared for idempotence.
    columns: tuple[str, ...]
    # (row field, table, column) that must already exist; fields and columns may be
    # tuples, for values that must exist together (a tenant of that very tenancy).
    references: tuple[tuple, ...] = ()
    # Rows name a tenancy: each batch reads their tenancies' homes and rents at once
    # (``Tenancies``), for ``derive`` and ``sync_entity``.
    reads_tenancies: bool = False
    # Fills the columns a row does not carry.
    derive: Callable[[dict, "Tenancies"], None] | None = None
    # How a row is known to the sync protocol: (entity type, entity id, uprn).
    sync_entity: Callable[[dict, "Tenancies"], tuple[str, str, int]] | None = None
    # Fields phones may also edit: the table has a ``version``; the import keeps a
    # phone's edit the housing system has not confirmed (sync.protocol.versions).
    versioned: tuple[str, ...] = ()
    # After a chunk is stored: its changed rows, and the rows they replaced (as stored
    # before, by column), for what follows from them.
    after: Callable[[Database, "Run", list[dict], list[dict]], None] | None = None
    has_updated_at: bool = True
    # The rules of law a row breaks, though it is stored (the housing system's row is a
    # fact): each a dict of ``rule``, ``field`` and ``text``, reported by line. Its third
    # argument is what ``warn_reads(db, rows)`` read for the batch (None without one).
    warn: Callable[[dict, "Tenancies", object], list[dict]] | None = None
    warn_reads: Callable[[Database, list[dict]], object] | None = None

    def __post_init__(self):
        self.values = operator.itemgetter(*self.columns)
        # Columns stored otherwise than as cleaned: lists, as JSON.
        self.encoded = tuple(
            i for i, c in enumerate(self.columns) if isinstance(self.row.fields.get(c), Codes)
        )
        self.sets = tuple(i for i, c in enumerate(self.columns) if c not in self.key)
        stamps = ("imported_at", "updated_at") if self.has_updated_at else ("imported_at",)
        self.insert_sql = (
            f"INSERT INTO {self.table} ({', '.join((*self.columns, *stamps))}) "
            f"VALUES ({', '.join('?' * (len(self.columns) + len(stamps)))})"
        )
        sets = [c for c in self.columns if c not in self.key] + list(stamps)
        self.update_sql = (
            f"UPDATE {self.table} SET {', '.join(f'{c} = ?' for c in sets)} "
            f"WHERE {' AND '.join(f'{k} = ?' for k in self.key)}"
        )
        self.stamps = len(stamps)

    def stored(self, row: dict) -> tuple:
        """The row as stored: its ``columns``, in order."""
        values = self.values(row)
        if self.encoded:
            values = list(values)
            for i in self.encoded:
                values[i] = _to_db(values[i])
            values = tuple(values)
        return values


# tenancy_ref -> (uprn, weekly rent, tenure, start date) of the tenancies a chunk of rows
# names.
Tenancies = dict[str, tuple[int, float, str, str]]


@dataclass
class Run:
    kind: Kind
    context: dict = field(default_factory=dict)
    warnings: list[tuple[int, dict]] = field(default_factory=list)  # (line, warning)
    run_id: int | None = None


def _to_db(value: list) -> str:
    return json.dumps(value) if value else "[]"


# --- kind-specific steps ---------------------------------------------------------------


def after_properties(db: Database, run: Run, rows: list[dict], _replaced: list[dict]) -> None:
    """Homes that are new or moved get their patch membership recomputed."""
    index = run.context.get("index")
    if index is None:
        index = run.context["index"] = patch_index(db)
    assign_properties(db, index, [(r["uprn"], r["latitude"], r["longitude"]) for r in rows])


def _under_tenancy() -> list[tuple[str, str]]:
    """(kind, query of (id, tenancy)) for each kind that moves home with its tenancy (its
    people, account, arrangements and promises; its visits stay where they happened)."""
    return [
        (kind.name, f"SELECT {kind.key}, {kind.tenancy_column} FROM {kind.table}")
        for kind in kinds.following_tenancy(MOVES)
    ]


def after_tenancies(db: Database, run: Run, rows: list[dict], _replaced: list[dict]) -> None:
    """A tenancy moved to another home (the housing system corrected its UPRN) takes its
    tenants, account, arrangements and promises with it, on phones too."""
    home = {r["tenancy_ref"]: r["uprn"] for r in rows}
    held = []  # (type, id, tenancy)
    for chunk in chunks(sorted(home)):
        marks = ",".join("?" * len(chunk))
        for entity_type, sql in _under_tenancy():
            held += [
                (entity_type, str(i), ref)
                for i, ref in db.execute(f"{sql} WHERE tenancy_ref IN ({marks})", chunk)
            ]
    indexed = changes.homes_of(db, [(t, i) for t, i, _ in held])
    changes.touch_many(
        db,
        [
            (t, i, home[ref])
            for t, i, ref in held
            if (t, i) in indexed and indexed[t, i] != home[ref]
        ],
    )


def derive_account(row: dict, tenancies: Tenancies) -> None:
    tenure = tenancies.get(row["tenancy_ref"], (None, 0, None))[2]
    moratoria.end_by_law(row)
    row["notice_type"] = notices.import_type(row["notice_type"], tenure)
    row["legal_stage"] = codes.legal_stage(row)
    if row["arrears_weeks"] is None:
        weekly = tenancies.get(row["tenancy_ref"], (None, 0))[1]
        row["arrears_weeks"] = (
            round(row["balance"] / weekly, 2) if row["balance"] > 0 and weekly > 0 else 0.0
        )


def after_accounts(db: Database, run: Run, rows: list[dict], _replaced: list[dict]) -> None:
    """Point each tenancy at its newest snapshot, keep the Breathing Spaces it shows, bring
    its arrangement up to date, check the phones' arrangements and promises against it,
    and send its steps taken inside a moratorium to review. Phones hold a statement for
    each tenancy in arrears: one that fell into arrears gets it, one that left loses it."""
    refs = sorted({r["tenancy_ref"] for r in rows})
    moratoria.note_spaces(db, rows)
    for chunk in chunks(refs, CHUNK):
        marks = ",".join("?" * len(chunk))
        db.execute(
            f"""UPDATE tenancies SET current_snapshot_id =
                  (SELECT id FROM account_snapshots s WHERE s.tenancy_ref = tenancies.tenancy_ref
                   ORDER BY as_of DESC LIMIT 1)
                WHERE tenancy_ref IN ({marks})""",
            chunk,
        )
        _sync_arrangements(db, chunk)
        # Only tenancies with something to check: a live arrangement made on a phone, or a
        # promise of payment still pending.
        watched = {
            r[0]
            for r in db.execute(
                f"""SELECT tenancy_ref FROM arrangements WHERE tenancy_ref IN ({marks})
                      AND source = 'device' AND status = 'live'
                      AND starting_balance IS NOT NULL
                    UNION SELECT tenancy_ref FROM promises WHERE tenancy_ref IN ({marks})
                      AND status = 'pending'""",
                [*chunk, *chunk],
            )
        }
        for ref in chunk:
            if ref in watched:
                arrangements.check_tenancy(db, ref)
        phone_statements.refresh(db, chunk)
    moratoria.flag_steps(db, run, rows)


ARRANGEMENT_FIELDS = ("amount", "frequency", "start_date", "status")


def _sync_arrangements(db: Database, refs: list[str]) -> None:
    """The housing system's arrangement (id = the tenancy ref) follows the current
    snapshot, except for a status a phone changed that the housing system has not yet
    confirmed (sync.protocol.versions)."""
    marks = ",".join("?" * len(refs))
    current = {
        r[0]: r[1:]
        for r in db.execute(
            f"""SELECT t.tenancy_ref, s.arrangement_amount, s.arrangement_frequency,
                       s.arrangement_start, s.arrangement_status, t.uprn
                FROM tenancies t JOIN account_snapshots s ON s.id = t.current_snapshot_id
                WHERE t.tenancy_ref IN ({marks})""",
            refs,
        )
    }
    stored = {
        r["id"]: r for r in db.query(f"SELECT * FROM arrangements WHERE id IN ({marks})", refs)
    }
    for ref in refs:
        if ref in current:
            _sync_arrangement(db, ref, current[ref], stored.get(ref))


def _sync_arrangement(db: Database, ref: str, snap: tuple, stored: dict | None) -> None:
    incoming = dict(zip(ARRANGEMENT_FIELDS, snap[:4], strict=True))
    uprn = snap[4]
    now = utc_now()
    if stored is None:
        if all(v is None for v in incoming.values()):
            return
        db.execute(
            "INSERT INTO arrangements (id, tenancy_ref, source, amount, frequency, "
            "start_date, status, updated_at) VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
            [ref, ref, *incoming.values(), now],
        )
        changes.touch(db, "arrangement", ref, uprn)
        return
    before = {f: stored[f] for f in ARRANGEMENT_FIELDS}
    versions.protect_pending_edits(db, "arrangement", ref, uprn, incoming, before, ("status",))
    if incoming == before:
        return
    version = db.execute(
        "UPDATE arrangements SET amount = ?, frequency = ?, start_date = ?, status = ?, "
        "version = version + 1, updated_at = ? WHERE id = ? RETURNING version",
        [*incoming.values(), now, ref],
    ).fetchall()[0][0]
    versions.record_changes(
        db,
        "arrangement",
        ref,
        [f for f in ARRANGEMENT_FIELDS if before[f] != incoming[f]],
        version=version,
        source="import",
    )
    changes.touch(db, "arrangement", ref, uprn)


# --- applying --------------------------------------------------------------------------


def store_batch(
    db: Database, run: Run, rows: list[tuple[int, dict]], counts: dict, errors: list
) -> None:
    """Store a batch of checked rows (line, row). A row naming something the database does
    not hold is refused, by line, in ``errors``; the others are stored and counted."""
    bad = _missing_references(db, run.kind, rows)
    errors.extend(sorted(bad.items()))
    _apply_chunk(db, run, [(line, row) for line, row in rows if line not in bad], counts, errors)


def _missing_references(db: Database, kind: Kind, rows: list[tuple[int, dict]]) -> dict:
    """Errors for rows that point at something the database does not hold (named on the
    reference's first field, once: the first reference it fails)."""
    errors: dict[int, dict] = {}
    for fields, table, columns in kind.references:
        fields = (fields,) if isinstance(fields, str) else fields
        columns = (columns,) if isinstance(columns, str) else columns
        values = {line: tuple(row.get(f) for f in fields) for line, row in rows}
        present: set = set()
        firsts = sorted({v[0] for v in values.values() if None not in v})
        for start in range(0, len(firsts), CHUNK):
            chunk = firsts[start : start + CHUNK]
            present.update(
                tuple(found)
                for found in db.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE {columns[0]} IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        for line, got in values.items():
            if None in got or got in present or fields[0] in errors.get(line, {}):
                continue
            said = ", ".join(f"{c} {v!r}" for c, v in zip(columns, got, strict=True))
            errors.setdefault(line, {})[fields[0]] = [
                f"No {SINGULAR.get(table, table)} with {said}; import {table} first."
                if len(fields) == 1
                else f"No {SINGULAR.get(table, table)} with {said}: they do not go together."
            ]
    return errors


SINGULAR = {"properties": "property", "tenancies": "tenancy", "tenants": "tenant"}


def _existing(db: Database, kind: Kind, rows: list[dict]) -> dict[tuple, tuple]:
    """The stored rows (their ``columns``) of these rows' keys, by key."""
    cols = ", ".join(kind.columns)
    match = "(" + " AND ".join(f"{k} = ?" for k in kind.key) + ")"
    at = [kind.columns.index(k) for k in kind.key]
    found = {}
    for chunk in chunks(rows, CHUNK):
        params = [r[k] for r in chunk for k in kind.key]
        clause = " OR ".join([match] * len(chunk))
        for row in db.execute(f"SELECT {cols} FROM {kind.table} WHERE {clause}", params):
            found[tuple(row[i] for i in at)] = row
    return found


def _tenancies(db: Database, rows: list[tuple[int, dict]]) -> Tenancies:
    refs = sorted({r["tenancy_ref"] for _, r in rows})
    found: Tenancies = {}
    for chunk in chunks(refs, CHUNK):
        found.update(
            (ref, (uprn, rent, tenure, start))
            for ref, uprn, rent, tenure, start in db.execute(
                "SELECT tenancy_ref, uprn, weekly_rent, tenure, start_date FROM tenancies "
                f"WHERE tenancy_ref IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
    return found


def _with_pending_edits(db: Database, entity_type: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a phone's edit the housing system has not confirmed."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(ids)), CHUNK):
        found.update(
            r[0]
            for r in db.execute(
                "SELECT DISTINCT entity_id FROM field_versions WHERE entity_type = ? "
                f"AND pending_hms = 1 AND entity_id IN ({','.join('?' * len(chunk))})",
                [entity_type, *chunk],
            )
        )
    return found


def _protect(db: Database, kind: Kind, entity: tuple, values: tuple, before: tuple) -> tuple:
    """``versions.protect_pending_edits`` on stored rows: the values to store."""
    incoming = dict(zip(kind.columns, values, strict=True))
    stored = dict(zip(kind.columns, before, strict=True))
    versions.protect_pending_edits(db, *entity, incoming, stored, kind.versioned)
    return kind.values(incoming)


def _bump_version(
    db: Database, kind: Kind, key: tuple, before: tuple, values: tuple, tenancies: Tenancies
) -> None:
    """A changed versioned record goes up a version; its changed fields say so."""
    where = " AND ".join(f"{k} = ?" for k in kind.key)
    version = db.execute(
        f"UPDATE {kind.table} SET version = version + 1 WHERE {where} RETURNING version", key
    ).fetchall()[0][0]
    before = dict(zip(kind.columns, before, strict=True))
    values = dict(zip(kind.columns, values, strict=True))
    entity_type, entity_id, _ = kind.sync_entity(values, tenancies)
    fields = [c for c in kind.versioned if before[c] != values[c]]
    versions.record_changes(db, entity_type, entity_id, fields, version=version, source="import")


def _apply_chunk(
    db: Database, run: Run, rows: list[tuple[int, dict]], counts: dict, errors: list
) -> None:
    """Store a chunk of good rows. All at once (a statement per kind of write); when that
    fails, because a row breaks a constraint the checks did not foresee, the chunk is
    undone and stored row by row, each in its own savepoint, and the bad rows reported."""
    kind = run.kind
    changed: list[dict] = []
    with write_transaction(db):
        tenancies = _tenancies(db, rows) if kind.reads_tenancies else {}
        if kind.derive:
            for _, row in rows:
                kind.derive(row, tenancies)
        if kind.warn:
            read = kind.warn_reads(db, [r for _, r in rows]) if kind.warn_reads else None
            for line, row in rows:
                run.warnings += [(line, w) for w in kind.warn(row, tenancies, read)]
        stored = _existing(db, kind, [r for _, r in rows])
        tally = dict.fromkeys(("inserted", "updated", "unchanged"), 0)
        try:
            with db.atomic():
                changed = _store_chunk(db, kind, rows, stored, tenancies, tally)
        except Exception:  # some row could not be stored: find which
            tally = dict.fromkeys(tally, 0)
            changed = _store_rows(db, kind, rows, stored, tenancies, tally, errors)
        for name, count in tally.items():
            counts[name] += count
        if kind.after and changed:
            keys = (tuple(r[k] for k in kind.key) for r in changed) if stored else ()
            replaced = [
                dict(zip(kind.columns, stored[k], strict=True)) for k in keys if k in stored
            ]
            kind.after(db, run, changed, replaced)


def _store_chunk(
    db: Database,
    kind: Kind,
    rows: list[tuple[int, dict]],
    stored: dict,
    tenancies: Tenancies,
    tally: dict,
) -> list[dict]:
    now = utc_now()
    stamps = (now, now)[: kind.stamps]
    entities = [kind.sync_entity(r, tenancies) for _, r in rows] if kind.sync_entity else []
    pending: set[str] = set()
    if kind.versioned and stored:
        pending = _with_pending_edits(db, entities[0][0], [e[1] for e in entities])
    inserts, updates, bumps, changed = [], [], [], []
    touched: dict[tuple[str, str], int] = {}  # sync entity -> uprn
    for i, (_, row) in enumerate(rows):
        values = kind.stored(row)
        key = tuple(row[k] for k in kind.key)
        before = stored.get(key)
        if before is not None:
            if pending and entities[i][1] in pending:
                values = _protect(db, kind, entities[i], values, before)
            if before == values:
                tally["unchanged"] += 1
                continue
            updates.append((*(values[j] for j in kind.sets), *stamps, *key))
            if kind.versioned:
                bumps.append((key, before, values))
            tally["updated"] += 1
        else:
            inserts.append((*values, *stamps))
            tally["inserted"] += 1
        if entities:
            entity_type, entity_id, uprn = entities[i]
            touched[(entity_type, entity_id)] = uprn  # once, however many rows it had
        changed.append(row)
    db.conn.executemany(kind.insert_sql, inserts)
    db.conn.executemany(kind.update_sql, updates)
    for key, before, values in bumps:
        _bump_version(db, kind, key, before, values, tenancies)
    changes.touch_many(db, [(t, i, uprn) for (t, i), uprn in touched.items()])
    return changed


def _store_rows(
    db: Database,
    kind: Kind,
    rows: list[tuple[int, dict]],
    stored: dict,
    tenancies: Tenancies,
    tally: dict,
    errors: list,
) -> list[dict]:
    now = utc_now()
    stamps = (now, now)[: kind.stamps]
    changed = []
    for line, row in rows:
        values = kind.stored(row)
        key = tuple(row[k] for k in kind.key)
        before = stored.get(key)
        try:
            with db.atomic():
                if before is not None and kind.versioned:
                    values = _protect(db, kind, kind.sync_entity(row, tenancies), values, before)
                if before is not None and before == values:
                    tally["unchanged"] += 1
                    continue
                if before is None:
                    db.execute(kind.insert_sql, [*values, *stamps])
                    tally["inserted"] += 1
                else:
                    sets = [values[i] for i in kind.sets]
                    db.execute(kind.update_sql, [*sets, *stamps, *key])
                    tally["updated"] += 1
                    if kind.versioned:
                        _bump_version(db, kind, key, before, values, tenancies)
                if kind.sync_entity:
                    changes.touch(db, *kind.sync_entity(row, tenancies))
        except Exception as exc:  # a constraint the validation did not foresee
            errors.append((line, {"_row": [f"Could not be stored: {exc}."]}))
            continue
        changed.append(row)
    return changed
