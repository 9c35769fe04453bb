"""The nightly import from the housing management system.

A file is a snapshot of the rows it holds, of one kind (properties, tenancies, tenants,
accounts or markers), as CSV or JSON Lines. Every row is validated; bad rows are
reported by line number and the good ones applied, no row ever half-applied: rows are
stored a batch at a time, and a batch the database refuses a row of is undone and stored
again row by row, each in its own savepoint. A row identical to what is stored changes
nothing, so re-running a file is a no-op. Rows missing from a file are left alone
(nothing is deleted). Each run is recorded in ``import_runs`` with its counts, and its
bad rows in ``import_errors``.

A file is read by ``sync.intake.formats``, its rows checked by ``sync.intake.parse`` as
``sync.intake.kinds`` declares, and stored by ``sync.intake.store``; here a run is driven
and recorded.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator

from sqlite_utils import Database

from sync.clock import utc_now
from sync.errors import NotFound, ValidationFailed
from sync.intake.formats import FORMATS, read_records
from sync.intake.kinds import KINDS
from sync.intake.parse import checked_rows
from sync.intake.store import Run, store_batch
from sync.memory import collector_paused
from sync.records import phone_statements
from sync.store.db import write_transaction
from sync.store.pages import page

# Rows stored in one transaction: a commit costs milliseconds (the WAL is written), so
# fewer; a phone's push waits for the write lock at most about this long (~0.2 s).
BATCH = 5000
MAX_REPORTED_ERRORS = 1000


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
    run_id = _start_run(db, kind.name, fmt=fmt, source=source, sha256=sha256, by=started_by)
    run = Run(kind, run_id=run_id)
    counts = {"rows_read": 0, "inserted": 0, "updated": 0, "unchanged": 0}
    errors: list[tuple[int, dict]] = []
    with collector_paused():
        for batch in _batches(checked_rows(kind.row, kind.key, records, counts, errors)):
            # The batch and the run's counts so far, committed together: a run cut short
            # (a request's timeout, a killed process) says what it stored.
            with write_transaction(db):
                store_batch(db, run, batch, counts, errors)
                _progress(db, run_id, counts, errors)
    # The first run of a new week moves on the statements phones hold.
    phone_statements.roll(db)
    errors.sort(key=lambda e: e[0])
    refused = {line for line, _ in errors}
    warnings = sorted(
        ((line, w) for line, w in run.warnings if line not in refused), key=lambda w: w[0]
    )
    _finish_run(db, run_id, counts, errors, warnings)
    return get_run(db, run_id)


def _batches(rows: Iterable[tuple[int, dict]]) -> Iterator[list[tuple[int, dict]]]:
    """``rows`` BATCH at a time, each batch stored before more rows are read; the last
    batch is what is left, perhaps nothing."""
    batch: list[tuple[int, dict]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    yield batch


def _start_run(
    db: Database, kind: str, *, fmt: str, source: str, sha256: str, by: int | None
) -> int:
    """Record that a run has started: its id."""
    with db.atomic():
        return db.execute(
            """INSERT INTO import_runs (kind, format, source, sha256, started_at, started_by)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [kind, fmt, source, sha256, utc_now(), by],
        ).lastrowid


def _progress(db: Database, run_id: int, counts: dict, errors: list) -> None:
    """The run's counts so far (and at its end)."""
    db.execute(
        "UPDATE import_runs SET rows_read = ?, inserted = ?, updated = ?, unchanged = ?, "
        "rejected = ? WHERE id = ?",
        [
            *(counts[k] for k in ("rows_read", "inserted", "updated", "unchanged")),
            len(errors),
            run_id,
        ],
    )


def _finish_run(
    db: Database,
    run_id: int,
    counts: dict,
    errors: list[tuple[int, dict]],
    warnings: list[tuple[int, dict]],
) -> None:
    """Record the run's counts, its bad rows by line, and its stored rows' warnings."""
    with db.atomic():
        _progress(db, run_id, counts, errors)
        db.execute(
            "UPDATE import_runs SET finished_at = ?, warnings = ? WHERE id = ?",
            [utc_now(), len(warnings), run_id],
        )
        db.conn.executemany(
            "INSERT INTO import_warnings (run_id, line, rule, field, message) "
            "VALUES (?, ?, ?, ?, ?)",
            [(run_id, line, w["rule"], w["field"], w["text"]) for line, w in warnings],
        )
        db.conn.executemany(
            "INSERT INTO import_errors (run_id, line, errors) VALUES (?, ?, ?)",
            [(run_id, line, json.dumps(errs)) for line, errs in errors],
        )


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
        read_records(data, fmt, KINDS[kind]),
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
    run["warning_lines"] = list(
        db.query(
            "SELECT line, rule, field, message FROM import_warnings WHERE run_id = ? "
            "ORDER BY line, id LIMIT ?",
            [run_id, max_errors],
        )
    )
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
