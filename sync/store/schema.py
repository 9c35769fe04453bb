"""The current schema in one file, ``schema.sql``, beside the migrations that make it.

The migrations are append-only, so they tell how the schema came to be; a reader who
wants to know what a table looks like today would have to replay every one of them in
their head. ``schema.sql`` is that replay, written from a freshly migrated database:
tables, indexes and triggers from ``sqlite_master``, each table followed by its indexes
and triggers, whitespace normalised. A test migrates a fresh database and checks it
still equals the file, so the file cannot drift; after adding a migration, regenerate
it with ``python -m sync.store.schema``. Nothing reads it at run time.
"""

import re
import sys
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from sync.store.db import connect, migrate

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
HEADER = (
    "-- The schema a migrated database has: written by `python -m sync.store.schema` from\n"
    "-- sync/store/migrations.py. Do not edit: add a migration, then regenerate.\n"
)
# Tables first, then what hangs off them, in the order SQLite needs them created.
KIND_ORDER = {"table": 0, "view": 1, "index": 2, "trigger": 3}


def normalise(sql: str) -> str:
    """One statement with its layout made canonical, so that reformatting a migration
    does not change the file but any real change does: runs of whitespace become one
    space, and a table has one column or constraint a line (``ALTER TABLE ... ADD
    COLUMN`` leaves its columns run on at the end of SQLite's copy of the statement)."""
    sql = sql.strip()
    if sql.upper().startswith("CREATE TABLE"):
        start, end = sql.index("("), sql.rindex(")")
        items = [squeeze(item) for item in top_level_items(sql[start + 1 : end])]
        tail = squeeze(sql[end + 1 :])
        body = ",\n".join(f"    {item}" for item in items)
        return f"{squeeze(sql[:start])} (\n{body}\n){' ' + tail if tail else ''};"
    first, *rest = [squeeze(line) for line in sql.splitlines()]
    return "\n".join([first, *(f"    {line}" for line in rest if line)]) + ";"


def squeeze(text: str) -> str:
    """``text`` with each run of whitespace one space, and none at either end."""
    return re.sub(r"\s+", " ", text).strip()


def top_level_items(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`[":
            quote = "]" if char == "[" else char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    return [*items, text[start:]]


def dump(db: Database) -> str:
    """The schema of ``db`` as schema.sql holds it. SQLite's own tables and the
    migrations' bookkeeping table are left out: they are not Doorstep's design."""
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND tbl_name != ?",
        [Migrations.migrations_table],
    ).fetchall()
    rows.sort(key=lambda row: (row[2], KIND_ORDER[row[0]], row[1]))
    return HEADER + "".join(f"\n{normalise(sql)}\n" for _, _, _, sql in rows)


def current() -> str:
    """The schema of a fresh database with every migration applied."""
    db = connect(":memory:")
    try:
        migrate(db)
        return dump(db)
    finally:
        db.close()


def main() -> None:
    SCHEMA_SQL.write_text(current())
    print(f"wrote {SCHEMA_SQL}", file=sys.stderr)


if __name__ == "__main__":
    main()
