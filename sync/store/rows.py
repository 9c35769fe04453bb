"""Reading rows by many ids at once, within SQLite's limit on bound parameters."""

from sqlite_utils import Database


def chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load(db: Database, sql: str, ids: list, key: str) -> dict[str, dict]:
    """Rows of ``sql`` (with ``{marks}`` for the ids) by ``key``, as text."""
    found = {}
    for chunk in chunks(ids):
        for row in db.query(sql.format(marks=",".join("?" * len(chunk))), chunk):
            found[str(row[key])] = row
    return found
