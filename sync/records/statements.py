"""The rent statement: a tenancy's transactions from the housing system (the nightly
import's ``transactions``) with the balance after each, and the views the Pre-Action
Protocol and the court ask for.

- the **running balance**: every transaction held, oldest first;
- the **last 13 weeks** (the current week and the twelve before it, Monday to Sunday): the
  quarter a tenant is sent at least, and what phones hold, as one compact record for each
  tenancy in arrears (sync.records.phone_statements), to go through with the tenant at
  the door;
- **since arrears began**: from the first transaction after the balance was last nil or
  in credit (or from the first held, when the history held starts in arrears);
- during a **Breathing Space**, the split of the balance between the moratorium debt (the
  arrears owed when it started, frozen) and ongoing rent (charges since, still owed).
  Payments since the start go to ongoing rent first; only what is paid beyond it reduces
  the moratorium debt (a tenant may pay it voluntarily).

Money is added up in whole pence, so a running balance never drifts from the sum.
"""

from datetime import date, timedelta

from sqlite_utils import Database

WEEKS = 13
# Within a day: the balance brought forward, then charges, then what came in.
ORDER = {"opening": 0, "charge": 1, "adjustment": 2, "benefit": 3, "payment": 4}
_COLUMNS = "transaction_ref, tenancy_ref, posted_on, type, method, amount, description"


def pence(amount: float) -> int:
    return round(amount * 100)


def pounds(p: int) -> float:
    return p / 100


def window_start(today: date, weeks: int = WEEKS) -> date:
    """The Monday ``weeks - 1`` weeks before this week's: ``weeks`` whole weeks to today."""
    return today - timedelta(days=today.weekday(), weeks=weeks - 1)


def _sort_key(row: dict):
    return (row["posted_on"], ORDER[row["type"]], row["transaction_ref"])


def transactions(db: Database, tenancy_ref: str, since: str | None = None) -> list[dict]:
    """The tenancy's transactions in statement order (from ``since``), each with the
    balance after it (``balance``) when read from the first."""
    where, params = "tenancy_ref = ?", [tenancy_ref]
    if since:
        where += " AND posted_on >= ?"
        params.append(since)
    rows = sorted(
        db.query(f"SELECT {_COLUMNS} FROM rent_transactions WHERE {where}", params),
        key=_sort_key,
    )
    return rows


def _with_balances(rows: list[dict], opening: int = 0) -> list[dict]:
    """Each row's amount and the balance after it, in pounds (added up in pence)."""
    balance = opening
    out = []
    for row in rows:
        balance += pence(row["amount"])
        out.append({k: v for k, v in row.items() if k != "tenancy_ref"} | {"balance": balance})
    for row in out:
        row["balance"] = pounds(row["balance"])
    return out


def balance_on(lines: list[dict], day: str) -> float | None:
    """The balance at the end of ``day`` (None: before the first transaction held)."""
    found = None
    for line in lines:
        if line["posted_on"] > day:
            break
        found = line["balance"]
    return found


def view(lines: list[dict], since: str, until: str, brought: float = 0.0) -> dict:
    """The lines from ``since`` to ``until``: the balance before and after, what was
    charged, paid (payments and benefit credits, as positive sums) and adjusted, and the
    same week by week (Monday to Sunday). ``brought``: the balance before the first line,
    when ``lines`` start at ``since``."""
    before = [line for line in lines if line["posted_on"] < since]
    inside = [line for line in lines if since <= line["posted_on"] <= until]
    opening = before[-1]["balance"] if before else brought
    # A balance brought forward inside the view is where it opens, not a movement.
    brought = [line for line in inside if line["type"] == "opening"]
    if brought:
        opening = brought[-1]["balance"]
    weeks: dict[str, dict] = {}
    start = date.fromisoformat(since)
    monday = start - timedelta(days=start.weekday())
    end = date.fromisoformat(until)
    balance = pence(opening)
    while monday <= end:
        weeks[monday.isoformat()] = {"week_start": monday.isoformat(), "charged": 0, "paid": 0}
        weeks[monday.isoformat()] |= {"adjusted": 0, "balance": 0}
        monday += timedelta(weeks=1)
    totals = {"charged": 0, "paid": 0, "adjusted": 0}
    for line in inside:
        if line["type"] == "opening":
            continue
        day = date.fromisoformat(line["posted_on"])
        week = weeks[(day - timedelta(days=day.weekday())).isoformat()]
        part = _part(line)
        amount = pence(line["amount"])
        week[part] += -amount if part == "paid" else amount
        totals[part] += -amount if part == "paid" else amount
    for week in weeks.values():
        balance += week["charged"] - week["paid"] + week["adjusted"]
        week["balance"] = balance
        for k in ("charged", "paid", "adjusted", "balance"):
            week[k] = pounds(week[k])
    return {
        "from": since,
        "to": until,
        "opening_balance": opening,
        "closing_balance": inside[-1]["balance"] if inside else opening,
        **{k: pounds(v) for k, v in totals.items()},
        "weeks": list(weeks.values()),
        "transactions": inside,
    }


