"""The rent statement phones hold: for each tenancy in arrears, one compact record of the
last 13 weeks (sync.records.statements: the current week and the twelve before it), to
go through with the tenant at the door.

It is built when what it is made of changes, and stored (``phone_statements``), so a pull
reads it like any other record instead of building it for every phone that pulls:

- the import of transactions or accounts rebuilds the statements of the tenancies it
  touched (``refresh``): one whose content changed gets a new change number, so
  incremental pulls carry only the statements that changed; a tenancy that left arrears
  loses its statement (a ``delete``), one that fell into arrears gains one;
- each import run then moves on the statements whose window a new week has moved, and
  those that now reach a transaction dated after the day they were built (``roll``).

Its ``to`` is the day it was last built; the phone's copy is the server's, so a phone
that applies every page holds what a bootstrap would. A pull finding no stored
statement for a tenancy indexed as having one (a database from before they were stored,
until its next import) builds it then.

The record is column-wise, money in whole pence and days counted from ``from`` (a
Monday), so the phone derives the week-by-week view and the running balance exactly:
docs/sync-protocol.md has the shape.
"""

from collections import defaultdict
from datetime import date

import orjson
from sqlite_utils import Database

from sync import codes
from sync.clock import london_today
from sync.protocol.kinds import MOVES, Kind
from sync.records.statements import ORDER, pence, window_start
from sync.store import changes
from sync.store.db import write_transaction
from sync.store.rows import EACH, chunks, each

# The record's shape: 1 was a list of objects in pounds (never stored), 2 is column-wise.
FORMAT = 2


def build(db: Database, refs: list[str], today: date) -> dict[str, dict]:
    """The phone's statement on ``today`` of each of ``refs`` whose current account is in
    arrears: the balance brought forward into the window, each transaction since (to
    ``today``), the balance they close at, and the account's balance to check it by."""
    since = window_start(today)
    start, end = since.isoformat(), today.isoformat()
    out: dict[str, dict] = {}
    for chunk in chunks(sorted(set(refs))):
        marks = ",".join("?" * len(chunk))
        owing = dict(
            db.execute(
                "SELECT t.tenancy_ref, s.balance FROM tenancies t JOIN account_snapshots s "
                f"ON s.id = t.current_snapshot_id WHERE t.tenancy_ref IN ({marks}) "
                "AND s.balance > 0",
                chunk,
            ).fetchall()
        )
        if not owing:
            continue
        owes = sorted(owing)
        marks = ",".join("?" * len(owes))
        brought = dict(
            db.execute(
                "SELECT tenancy_ref, sum(CAST(round(amount * 100) AS INTEGER)) "
                f"FROM rent_transactions WHERE tenancy_ref IN ({marks}) AND posted_on < ? "
                "GROUP BY tenancy_ref",
                [*owes, start],
            ).fetchall()
        )
        recent = defaultdict(list)
        for ref, posted_on, kind, method, amount, tx_ref in db.execute(
            "SELECT tenancy_ref, posted_on, type, method, amount, transaction_ref "
            f"FROM rent_transactions WHERE tenancy_ref IN ({marks}) "
            "AND posted_on >= ? AND posted_on <= ?",
            [*owes, start, end],
        ):
            recent[ref].append((posted_on, ORDER[kind], tx_ref, kind, method, pence(amount)))
        for ref in owes:
            lines = sorted(recent[ref])
            opening = brought.get(ref) or 0
            out[ref] = {
                "tenancy_ref": ref,
                "format": FORMAT,
                "from": start,
                "to": end,
                "account_balance_pence": pence(owing[ref]),
                "opening_balance_pence": opening,
                "closing_balance_pence": opening + sum(line[5] for line in lines),
                "transactions": {
                    "day": [(date.fromisoformat(line[0]) - since).days for line in lines],
                    "type": [line[3] for line in lines],
                    "method": [line[4] for line in lines],
                    "amount_pence": [line[5] for line in lines],
                },
            }
    return out


