"""sync/store/schema.sql is the schema a migrated database has, so a reader can trust it."""

import difflib

from sync.store import schema
from sync.store.db import connect, open_database

REGENERATE = "Regenerate it after adding a migration: python -m sync.store.schema"


def assert_same_schema(actual: str, expected: str, what: str) -> None:
    """Equal, or a failure that shows the unified diff and how to regenerate the file."""
    if actual == expected:
        return
    diff = difflib.unified_diff(
        expected.splitlines(),
        actual.splitlines(),
        "sync/store/schema.sql",
        what,
        lineterm="",
    )
    raise AssertionError(f"sync/store/schema.sql is out of date. {REGENERATE}\n" + "\n".join(diff))


def test_schema_sql_is_what_the_migrations_make(tmp_path):
    db = open_database(tmp_path / "fresh.db")
    try:
        migrated = schema.dump(db)
    finally:
        db.close()
    assert_same_schema(migrated, schema.SCHEMA_SQL.read_text(), "a freshly migrated database")


def test_schema_sql_runs_and_makes_the_same_schema():
    db = connect(":memory:")
    try:
        db.conn.executescript(schema.SCHEMA_SQL.read_text())
        made = schema.dump(db)
    finally:
        db.close()
    assert_same_schema(made, schema.SCHEMA_SQL.read_text(), "a database made by schema.sql")


def test_reformatting_a_statement_does_not_change_it():
    written = "CREATE TABLE t (\n  a   TEXT NOT NULL,\n  b INTEGER CHECK (b IN (1, 2))\n)"
    run_on = "CREATE TABLE t (a TEXT NOT NULL, b INTEGER CHECK (b IN (1,  2)))"
    assert schema.normalise(written) == schema.normalise(run_on)
    assert schema.normalise(written) == (
        "CREATE TABLE t (\n    a TEXT NOT NULL,\n    b INTEGER CHECK (b IN (1, 2))\n);"
    )