def _part(line: dict) -> str:
    if line["type"] in ("payment", "benefit"):
        return "paid"
    if line["type"] == "charge":
        return "charged"
    return "adjusted"


def arrears_began(lines: list[dict]) -> tuple[str | None, bool]:
    """(the day the current arrears began, whether they began before the history held):
    the first transaction after the balance was last nil or in credit. None: not in
    arrears."""
    if not lines or lines[-1]["balance"] <= 0:
        return None, False
    for i in range(len(lines) - 1, -1, -1):
        if lines[i]["balance"] <= 0:
            return lines[i + 1]["posted_on"], False
    first = lines[0]
    if first["type"] == "opening" and first["balance"] > 0:
        return first["posted_on"], True
    return first["posted_on"], False


def breathing_split(lines: list[dict], space: dict | None, today: date) -> dict | None:
    """The balance split between the moratorium debt and ongoing rent, for a Breathing
    Space (type, start and end dates) that has started by ``today``."""
    if not space or not space.get("start_date") or space["start_date"] > today.isoformat():
        return None
    start = space["start_date"]
    owed = [line["balance"] for line in lines if line["posted_on"] < start]
    debt = max(0, pence(owed[-1])) if owed else 0
    charged = paid = 0
    for line in lines:
        if line["posted_on"] >= start:
            amount = pence(line["amount"])
            if _part(line) == "paid":
                paid -= amount
            else:
                charged += amount
    beyond = max(0, paid - charged)  # paid voluntarily towards the frozen debt
    return {
        "type": space.get("type"),
        "start_date": start,
        "end_date": space.get("end_date"),
        "moratorium_debt_at_start": pounds(debt),
        "moratorium_debt": pounds(max(0, debt - beyond)),
        "ongoing_charged": pounds(charged),
        "ongoing_paid": pounds(paid),
        "ongoing_arrears": pounds(max(0, charged - paid)),
    }


def statement(lines: list[dict], today: date, account: dict | None) -> dict:
    """The whole statement of a tenancy's transactions (``_with_balances``) on ``today``,
    checked against its current account snapshot (``account``: as_of, balance and its
    Breathing Space fields)."""
    day = today.isoformat()
    began, before_history = arrears_began(lines)
    since = None
    if began:
        since = view(lines, began, day) | {"began_before_history": before_history}
    agreement = None
    if account:
        held = balance_on(lines, account["as_of"])
        agreement = {
            "as_of": account["as_of"],
            "account_balance": account["balance"],
            "statement_balance": held,
            "agrees": held is not None and pence(held) == pence(account["balance"]),
        }
    space = None
    if account and account.get("breathing_space_start"):
        space = {
            "type": account["breathing_space_type"],
            "start_date": account["breathing_space_start"],
            "end_date": account["breathing_space_end"],
        }
    return {
        "balance": lines[-1]["balance"] if lines else 0.0,
        "first_transaction": lines[0]["posted_on"] if lines else None,
        "last_transaction": lines[-1]["posted_on"] if lines else None,
        "arrears_began": began,
        "account_check": agreement,
        "breathing_space": breathing_split(lines, space, today),
        "last_13_weeks": view(lines, window_start(today).isoformat(), day),
        "since_arrears_began": since,
        "transactions": lines,
    }


_ACCOUNT = (
    "SELECT s.as_of, s.balance, s.breathing_space_type, s.breathing_space_start, "
    "s.breathing_space_end FROM tenancies t JOIN account_snapshots s "
    "ON s.id = t.current_snapshot_id WHERE t.tenancy_ref = ?"
)


def tenancy_statement(db: Database, tenancy_ref: str, today: date) -> dict:
    """One tenancy's statement (the caller's right to it is checked by the caller)."""
    lines = _with_balances(transactions(db, tenancy_ref))
    account = next(iter(db.query(_ACCOUNT, [tenancy_ref])), None)
    return {"tenancy_ref": tenancy_ref, **statement(lines, today, account)}
