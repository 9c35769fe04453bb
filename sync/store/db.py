"""Opening the database: WAL, durable commits, foreign keys, a busy timeout, and the
migrations."""

import contextlib
import fcntl
import os
import sqlite3
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from sync.store.migrations import migrations

BUSY_TIMEOUT_MS = 5000
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def connect(path: str | Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """Open ``path`` with Doorstep's pragmas. Does not migrate. While another connection
    writes, a write waits up to ``busy_timeout_ms`` (SQLite retries with backoff)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False)
    db = _Held(conn, execute_plugins=False)
    if str(path) != ":memory:":
        held = _lock_file(path, ".open")
        fcntl.flock(held, fcntl.LOCK_SH)  # waits while a restore has the database alone
        db.release = weakref.finalize(db, os.close, held)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        # A phone discards a mutation once it is acknowledged, so a commit must survive a
        # power loss: FULL syncs the WAL at every commit (NORMAL, the default of some SQLite
        # builds in WAL mode, may lose the last commits). Said here, never left to the build.
        db.execute("PRAGMA synchronous = FULL")
        # Checkpoints are SQLite's own (at 1,000 pages of WAL, by the committing connection);
        # this keeps the WAL file from staying at its largest size after one.
        db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    return db


class _Held(Database):
    """sqlite-utils' Database, holding the file share-locked while it is open."""

    release = None

    def close(self) -> None:
        super().close()
        if self.release is not None:
            self.release()


def _lock_file(path: str | Path, suffix: str) -> int:
    """A descriptor of an empty file beside the database, made readable by all (a lock
    file root made must not shut the service's own user out). ``.open``: every connection
    holds it shared for its life (closed, or collected), so that a restore can have the
    database alone; ``.lock``: migrations take turns on it. Never the database file
    itself: closing any descriptor of it would drop the POSIX locks SQLite holds on it in
    this process (SQLite's "how to corrupt" list)."""
    fd = os.open(f"{path}{suffix}", os.O_RDONLY | os.O_CREAT, 0o644)
    # Whatever the umask: readable is all a flock needs. Another user's file is left be:
    # readable already, or the open above would have failed.
    with contextlib.suppress(PermissionError):
        os.fchmod(fd, 0o644)
    return fd


class InUse(ValueError):
    """The database is open in another process."""


@contextlib.contextmanager
def alone(path: str | Path) -> Iterator[None]:
    """The database to this process alone, while the block runs (a restore swaps the file):
    ``InUse`` when any process has it open through ``connect``, and a ``connect`` meanwhile
    waits until the block ends. Not to be held while this process connects to it."""
    fd = _lock_file(path, ".open")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(
                f"{path} is open in another process: stop Doorstep (gunicorn, doorstep "
                "deliver, an import) first. A server left running would go on writing to "
                "the file replaced, and work it acknowledged would be lost."
            ) from None
        yield
    finally:
        os.close(fd)  # and with it the lock


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied. Processes that open the
    database at once (gunicorn's workers, starting after an upgrade) take turns: one
    migrates while the others wait, then find nothing pending (two at once would both
    apply a migration, and the second fail recording it: a worker that fails to boot
    stops gunicorn)."""
    if not migrations.pending(db):
        return []
    with _migrating(db):
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


@contextlib.contextmanager
def _migrating(db: Database) -> Iterator[None]:
    """An exclusive lock for migrating, held by one process at a time: ``flock`` on a file
    beside the database (``<database>.lock``); none for a database in memory."""
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    if not path:
        yield
        return
    lock = _lock_file(path, ".lock")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # and with it the lock


def open_database(path: str | Path) -> Database:
    """Open and migrate: what the app and every ``doorstep`` command use."""
    db = connect(path)
    migrate(db)
    return db


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    Use it for work that reads and then writes: a deferred transaction that has read
    cannot always be upgraded to a writer in WAL mode (SQLITE_BUSY at once, no waiting),
    while BEGIN IMMEDIATE waits for the lock up to the busy timeout. Nested: a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
