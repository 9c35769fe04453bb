"""What a push writes, read from the database itself: the floor it is measured against,
and the rows a grown database is built from.

``written`` runs a write (a push) in a transaction it rolls back, with a temporary trigger
on every table of the schema logging each row inserted, updated or deleted; the rows are
read back before the rollback. Nothing is hand-listed: a new table, column or index that
a push writes is in the floor as soon as the push writes it.

``WriteSet.replay`` is the principled floor: those exact rows, into the same tables with
the same indexes and foreign keys, by plain ``executemany`` in one ``BEGIN IMMEDIATE``.
``grow`` appends copies of what pushes wrote, with fresh random (UUIDv4) keys, as the
mutations of a landlord's past would have arrived.
"""

import json
import re
import uuid
from dataclasses import dataclass, field

from sqlite_utils import Database

_LOG = "bench_written"
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class Table:
    name: str
    columns: list[str]
    key: list[str]  # ["rowid"], or a WITHOUT ROWID table's primary key
    alias: str | None  # the INTEGER PRIMARY KEY column (the rowid's alias), if any
    pk: list[str]  # the declared primary key


def tables(db: Database) -> list[Table]:
    out = []
    for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        rowid = "WITHOUT ROWID" not in sql.upper()
        alias = (
            pk[0]
            if rowid
            and len(pk) == 1
            and info[[r[1] for r in info].index(pk[0])][2].upper() == "INTEGER"
            else None
        )
        out.append(Table(name, [r[1] for r in info], ["rowid"] if rowid else pk, alias, pk))
    return out


@dataclass
class WriteSet:
    """Statements and their rows, in the order the write first touched each table."""

    statements: list[tuple[str, list[tuple]]] = field(default_factory=list)
    inserts: list[tuple[Table, list[tuple]]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(rows) for _, rows in self.statements)

    def replay(self, db: Database) -> None:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in self.statements:
                db.conn.executemany(sql, rows)
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")


def _triggers(db: Database, schema: list[Table]) -> None:
    db.execute(f"CREATE TEMP TABLE {_LOG} (n INTEGER PRIMARY KEY, tbl, op, old, new)")
    for t in schema:

        def key(row, t=t):
            return (
                "json_array("
                + ", ".join(f'{row}."{k}"' if k != "rowid" else f"{row}.rowid" for k in t.key)
                + ")"
            )

        for op, old, new in (
            ("INSERT", "NULL", key("NEW")),
            ("UPDATE", key("OLD"), key("NEW")),  # an update may change the key (a rowid)
            ("DELETE", key("OLD"), "NULL"),
        ):
            db.execute(
                f'CREATE TEMP TRIGGER "{_LOG}_{t.name}_{op}" AFTER {op} ON main."{t.name}" '
                f"BEGIN INSERT INTO {_LOG} (tbl, op, old, new) "
                f"VALUES ('{t.name}', '{op}', {old}, {new}); END"
            )


def _where(t: Table) -> str:
    return " AND ".join(f'"{k}" = ?' if k != "rowid" else "rowid = ?" for k in t.key)


def _read(db: Database, t: Table, keys: list[str]) -> dict[str, tuple]:
    cols = ", ".join(f'"{c}"' for c in t.columns)
    sql = f'SELECT {cols} FROM "{t.name}" WHERE {_where(t)}'
    found = {}
    for key in keys:
        row = db.execute(sql, _key(key)).fetchone()
        if row is not None:
            found[key] = tuple(row)
    return found


def _key(key: str) -> list:
    return json.loads(key)


