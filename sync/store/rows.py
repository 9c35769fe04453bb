"""Reading rows by many ids at once, within SQLite's limit on bound parameters."""

import orjson
from sqlite_utils import Database

# The ids bound as one JSON array: ``x IN (SELECT value FROM json_each(?))`` probes x's
# index once an id, like ``IN (?, ?, ...)``, with one parameter however many ids.
EACH = "SELECT value FROM json_each(?)"


def chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def each(values) -> str:
    """``values`` as the one parameter of ``EACH``."""
    return orjson.dumps(list(values)).decode()


def load(db: Database, sql: str, ids: list, key: str) -> dict[str, dict]:
    """Rows of ``sql`` (with ``{marks}`` for the ids) by ``key``, as text: one query,
    however many ids (a pull's page reads each kind at once)."""
    cursor = db.execute(sql.format(marks=EACH), [each(ids)])
    names = [d[0] for d in cursor.description]
    at = names.index(key)
    return {str(row[at]): dict(zip(names, row, strict=True)) for row in cursor}
