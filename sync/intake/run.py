"""The nightly import from the housing management system.

A file is a snapshot of the rows it holds, of one kind (properties, tenancies, tenants,
accounts or markers), as CSV or JSON Lines. Every row is validated; bad rows are
reported by line number and the good ones applied, no row ever half-applied: rows are
stored a batch at a time, and a batch the database refuses a row of is undone and stored
again row by row, each in its own savepoint. A row identical to what is stored changes
nothing, so re-running a file is a no-op. Rows missing from a file are left alone
(nothing is deleted). Each run is recorded in ``import_runs`` with its counts, and its
bad rows in ``import_errors``.
"""

import contextlib
import gc
import hashlib
import json
from collections.abc import Iterable

from sqlite_utils import Database

from sync.checks import Invalid
from sync.clock import utc_now
from sync.errors import NotFound, ValidationFailed
from sync.intake.formats import FORMATS, parse_rows
from sync.intake.kinds import KINDS
from sync.intake.store import Run, _apply_chunk, _missing_references
from sync.store.pages import page

# Rows stored in one transaction: a commit costs milliseconds (the WAL is written), so
# fewer; a phone's push waits for the write lock at most about this long (~0.2 s).
BATCH = 5000
MAX_REPORTED_ERRORS = 1000


@contextlib.contextmanager
def _collector_paused():
    """An import makes millions of short-lived dicts, and Python's cycle collector would
    sweep every object there is again and again (~15% of the import). Collected after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def import_rows(
    db: Database,
    kind_name: str,
    records: Iterable[tuple[int, dict | None, str]],
    *,
    source: str,
    fmt: str,
    sha256: str,
    started_by: int | None = None,
) -> dict:
    """Validate and apply records; record the run. Returns the run with its errors."""
    kind = KINDS[kind_name]
    with db.atomic():
        run_id = db.execute(
            """INSERT INTO import_runs (kind, format, source, sha256, started_at, started_by)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [kind.name, fmt, source, sha256, utc_now(), started_by],
        ).lastrowid
    run = Run(kind)
    counts = {"rows_read": 0, "inserted": 0, "updated": 0, "unchanged": 0}
    errors: list[tuple[int, dict]] = []
    seen: dict[tuple, int] = {}
    pending: list[tuple[int, dict]] = []

    def flush() -> None:
        bad = _missing_references(db, kind, pending)
        errors.extend(sorted(bad.items()))
        good = [(line, row) for line, row in pending if line not in bad]
        _apply_chunk(db, run, good, counts, errors)
        pending.clear()

    with _collector_paused():
        for line, raw, problem in records:
            counts["rows_read"] += 1
            if raw is None:
                errors.append((line, {"_row": [problem]}))
                continue
            try:
                row = kind.row.load(raw)
            except Invalid as exc:
                errors.append((line, exc.errors))
                continue
            key = tuple(row[k] for k in kind.key)
            if key in seen:
                errors.append((line, {kind.key[0]: [f"Duplicate of line {seen[key]}."]}))
                continue
            seen[key] = line
            pending.append((line, row))
            if len(pending) >= BATCH:
                flush()
        flush()
    errors.sort(key=lambda e: e[0])
    with db.atomic():
        db.execute(
            """UPDATE import_runs SET finished_at = ?, rows_read = ?, inserted = ?,
               updated = ?, unchanged = ?, rejected = ? WHERE id = ?""",
            [
                utc_now(),
                counts["rows_read"],
                counts["inserted"],
                counts["updated"],
                counts["unchanged"],
                len(errors),
                run_id,
            ],
        )
        db.conn.executemany(
            "INSERT INTO import_errors (run_id, line, errors) VALUES (?, ?, ?)",
            [(run_id, line, json.dumps(errs)) for line, errs in errors],
        )
    return get_run(db, run_id)


def import_file(
    db: Database, data: bytes, *, kind: str, fmt: str, source: str, started_by: int | None = None
) -> dict:
    """Import one file's bytes. Whole-file problems (unknown kind or format, no header,
    unknown columns, not UTF-8) raise ``ValidationFailed`` before anything is written."""
    if kind not in KINDS:
        raise ValidationFailed(
            f"Unknown import kind {kind!r}.", errors={"kind": [f"One of: {', '.join(KINDS)}."]}
        )
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"Unknown import format {fmt!r}.",
            errors={"format": [f"One of: {', '.join(FORMATS)}."]},
        )
    return import_rows(
        db,
        kind,
        parse_rows(data, fmt, KINDS[kind]),
        source=source,
        fmt=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        started_by=started_by,
    )


def get_run(db: Database, run_id: int, *, max_errors: int = MAX_REPORTED_ERRORS) -> dict:
    rows = list(db.query("SELECT * FROM import_runs WHERE id = ?", [run_id]))
    if not rows:
        raise NotFound(f"Import run {run_id} not found.")
    run = rows[0]
    run["errors"] = [
        {"line": r["line"], "errors": json.loads(r["errors"])}
        for r in db.query(
            "SELECT line, errors FROM import_errors WHERE run_id = ? ORDER BY line LIMIT ?",
            [run_id, max_errors],
        )
    ]
    return run


def list_runs(db: Database, *, limit: int = 50, after: int | None = None) -> dict:
    where, params = "1", []
    if after is not None:
        where, params = "id < ?", [after]
    rows = list(
        db.query(
            f"SELECT * FROM import_runs WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, limit + 1],
        )
    )
    return page(rows, limit, "id")
