"""Repayment arrangements agreed on the doorstep, and their check against account imports.

An arrangement agreed on a phone is a new record (id: a UUID from the phone) with the
amount, frequency and start date, optionally backed by an income and expenditure summary.
It replaces any live doorstep arrangement of the tenancy. The housing system's own
arrangement for a tenancy keeps the tenancy ref as its id (sync.intake).

After each account import, live doorstep arrangements and pending promises of payment
are checked (``check_tenancy``):

- An arrangement expects the balance it started from to fall by one instalment each
  period, rent being paid on top. When the balance is above that, counting only the
  instalments due at least ``tolerance`` days (5 by default) before the account's date,
  the arrangement becomes ``breached``, with the figures in words. At a zero or credit
  balance it is ``completed``.
- A promise is ``kept`` once payments dated from the day it was made to its date (plus
  the tolerance) add up to the amount; ``broken`` once the account is dated after that
  with less paid.

Planning sees both.
"""

import calendar
import os
from datetime import date, timedelta

import orjson
from sqlite_utils import Database

from sync import codes
from sync.checks import Day, Money, Nested, Record, Text
from sync.clock import utc_now
from sync.protocol import outbox, versions
from sync.protocol.batch import Batch, Op, Rejected, dumps_text
from sync.protocol.edits import ARRANGEMENT_STATUS_EDIT, prefetch_homes_of
from sync.protocol.kinds import MOVES, Kind
from sync.protocol.versions import ARRANGEMENT
from sync.records import breathing, visits
from sync.store import changes
from sync.store.rows import load

DEFAULT_TOLERANCE_DAYS = 5


def tolerance_days() -> int:
    """``DOORSTEP_ARRANGEMENT_TOLERANCE_DAYS``: days' grace before a missed payment counts."""
    return int(os.environ.get("DOORSTEP_ARRANGEMENT_TOLERANCE_DAYS", DEFAULT_TOLERANCE_DAYS))


INCOME_EXPENDITURE = Record(
    {
        "income_monthly": Money(0, 100_000, required=True, nullable=False),
        "expenditure_monthly": Money(0, 100_000, required=True, nullable=False),
        "priority_debts_monthly": Money(0, 100_000),
        "notes": Text(1000),
    }
)
NEW_ARRANGEMENT = Record(
    {
        "tenancy_ref": Text(40, min_len=1, required=True, nullable=False),
        "amount": Money(0.01, 10_000, required=True, nullable=False),
        "frequency": Text(
            20, choices=codes.ARRANGEMENT_FREQUENCIES, required=True, nullable=False
        ),
        "start_date": Day(required=True, nullable=False),
        "income_expenditure": Nested(INCOME_EXPENDITURE),
        "visit_id": Text(100, min_len=1),
    }
)

ARRANGEMENT_COLUMNS = (
    "id, tenancy_ref, source, amount, frequency, start_date, status, income_expenditure, "
    "starting_balance, created_by, visit_id, observed_at, status_reason, checked_at, version, "
    "flags"
)


def arrangement_out(row: dict) -> dict:
    if row.get("income_expenditure"):
        row["income_expenditure"] = orjson.loads(row["income_expenditure"])
    if "flags" in row:
        row["flags"] = orjson.loads(row["flags"])
    return row


PROMISE_COLUMNS = "p.id, p.tenancy_ref, p.amount, p.due_date, p.made_on, p.status, p.paid"


_COLUMNS = (
    "id, tenancy_ref, source, amount, frequency, start_date, status, income_expenditure, "
    "starting_balance, created_by, visit_id, observed_at, version, updated_at, flags"
)


