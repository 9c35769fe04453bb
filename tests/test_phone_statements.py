"""The rent statement phones hold for each tenancy in arrears: built when the import
changes what it is made of or a new week moves its window, stored, and read by a pull
like any other record (sync.records.phone_statements); never stale, sent again only when
it changed, and what a bootstrap would give."""

import json
import sqlite3
from datetime import date, timedelta

from sync import pull
from sync.access.scope import Caller
from sync.intake.run import import_file
from sync.records import phone_statements, statements
from sync.store.db import connect, write_transaction
from tests.phone import Phone, server_view

HEADER = "transaction_ref,tenancy_ref,posted_on,type,method,amount,description\n"
PART = {"charge": "charged", "payment": "paid", "benefit": "paid", "adjustment": "adjusted"}


def _import(db, text: str, kind="transactions"):
    return import_file(db, text.encode(), kind=kind, fmt="csv", source="test.csv")


def _officer_owing(db, username="officer1") -> dict[str, float]:
    """Tenancy -> current balance, for each tenancy in arrears in the officer's patch."""
    return dict(
        db.execute(
            """SELECT t.tenancy_ref, s.balance FROM tenancies t
               JOIN account_snapshots s ON s.id = t.current_snapshot_id
               JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id
               JOIN users u ON u.id = p.officer_id WHERE u.username = ? AND s.balance > 0""",
            [username],
        ).fetchall()
    )


def _in_arrears(db) -> tuple[str, float]:
    """A current tenancy of officer1's in arrears, with more than £50 owed."""
    return db.execute(
        """SELECT t.tenancy_ref, s.balance FROM tenancies t
           JOIN account_snapshots s ON s.id = t.current_snapshot_id
           JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id
           JOIN users u ON u.id = p.officer_id
           WHERE u.username = 'officer1' AND s.balance > 50 AND t.end_date IS NULL
           ORDER BY t.tenancy_ref LIMIT 1"""
    ).fetchone()


def _held(phone) -> dict:
    store = phone.store if isinstance(phone, Phone) else phone
    return {i: data for (kind, i), data in store.items() if kind == "statement"}


def _lines(record: dict) -> list[tuple]:
    """(day, type, method, amount in pence, balance after it in pence), as a phone
    derives them from the record's columns."""
    start = date.fromisoformat(record["from"])
    tx = record["transactions"]
    balance, out = record["opening_balance_pence"], []
    for day, kind, method, amount in zip(
        tx["day"], tx["type"], tx["method"], tx["amount_pence"], strict=True
    ):
        balance += amount
        out.append(((start + timedelta(days=day)).isoformat(), kind, method, amount, balance))
    return out


