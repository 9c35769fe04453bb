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
        db.release = weakref.finalize(db, os.close, _holding(path))
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


def _holding(path: str | Path) -> int:
    """A file beside the database (``<database>.open``), open and share-locked (``flock``)
    for as long as the connection lives (closed, or collected): ``in_use`` sees it, so a
    restore refuses to swap the database from under a server (its workers would go on
    writing to the file replaced, and acknowledged work be lost). Never the database file
    itself: closing any descriptor of it would drop the POSIX locks SQLite holds on it in
    this process (SQLite's "how to corrupt" list)."""
    held = os.open(f"{path}.open", os.O_RDONLY | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_SH)
    return held


def in_use(path: str | Path) -> bool:
    """Whether any process (this one included) has the database open through ``connect``."""
    try:
        probe = os.open(f"{path}.open", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)  # and with it any lock it took
    return False


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
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