def written(db: Database, write) -> WriteSet:
    """What ``write()`` writes, as plain statements; ``write`` is rolled back."""
    schema = {t.name: t for t in tables(db)}
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        _triggers(db, list(schema.values()))
        write()
        log = db.execute(f"SELECT tbl, op, old, new FROM {_LOG} ORDER BY n").fetchall()
        order: list[tuple[str, str]] = []
        # Per table: a row's key now -> (its net op, its key before the write).
        rows: dict[str, dict[str, tuple[str, str | None]]] = {}
        gone: dict[str, dict[str, None]] = {}  # per table: keys deleted, as they were
        for name, op, old, new in log:
            now, deleted = rows.setdefault(name, {}), gone.setdefault(name, {})
            if op == "INSERT":
                # Deleted, then inserted again under its key: an update.
                entry = ("UPDATE", new) if new in deleted else ("INSERT", None)
                deleted.pop(new, None)
                now[new] = entry
            elif op == "UPDATE":
                entry = now[new] = now.pop(old, ("UPDATE", old))
            else:
                entry = now.pop(old, ("DELETE", old))
                if entry[0] != "INSERT":
                    deleted[entry[1]] = None
                entry = ("DELETE", None)
            if (name, entry[0]) not in order:
                order.append((name, entry[0]))
        after = {name: _read(db, schema[name], list(keys)) for name, keys in rows.items()}
    finally:
        db.conn.execute("ROLLBACK")
    result = WriteSet()
    for name, op in order:
        t = schema[name]
        if op == "INSERT":
            cols = ", ".join(f'"{c}"' for c in t.columns)
            new = [after[name][k] for k, (o, _) in rows[name].items() if o == op]
            sql = f'INSERT INTO "{name}" ({cols}) VALUES ({", ".join("?" * len(t.columns))})'
            result.statements.append((sql, new))
            result.inserts.append((t, new))
        elif op == "DELETE":
            result.statements.append(
                (f'DELETE FROM "{name}" WHERE {_where(t)}', [tuple(_key(k)) for k in gone[name]])
            )
        else:  # only the columns the write changed, as an UPDATE names them
            was = {k: old for k, (o, old) in rows[name].items() if o == op}
            before = _read(db, t, list(was.values()))
            groups: dict[tuple, list[tuple]] = {}
            for k, old_key in was.items():
                new, old = after[name][k], before[old_key]
                changed = tuple(c for c, a, b in zip(t.columns, new, old, strict=True) if a != b)
                if changed:
                    values = [v for c, v in zip(t.columns, new, strict=True) if c in changed]
                    groups.setdefault(changed, []).append((*values, *_key(old_key)))
            for changed, changed_rows in groups.items():
                sets = ", ".join(f'"{c}" = ?' for c in changed)
                result.statements.append(
                    (f'UPDATE "{name}" SET {sets} WHERE {_where(t)}', changed_rows)
                )
    return result


def grow(db: Database, templates: list[WriteSet], mutations: int, per_template: int) -> None:
    """Append ``mutations`` logged mutations and their records: the templates' inserted
    rows again and again, in arrival order (a rowid alias is left to SQLite, so it counts
    on), every UUID in them (keys, ids inside bodies and event ids) a fresh random one per
    copy, as today's phones make them. Updates are not repeated: they grow nothing; nor
    are rows without a UUID (they are the record's state, which later copies would update). Fast
    rather than durable (it builds a benchmark's database), and not vacuumed after."""
    plans = [[_plan(t, rows) for t, rows in ws.inserts] for ws in templates]
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    copies = -(-mutations // per_template)
    try:
        for start in range(0, copies, 20):
            with db.atomic():
                for copy in range(start, min(copies, start + 20)):
                    fresh: dict[str, str] = {}

                    def renew(match, fresh=fresh):
                        return fresh.setdefault(match.group(0).lower(), str(uuid.uuid4()))

                    # A row keyed by no id to renew (a field's version, which later edits
                    # update) is inserted by its template's first copy only.
                    first = copy < len(plans)
                    for sql, rows, texts, keyed in plans[copy % len(plans)]:
                        copied = [
                            _copy(r, t, renew)
                            for r, t, k in zip(rows, texts, keyed, strict=True)
                            if k or first
                        ]
                        db.conn.executemany(sql, copied)
        db.execute("UPDATE sync_state SET seq = max(seq, (SELECT max(seq) FROM sync_index))")
    finally:
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA cache_size = -2000")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _plan(t: Table, rows: list[tuple]):
    """An INSERT leaving out the rowid alias; which columns of each row hold UUIDs; and
    whether each row's key is renewed in a copy (by SQLite, or by its UUIDs)."""
    cols = [c for c in t.columns if c != t.alias]
    keep = [i for i, c in enumerate(t.columns) if c != t.alias]
    kept = [tuple(r[i] for i in keep) for r in rows]
    texts = [[i for i, v in enumerate(r) if isinstance(v, str) and UUID.search(v)] for r in kept]
    pk = [cols.index(c) for c in t.pk if c in cols]
    keyed = [t.alias is not None or not pk or bool(set(pk) & set(ts)) for ts in texts]
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{t.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
    return sql, kept, texts, keyed


def _copy(row: tuple, texts: list[int], renew) -> tuple:
    if not texts:
        return row
    out = list(row)
    for i in texts:
        out[i] = UUID.sub(renew, out[i])
    return tuple(out)