def _same(body: dict, stored: str | None) -> bool:
    """Whether a statement built now says what the stored one says, whatever day each
    was built on (``to``): one that did not change is not sent again."""
    return stored is not None and body | {"to": None} == orjson.loads(stored) | {"to": None}


def refresh(db: Database, refs, today: date | None = None) -> None:
    """After an import of transactions or accounts: build the statements of these
    tenancies again, store those that changed and send them to phones, and take away the
    statement of a tenancy no longer in arrears. In the import's transaction."""
    today = today or london_today()
    for chunk in chunks(sorted(set(refs))):
        built = build(db, chunk, today)
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"""SELECT t.tenancy_ref, t.uprn, p.body,
                       EXISTS (SELECT 1 FROM sync_index i WHERE i.entity_type = 'statement'
                               AND i.entity_id = t.tenancy_ref AND i.deleted = 0)
                FROM tenancies t LEFT JOIN phone_statements p ON p.tenancy_ref = t.tenancy_ref
                WHERE t.tenancy_ref IN ({marks})""",
            chunk,
        ).fetchall()
        changed, gone = [], []
        for ref, uprn, stored, held in rows:
            body = built.get(ref)
            if body is None:
                if stored is not None or held:
                    gone.append((ref, uprn, held))
            elif not (held and _same(body, stored)):
                changed.append((ref, uprn, body))
        db.conn.executemany(
            "INSERT INTO phone_statements (tenancy_ref, from_day, to_day, body) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (tenancy_ref) DO UPDATE SET "
            "from_day = excluded.from_day, to_day = excluded.to_day, body = excluded.body",
            [(ref, b["from"], b["to"], orjson.dumps(b).decode()) for ref, _, b in changed],
        )
        db.conn.executemany(
            "DELETE FROM phone_statements WHERE tenancy_ref = ?", [(r,) for r, _, _ in gone]
        )
        changes.touch_many(db, [("statement", ref, uprn) for ref, uprn, _ in changed])
        for ref, uprn, held in gone:
            if held:
                changes.touch(db, "statement", ref, uprn, deleted=True)


def roll(db: Database, today: date | None = None) -> int:
    """Once an import run: build again the statements a new day has made out of date (a
    new week moved their window, or they now reach a transaction dated after the day
    they were built), and those indexed for phones but never stored, 500 a transaction:
    the first run of a week builds every statement again (seconds at the largest
    landlord's size), and a phone's push must not wait for all of it. Returns how many
    were looked at."""
    today = today or london_today()
    refs = [
        r[0]
        for r in db.execute(
            """SELECT p.tenancy_ref FROM phone_statements p WHERE p.from_day < :start
                 OR EXISTS (SELECT 1 FROM rent_transactions r
                            WHERE r.tenancy_ref = p.tenancy_ref
                            AND r.posted_on > p.to_day AND r.posted_on <= :today)
               UNION
               SELECT i.entity_id FROM sync_index i
               WHERE i.entity_type = 'statement' AND i.deleted = 0
                 AND NOT EXISTS (SELECT 1 FROM phone_statements p
                                 WHERE p.tenancy_ref = i.entity_id)""",
            {"start": window_start(today).isoformat(), "today": today.isoformat()},
        )
    ]
    for chunk in chunks(refs):
        with write_transaction(db):
            refresh(db, chunk, today)
    return len(refs)


def _read(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    """The stored statements of ``ids``; one indexed but not stored yet is built now."""
    out = {
        ref: orjson.loads(body)
        for ref, body in db.execute(
            f"SELECT tenancy_ref, body FROM phone_statements WHERE tenancy_ref IN ({EACH})",
            [each(ids)],
        )
    }
    missing = [i for i in ids if i not in out]
    if missing:
        out.update(build(db, missing, today))
    return out


# The tenancy's statement as phones hold it: its id is the tenancy's.
STATEMENT_KIND = Kind(
    "statement",
    table="phone_statements",
    key="tenancy_ref",
    read=_read,
    roles=codes.FINANCE_ROLES,
    tenancy=MOVES,
)
