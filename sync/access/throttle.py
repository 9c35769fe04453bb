"""Login throttling: per user and per network address, with exponential backoff.

After ``USER_FREE`` failed logins within ``WINDOW`` for one username, each further attempt
must wait 30 s, then 1 min, 2 min ... at most 15 min after the last failure, whatever the
password. An address gets ``ADDRESS_FREE`` failures (offices share addresses) before the
same backoff. The check comes before the password is looked at, so a locked account
reveals nothing; a successful login clears the user's count. A password change counts its
current password the same way (sync.access.users.change_own_password): one counter per user,
whichever of the two a guess comes through.

Check and count are one step (``attempt``): in one write transaction the attempt is
checked and, when allowed, recorded as a failure before the password is verified, so
parallel guesses (threads, gunicorn workers) each see the others and no more than the
free attempts are ever tried. A login that then succeeds takes its record back
(``succeeded``); the slow password hash runs outside the transaction.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from sync.clock import iso
from sync.errors import TooManyRequests
from sync.store.db import write_transaction

WINDOW = timedelta(minutes=15)
USER_FREE = 5
ADDRESS_FREE = 20
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"user:{username.strip().lower()}", USER_FREE)]
    if address:
        keys.append((f"addr:{address}", ADDRESS_FREE))
    return keys


def wait_needed(db: Database, username: str, address: str | None, now: datetime) -> timedelta:
    """How long before another attempt is allowed (zero: now)."""
    longest = timedelta(0)
    since = iso(now - WINDOW)
    for key, free in _keys(username, address):
        count, last = db.execute(
            "SELECT count(*), max(failed_at) FROM login_failures WHERE key = ? AND failed_at >= ?",
            [key, since],
        ).fetchone()
        if count >= free:
            wait = min(LONGEST_WAIT, FIRST_WAIT * 2 ** (count - free))
            remaining = datetime.fromisoformat(last) + wait - now
            longest = max(longest, remaining)
    return longest


def check(db: Database, username: str, address: str | None, now: datetime | None = None):
    """``TooManyRequests`` (with the seconds to wait) while the user or address must wait."""
    wait = wait_needed(db, username, address, now or datetime.now(UTC))
    if wait > timedelta(0):
        seconds = int(wait.total_seconds()) + 1
        raise TooManyRequests(
            f"Too many wrong passwords. Try again in {seconds} seconds.",
            code="too-many-attempts",
            retry_after=seconds,
        )


def _record(db: Database, username: str, address: str | None, now: datetime) -> list[int]:
    ids = []
    for key, _ in _keys(username, address):
        cur = db.execute(
            "INSERT INTO login_failures (key, failed_at) VALUES (?, ?)", [key, iso(now)]
        )
        ids.append(cur.lastrowid)
    # Old failures no longer count; keep the table small.
    db.execute("DELETE FROM login_failures WHERE failed_at < ?", [iso(now - WINDOW * 4)])
    return ids


def attempt(
    db: Database, username: str, address: str | None, now: datetime | None = None
) -> list[int]:
    """Check and count one login attempt atomically (``BEGIN IMMEDIATE``).

    ``TooManyRequests`` while the user or address must wait; otherwise the attempt is
    recorded as a failure at once and its rows' ids returned: a wrong password leaves
    them, a right one hands them to ``succeeded``."""
    now = now or datetime.now(UTC)
    with write_transaction(db):
        check(db, username, address, now)
        return _record(db, username, address, now)


def failed(db: Database, username: str, address: str | None, now: datetime | None = None):
    """Record one failure (for an attempt not counted by ``attempt``)."""
    with write_transaction(db):
        _record(db, username, address, now or datetime.now(UTC))


def succeeded(db: Database, username: str, attempt_ids: Sequence[int] = ()) -> None:
    """A right password: clear the user's failures, and take back the attempt's own
    records (the address's count of real failures stays)."""
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE key = ?", [_keys(username, None)[0][0]])
        release(db, attempt_ids)


def release(db: Database, attempt_ids: Sequence[int]) -> None:
    """Take back an attempt's records: it was not a wrong password after all."""
    with write_transaction(db):
        for row_id in attempt_ids:
            db.execute("DELETE FROM login_failures WHERE id = ?", [row_id])