def apply_create(batch: Batch, m: dict, new: dict) -> dict:
    db, ref = batch.db, new["tenancy_ref"]
    tenancy = db.execute(
        "SELECT t.uprn, s.balance FROM tenancies t "
        "LEFT JOIN account_snapshots s ON s.id = t.current_snapshot_id WHERE t.tenancy_ref = ?",
        [ref],
    ).fetchone()
    if tenancy is None:
        raise Rejected(f"No tenancy {ref}.", code="unknown-tenancy")
    uprn, balance = tenancy
    try:
        _, flags = batch.place(uprn, ref)
    except Rejected as exc:  # said of the tenancy named: its home is not the phone's to learn
        raise Rejected(f"Tenancy {ref} is not in your patches.", code=exc.code) from None
    if new["visit_id"] is not None and visits.home_of_visit(batch, new["visit_id"]) != uprn:
        raise Rejected(
            "An arrangement agreed on a visit must name a visit record at the tenancy's home.",
            code="unknown-entity",
            errors={"payload.visit_id": ["No visit record with this id at this home."]},
        )
    agreed_on = batch.local_day(m["observed_at"])
    if not agreed_on - timedelta(days=31) <= new["start_date"] <= agreed_on + timedelta(days=92):
        raise Rejected(
            "The first payment must fall within a month before and three months after the day "
            "it was agreed.",
            code="invalid-payload",
            errors={"payload.start_date": ["Too far from the day it was agreed."]},
        )
    known = batch.known_ids("arrangement", "arrangements", [m["entity_id"]])
    if m["entity_id"] in known:
        raise Rejected("An arrangement with this id already exists.", code="already-exists")
    # During a Breathing Space an arrangement for the frozen debt is recorded (field work
    # is never lost), flagged and sent to a team leader's review.
    moratorium = breathing.moratoria_in_push(batch, [ref], agreed_on).get(ref)
    frozen = moratorium is not None and moratorium["moratorium_debt"] > 0
    if frozen:
        flags.append(breathing.FLAG)
    batch.claim("arrangement", m["entity_id"], "An arrangement", uprn)
    if frozen:
        breathing.stage_flags(
            batch, m, "arrangement", uprn, {"breathing-space-arrangement": moratorium}
        )
    replaced = db.execute(
        "SELECT id FROM arrangements WHERE tenancy_ref = ? AND source = 'device' "
        "AND status = 'live'",
        [ref],
    ).fetchall()
    for (old,) in replaced:
        _set_status(
            db,
            old,
            uprn,
            "cancelled",
            f"Replaced by arrangement {m['entity_id']}.",
            source="device",
            changed_by=batch.caller.user_id,
            batch=batch,
        )
    db.execute(
        f"INSERT INTO arrangements ({_COLUMNS}) VALUES "
        "(?, ?, 'device', ?, ?, ?, 'live', ?, ?, ?, ?, ?, 1, ?, ?)",
        [
            m["entity_id"],
            ref,
            new["amount"],
            new["frequency"],
            new["start_date"].isoformat(),
            dumps_text(new["income_expenditure"]) if new["income_expenditure"] else None,
            balance,
            batch.caller.user_id,
            new["visit_id"],
            m["observed_iso"],
            batch.now_iso,
            dumps_text(flags),
        ],
    )
    # The server adds the starting balance, so the phone gets the record back.
    batch.touch("arrangement", m["entity_id"], uprn, None)
    batch.event(
        "arrangement.agreed",
        m["entity_id"],
        {
            "id": m["entity_id"],
            "tenancy_ref": ref,
            "amount": new["amount"],
            "frequency": new["frequency"],
            "start_date": new["start_date"].isoformat(),
            "income_expenditure": new["income_expenditure"],
            "starting_balance": balance,
            "agreed_by": batch.caller.username,
            "observed_at": m["observed_iso"],
            "replaces": [r[0] for r in replaced],
        },
    )
    return {"status": "applied", "version": 1, "flags": flags}