def _weeks(record: dict) -> list[dict]:
    """The week-by-week view (charged, paid, adjusted in pence), as a phone derives it."""
    weeks = [{"charged": 0, "paid": 0, "adjusted": 0} for _ in range(statements.WEEKS)]
    tx = record["transactions"]
    for day, kind, amount in zip(tx["day"], tx["type"], tx["amount_pence"], strict=True):
        if kind in PART:
            weeks[day // 7][PART[kind]] += -amount if PART[kind] == "paid" else amount
    return weeks


def test_phones_hold_one_13_week_statement_for_each_tenancy_in_arrears(client, tokens, db, today):
    """Each tenancy in arrears in scope has one, for finance roles only, and what it says
    is the full statement's last 13 weeks: each transaction with the balance after it,
    the week-by-week totals, the closing balance, and the account's balance."""
    officer = Phone(client, tokens["officer1"])
    officer.sync()
    held = _held(officer)
    owing = _officer_owing(db)
    assert held and set(held) == set(owing)
    for ref, record in held.items():
        assert record["format"] == 2 and record["tenancy_ref"] == ref
        assert record["from"] == statements.window_start(today).isoformat()
        assert record["to"] == today.isoformat()
        assert record["account_balance_pence"] == statements.pence(owing[ref])
        quarter = statements.tenancy_statement(db, ref, today)["last_13_weeks"]
        p = statements.pence
        assert _lines(record) == [
            (x["posted_on"], x["type"], x["method"], p(x["amount"]), p(x["balance"]))
            for x in quarter["transactions"]
        ], ref
        assert record["closing_balance_pence"] == p(quarter["closing_balance"])
        assert _weeks(record) == [
            {k: p(w[k]) for k in ("charged", "paid", "adjusted")} for w in quarter["weeks"]
        ]
    ref, balance = _in_arrears(db)
    assert held[ref]["closing_balance_pence"] == statements.pence(balance)
    repairs = Phone(client, tokens["repairs1"])
    repairs.sync()
    assert not _held(repairs)


def test_a_new_transaction_reaches_the_phone_and_only_its_statement_is_sent(
    client, tokens, db, db_path, today
):
    officer = Phone(client, tokens["officer1"])
    officer.sync()
    ref, balance = _in_arrears(db)
    before = _held(officer)

    # Tonight a payment of £20 comes in: the next pull carries that statement alone.
    line = f"PAY-1-{ref},{ref},{today.isoformat()},payment,card,-20.00,\n"
    assert _import(db, HEADER + line)["inserted"] == 1
    assert officer.sync() == 1
    record = _held(officer)[ref]
    closing = record["closing_balance_pence"]
    assert _lines(record)[-1] == (today.isoformat(), "payment", "card", -2000, closing)
    assert record["closing_balance_pence"] == before[ref]["closing_balance_pence"] - 2000
    assert {k: v for k, v in _held(officer).items() if k != ref} == {
        k: v for k, v in before.items() if k != ref
    }

    # The housing system sends the account again, its balance unchanged: the account
    # changes (its date), the statement does not, so it is not sent again.
    tomorrow = today + timedelta(days=1)
    snapshot = f"tenancy_ref,as_of,balance,benefit\n{ref},{tomorrow},{balance},none\n"
    assert _import(db, snapshot, kind="accounts")["inserted"] == 1
    assert officer.sync() == 1
    assert officer.store[("account", ref)]["as_of"] == tomorrow.isoformat()

    # The tenant clears the arrears: the statement follows the transactions, then goes
    # when the account says the arrears are cleared.
    paid = f"PAY-2-{ref},{ref},{today.isoformat()},payment,card,{-(balance - 20):.2f},\n"
    assert _import(db, HEADER + paid)["inserted"] == 1
    officer.sync()
    assert _held(officer)[ref]["closing_balance_pence"] == 0
    snapshot = f"tenancy_ref,as_of,balance,benefit\n{ref},{today + timedelta(days=2)},0,none\n"
    assert _import(db, snapshot, kind="accounts")["inserted"] == 1
    officer.sync()
    assert ref not in _held(officer)
    assert officer.store == server_view(db_path, "officer1", today)


def _caller(db, username="officer1") -> Caller:
    row = db.execute("SELECT id, team_id FROM users WHERE username = ?", [username]).fetchone()
    return Caller(user_id=row[0], username=username, role="officer", team_id=row[1])


def _pull_all(db, caller, cursor, day) -> tuple[str, dict]:
    """Every page from ``cursor`` on ``day``: the new cursor and the statements changed."""
    got = {}
    while True:
        page = pull.pull(db, caller, cursor, secret="s", today=day)
        for c in page["changes"]:
            if c["type"] == "statement":
                got[c["id"]] = c.get("data")
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor, got


def test_a_phone_that_pulled_last_week_holds_what_a_bootstrap_holds_this_week(db, today):
    """The window moves with the first import of a new week: every statement whose
    window moved is sent again then, and until then a bootstrap gives the same."""
    caller = _caller(db)
    cursor, held = _pull_all(db, caller, None, today)
    next_week = today + timedelta(weeks=1)
    cursor, changed = _pull_all(db, caller, cursor, next_week)
    held |= changed
    assert _pull_all(db, caller, None, next_week)[1] == held  # no import yet: the same

    with db.atomic():
        phone_statements.roll(db, next_week)  # what the week's first import run does
    cursor, changed = _pull_all(db, caller, cursor, next_week)
    assert set(changed) == set(held)
    held |= changed
    assert _pull_all(db, caller, None, next_week)[1] == held
    moved = statements.window_start(next_week).isoformat()
    assert {r["from"] for r in held.values()} == {moved}
    # Later the same week nothing moves.
    sunday = next_week + timedelta(days=6 - next_week.weekday())
    with db.atomic():
        assert phone_statements.roll(db, sunday) == 0


def test_a_transaction_dated_ahead_appears_on_its_day(db, today):
    """A transaction imported before the day it is posted on is in the statement from
    that day, brought in by that day's import run."""
    caller = _caller(db)
    ref, _ = _in_arrears(db)
    cursor, held = _pull_all(db, caller, None, today)
    tomorrow = today + timedelta(days=1)
    line = f"CHG-AHEAD-{ref},{ref},{tomorrow.isoformat()},adjustment,,5.00,\n"
    assert _import(db, HEADER + line)["inserted"] == 1
    cursor, changed = _pull_all(db, caller, cursor, today)
    assert ref not in changed or changed[ref] == held[ref] | {"to": changed[ref]["to"]}
    with db.atomic():
        phone_statements.roll(db, tomorrow)
    cursor, changed = _pull_all(db, caller, cursor, tomorrow)
    if statements.window_start(tomorrow) == statements.window_start(today):
        assert set(changed) == {ref}
    assert _lines(changed[ref])[-1][:4] == (tomorrow.isoformat(), "adjustment", None, 500)


def test_a_statement_not_stored_yet_is_built_by_the_pull_then_stored(db, client, tokens, today):
    """A database from before statements were stored: pulls build them until the next
    import run stores them."""
    expected = Phone.synced(client, tokens["officer1"])
    with db.atomic():
        db.execute("DELETE FROM phone_statements")
    assert Phone.synced(client, tokens["officer1"]) == expected
    with db.atomic():
        assert phone_statements.roll(db, today) > 0
    assert db.execute("SELECT count(*) FROM phone_statements").fetchone()[0] > 0
    assert Phone.synced(client, tokens["officer1"]) == expected


def test_a_transaction_moved_to_another_tenancy_leaves_both_statements_right(db, today):
    """Found by review: a transaction re-sent under another tenancy rebuilt only the
    statement it moved to; the one it left kept it until the next week."""
    first, second = (
        r[0]
        for r in db.execute(
            "SELECT tenancy_ref FROM phone_statements "
            "WHERE json_array_length(body, '$.transactions.day') > 0 ORDER BY tenancy_ref LIMIT 2"
        )
    )
    ref, posted, kind, method, amount = db.execute(
        "SELECT transaction_ref, posted_on, type, method, amount FROM rent_transactions "
        "WHERE tenancy_ref = ? AND posted_on >= ? AND type != 'opening' "
        "ORDER BY posted_on DESC LIMIT 1",
        [first, phone_statements.window_start(today).isoformat()],
    ).fetchone()
    line = f"{ref},{second},{posted},{kind},{method or ''},{amount},\n"
    assert _import(db, HEADER + line)["updated"] == 1
    for tenancy in (first, second):
        (body,) = db.execute(
            "SELECT body FROM phone_statements WHERE tenancy_ref = ?", [tenancy]
        ).fetchone()
        assert json.loads(body) == phone_statements.build(db, [tenancy], today)[tenancy]


def test_the_weekly_roll_takes_the_write_lock_before_it_reads(db, db_path, today, monkeypatch):
    """Found by review: the roll read in a deferred transaction, so a phone's push
    committed in between made its write fail at once ("database is locked") and left the
    import run unfinished. It now waits its turn, as every write of the import does."""
    db.execute(
        "UPDATE phone_statements SET from_day = '2000-01-03', "
        "body = json_set(body, '$.from', '2000-01-03')"
    )
    other = connect(db_path)
    built = phone_statements.build

    def build_while_a_phone_pushes(conn, refs, day):
        out = built(conn, refs, day)
        if not getattr(build_while_a_phone_pushes, "pushed", False):
            build_while_a_phone_pushes.pushed = True
            try:  # a phone's push on another connection, meanwhile
                other.execute("PRAGMA busy_timeout = 50")
                with write_transaction(other):
                    other.execute("UPDATE devices SET last_push_at = 'x'")
            except sqlite3.OperationalError:
                pass  # it waits for the roll's write lock, as a push should
        return out

    monkeypatch.setattr(phone_statements, "build", build_while_a_phone_pushes)
    run = _import(db, "uprn,code\n", kind="markers")
    assert build_while_a_phone_pushes.pushed and run["finished_at"] is not None
    assert (
        db.execute(
            "SELECT count(*) FROM phone_statements WHERE from_day < ?",
            [phone_statements.window_start(today).isoformat()],
        ).fetchone()[0]
        == 0
    )
    other.close()