def _read_arrangements(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    rows = load(
        db, f"SELECT {ARRANGEMENT_COLUMNS} FROM arrangements WHERE id IN ({{marks}})", ids, "id"
    )
    return {k: arrangement_out(row) for k, row in rows.items()}


def _read_promises(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    return load(
        db, f"SELECT {PROMISE_COLUMNS} FROM promises p WHERE p.id IN ({{marks}})", ids, "id"
    )


ARRANGEMENT_KIND = Kind(
    "arrangement",
    table="arrangements",
    key="id",
    read=_read_arrangements,
    roles=codes.FINANCE_ROLES,
    ops={"create": Op(NEW_ARRANGEMENT, apply_create), "update": ARRANGEMENT_STATUS_EDIT},
    prefetch=prefetch_homes_of(ARRANGEMENT),
    writes_now=True,
    versioned=True,
    tenancy=MOVES,
    topics=("arrangement.agreed", "arrangement.changed"),
)
# A promise of payment made on a visit (its id is the visit's).
PROMISE_KIND = Kind(
    "promise",
    table="promises",
    key="id",
    read=_read_promises,
    roles=codes.FINANCE_ROLES,
    tenancy=MOVES,
    topics=("promise.kept", "promise.broken"),
)


def _set_status(
    db: Database,
    arrangement_id: str,
    uprn: int,
    status: str,
    reason: str,
    *,
    source: str,
    changed_by: int | None = None,
    batch: Batch | None = None,
) -> None:
    """Change an arrangement's status as the server (a check, or a replacement)."""
    now = utc_now()
    version = db.execute(
        "UPDATE arrangements SET status = ?, status_reason = ?, checked_at = ?, "
        "version = version + 1, updated_at = ? WHERE id = ? RETURNING version",
        [status, reason, now, now, arrangement_id],
    ).fetchall()[0][0]
    versions.record_changes(
        db,
        "arrangement",
        arrangement_id,
        ["status"],
        version=version,
        source=source,
        changed_by=changed_by,
    )
    event = {"id": arrangement_id, "status": status, "reason": reason}
    if batch is not None:  # inside a push: the batch numbers its changes
        batch.touch("arrangement", arrangement_id, uprn, None)
        batch.event("arrangement.changed", arrangement_id, event)
    else:
        changes.touch(db, "arrangement", arrangement_id, uprn)
        outbox.add(db, "arrangement.changed", arrangement_id, event)


# --- checks after an account import -----------------------------------------------------

_PERIOD_DAYS = {"weekly": 7, "fortnightly": 14, "four_weekly": 28}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def instalments_due(start: date, frequency: str, by: date) -> int:
    """How many instalments fall due from ``start`` up to and including ``by``."""
    if by < start:
        return 0
    if frequency in _PERIOD_DAYS:
        return (by - start).days // _PERIOD_DAYS[frequency] + 1
    count = 0
    while _add_months(start, count) <= by:
        count += 1
    return count


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def check_tenancy(db: Database, tenancy_ref: str, tolerance: int | None = None) -> None:
    """Check live doorstep arrangements and pending promises against the current account."""
    tolerance = tolerance_days() if tolerance is None else tolerance
    current = db.execute(
        "SELECT s.as_of, s.balance, t.uprn FROM tenancies t "
        "JOIN account_snapshots s ON s.id = t.current_snapshot_id WHERE t.tenancy_ref = ?",
        [tenancy_ref],
    ).fetchone()
    if current is None:
        return
    as_of, balance, uprn = date.fromisoformat(current[0][:10]), current[1], current[2]
    counted_to = as_of - timedelta(days=tolerance)
    for arrangement_id, amount, frequency, start, starting in db.execute(
        "SELECT id, amount, frequency, start_date, starting_balance FROM arrangements "
        "WHERE tenancy_ref = ? AND source = 'device' AND status = 'live' "
        "AND starting_balance IS NOT NULL",
        [tenancy_ref],
    ).fetchall():
        due = instalments_due(date.fromisoformat(start), frequency, counted_to)
        expected = starting - due * amount
        if balance <= 0:
            _set_status(
                db,
                arrangement_id,
                uprn,
                "completed",
                f"Arrears cleared: the balance on {as_of} was {_money(balance)}.",
                source="import",
            )
        elif due and balance > expected + 0.005:
            _set_status(
                db,
                arrangement_id,
                uprn,
                "breached",
                f"On {as_of} the balance was {_money(balance)}. After {due} payment"
                f"{'s' if due > 1 else ''} of {_money(amount)} due by {counted_to} "
                f"({tolerance} days' grace) it should have been at most {_money(expected)}.",
                source="import",
            )
        else:
            db.execute(
                "UPDATE arrangements SET checked_at = ? WHERE id = ?", [utc_now(), arrangement_id]
            )
            changes.touch(db, "arrangement", arrangement_id, uprn)  # phones show the check
    _check_promises(db, tenancy_ref, uprn, as_of, tolerance)


def _check_promises(db: Database, ref: str, uprn: int, as_of: date, tolerance: int) -> None:
    payments = db.execute(
        "SELECT DISTINCT last_payment_date, last_payment_amount FROM account_snapshots "
        "WHERE tenancy_ref = ? AND last_payment_date IS NOT NULL "
        "AND last_payment_amount > 0",
        [ref],
    ).fetchall()
    for promise_id, amount, due_date, made_on, paid_before in db.execute(
        "SELECT id, amount, due_date, made_on, paid FROM promises WHERE tenancy_ref = ? "
        "AND status = 'pending'",
        [ref],
    ).fetchall():
        until = date.fromisoformat(due_date) + timedelta(days=tolerance)
        paid = round(sum(a for d, a in payments if made_on <= d[:10] <= until.isoformat()), 2)
        if paid >= amount - 0.005:
            status = "kept"
        elif as_of > until:
            status = "broken"
        else:
            status = "pending"
        db.execute(
            "UPDATE promises SET status = ?, paid = ?, checked_at = ? WHERE id = ?",
            [status, paid, utc_now(), promise_id],
        )
        if status != "pending" or paid != paid_before:
            changes.touch(db, "promise", promise_id, uprn)
        if status != "pending":
            outbox.add(
                db,
                f"promise.{status}",
                promise_id,
                {
                    "id": promise_id,
                    "tenancy_ref": ref,
                    "amount": amount,
                    "due_date": due_date,
                    "paid": paid,
                    "status": status,
                },
            )
