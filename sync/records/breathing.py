"""Breathing Space (the Debt Respite Scheme, ../DOMAIN.md): the moratorium debt is frozen,
ongoing rent is still owed.

While a Breathing Space runs (from its start day to its end day, both included; a mental
health crisis one until an end is known), a landlord may not ask for the **moratorium
debt** (the arrears owed at the start), seek a promise or an arrangement for it, nor take
any enforcement step for it (a notice, a claim, a warrant, an eviction) without the
court's permission. **Ongoing rent** (charges falling due after the start) is still owed
and may be asked for; support and welfare visits go on.

Every Breathing Space a tenancy has had is kept (``breathing_spaces``): the import derives
it from the account snapshots (``sync.intake.store``), with its moratorium debt as the
housing system gave it or, failing that, the balance of the latest snapshot on or before
the start (else the first after it: all of it counts as frozen, the safe reading). The
split of a balance between the two, the import's unlawful steps, and the push's checks
of what an officer asked for at the door are pure functions here, so the rules read as
DOMAIN.md and are tested case by case. What a check finds is kept in ``review_flags`` for
a team leader (sync.protocol.review).
"""

import re
from datetime import date

from sqlite_utils import Database

from sync.store.rows import EACH, each

FLAG = "breathing-space"
# What a row may say of a step taken inside a moratorium, so that it stands.
STEP_BASES = {
    "court_permission": "The court gave permission for the step",
    "ongoing_rent_only": "The step is for ongoing-rent arrears only",
}
# The enforcement steps an account row records: (step, column, in words).
STEPS = (
    ("notice", "notice_served_date", "notice seeking possession served"),
    ("claim", "claim_date", "possession claim issued"),
    ("warrant", "warrant_date", "warrant of eviction applied for"),
    ("eviction", "eviction_date", "eviction"),
)
# Every rule a record or a row can touch, in words (the review list names them).
RULES = {
    "breathing-space-notice": "no notice seeking possession is served for the moratorium debt",
    "breathing-space-claim": "no possession claim is issued for the moratorium debt",
    "breathing-space-warrant": "no warrant of eviction is sought for the moratorium debt",
    "breathing-space-eviction": "no eviction is carried out for the moratorium debt",
    "breathing-space-promise": "no promise of payment is sought for the moratorium debt",
    "breathing-space-arrangement": "no repayment arrangement is sought for the moratorium debt",
    "breathing-space-request": "no one asks for payment of the moratorium debt",
}

# Notes that ask for payment of arrears (not of ongoing rent): an ask, then within a few
# words the arrears; or a payment of (or towards) the arrears. A false alarm goes to a
# team leader's review; it is never refused.
_ASKS = re.compile(
    r"\b(ask|asked|asking|request|requested|requesting|demand|demanded|demanding|chase|"
    r"chased|chasing|press|pressed|pressing|urge|urged)\b[^.;!?]{0,60}?"
    r"\b(arrears|debt|debts|owed|owing|outstanding|balance)\b"
    r"|\b(pay|payment|payments|repay|repayment|clear|pay off)\b[^.;!?]{0,20}?"
    r"\b(of|off|towards?|the|on)\b[^.;!?]{0,15}?\b(arrears|debt)\b",
    re.IGNORECASE,
)


def day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def in_force(space: dict | None, on: date) -> bool:
    """Whether the Breathing Space runs on ``on``: its start day to its end day, both
    included; with no end (a mental health crisis one still running), from its start."""
    if not space or not space.get("start_date"):
        return False
    start, end = day(space["start_date"]), day(space.get("end_date"))
    return start <= on and (end is None or on <= end)


def covering(spaces: list[dict], on: date) -> dict | None:
    """The Breathing Space in force on ``on``, if any (the latest to start)."""
    running = [s for s in spaces if in_force(s, on)]
    return max(running, key=lambda s: s["start_date"]) if running else None


def split(balance: float | None, debt: float | None) -> dict:
    """A balance during a Breathing Space: the part that is the moratorium debt (frozen)
    and the ongoing arrears (rent fallen due since the start, unpaid: collectable).
    Payments go to ongoing rent first, so the frozen part only falls once ongoing rent is
    paid. An unknown debt counts the whole balance as frozen."""
    owed = max(balance or 0.0, 0.0)
    if debt is None:
        return {"moratorium_debt": round(owed, 2), "ongoing_arrears": 0.0}
    frozen = min(max(debt, 0.0), owed)
    return {"moratorium_debt": round(frozen, 2), "ongoing_arrears": round(owed - frozen, 2)}


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def _span(space: dict) -> str:
    end = space.get("end_date")
    return f"{space['start_date']} to {end}" if end else f"from {space['start_date']}"


def step_problems(row: dict, spaces: list[dict]) -> list[dict]:
    """The enforcement steps of an account row dated inside one of the tenancy's
    Breathing Spaces (``spaces``: its history with the row's own), for arrears that
    include the moratorium debt: each a dict of ``rule``, ``field``, ``text``, ``step``,
    ``date`` and ``start`` (the space's start). A row that gives a basis
    (``moratorium_step_basis``) stands, and so does a step in a space whose moratorium
    debt is known to be nothing."""
    if row.get("moratorium_step_basis"):
        return []
    found = []
    for step, column, what in STEPS:
        taken = day(row.get(column))
        space = covering(spaces, taken) if taken else None
        if space is None:
            continue
        debt = space.get("moratorium_debt")
        if debt is not None and debt <= 0:
            continue
        owed = f" of {_money(debt)}" if debt is not None else ""
        found.append(
            {
                "rule": f"breathing-space-{step}",
                "field": column,
                "text": f"A {what} on {taken} falls inside the Breathing Space "
                f"({_span(space)}): {RULES[f'breathing-space-{step}']}{owed} without the "
                "court's permission (give moratorium_step_basis when it had it, or when "
                "the step is for ongoing-rent arrears only).",
                "step": step,
                "date": taken.isoformat(),
                "start": space["start_date"],
            }
        )
    return found


def asks_for_payment(offers: list[str] | None, notes: str | None) -> bool:
    """Whether a visit asked for payment of arrears: it offered a repayment arrangement,
    or its notes say it asked for the arrears."""
    return "arrangement" in (offers or []) or bool(notes and _ASKS.search(notes))


def visit_rules(visit: dict, moratorium: dict) -> list[str]:
    """The rules a visit made during a Breathing Space touches (``moratorium``: the
    tenancy's, with its split): a promise of more than the ongoing arrears (some of it is
    the frozen debt), and an ask for payment of the arrears."""
    if moratorium["moratorium_debt"] <= 0:
        return []
    rules = []
    amount = visit.get("promise_amount")
    if amount is not None and amount > moratorium["ongoing_arrears"] + 0.005:
        rules.append("breathing-space-promise")
    if asks_for_payment(visit.get("offers"), visit.get("notes")):
        rules.append("breathing-space-request")
    return rules


def record_text(rule: str, moratorium: dict) -> str:
    """The words a flagged record goes to review with."""
    return (
        f"During the Breathing Space ({_span(moratorium)}): {RULES[rule]} "
        f"({_money(moratorium['moratorium_debt'])} frozen; ongoing arrears "
        f"{_money(moratorium['ongoing_arrears'])} may be asked for)."
    )


# --- reading the history -----------------------------------------------------------------

SPACE_COLUMNS = (
    "id, tenancy_ref, type, start_date, end_date, notified_by, moratorium_debt, debt_as_of, "
    "debt_source, first_seen, last_seen"
)


def history(db: Database, refs) -> dict[str, list[dict]]:
    """Every Breathing Space of these tenancies, oldest first, by tenancy."""
    found: dict[str, list[dict]] = {}
    for row in db.query(
        f"SELECT {SPACE_COLUMNS} FROM breathing_spaces WHERE tenancy_ref IN ({EACH}) "
        "ORDER BY start_date",
        [each(sorted(set(refs)))],
    ):
        found.setdefault(row["tenancy_ref"], []).append(row)
    return found


def moratoria_on(db: Database, refs, on: date) -> dict[str, dict]:
    """The tenancies of ``refs`` in a Breathing Space on ``on``: the space, with its
    split of the current balance (``moratorium_debt``, ``ongoing_arrears``)."""
    return _running(_spaces_and_balances(db, refs), refs, on)


def moratoria_in_push(batch, refs, on: date) -> dict[str, dict]:
    """``moratoria_on`` for a push, from what ``prefetch`` read."""
    return _running(prefetch(batch, refs), refs, on)


def ever_in_space(batch, refs) -> bool:
    """Whether any of these tenancies ever had a Breathing Space, from what ``prefetch``
    read: most records a push makes touch none, and need look no further."""
    return not prefetch(batch, refs).keys().isdisjoint(refs)


def prefetch(batch, refs) -> dict:
    """Read for a push each tenancy's spaces and balance once a batch (a push changes
    neither), not once a record: tenancy -> (its spaces, its balance), for those that ever
    had one."""
    memo = batch.memo.get("breathing")
    if memo is None:
        memo = batch.memo["breathing"] = (set(), {})
    checked, read = memo
    if not checked.issuperset(refs):
        missing = [ref for ref in refs if ref not in checked]
        read.update(_spaces_and_balances(batch.db, missing))
        checked.update(missing)
    return read


def _spaces_and_balances(db: Database, refs) -> dict[str, tuple[list[dict], float | None]]:
    """(every Breathing Space, current balance) of those of ``refs`` that ever had one."""
    spaces = history(db, refs)
    balances = dict(
        db.execute(
            "SELECT t.tenancy_ref, s.balance FROM tenancies t JOIN account_snapshots s "
            f"ON s.id = t.current_snapshot_id WHERE t.tenancy_ref IN ({EACH})",
            [each(sorted(spaces))],
        ).fetchall()
    )
    return {ref: (held, balances.get(ref)) for ref, held in spaces.items()}


def _running(read: dict, refs, on: date) -> dict[str, dict]:
    found = {}
    for ref in sorted(set(refs)):
        if ref in read:
            held, balance = read[ref]
            space = covering(held, on)
            if space is not None:
                found[ref] = space | split(balance, space["moratorium_debt"])
    return found


def unlawful_steps(db: Database, refs) -> dict[str, list[dict]]:
    """The import's steps taken inside a moratorium, by tenancy: what the tenancy shows as
    unlawful, with whether a team leader has reviewed each."""
    found: dict[str, list[dict]] = {}
    for row in db.query(
        "SELECT id, tenancy_ref, step, step_date, rule, message, reviewed_at "
        f"FROM review_flags WHERE source = 'import' AND tenancy_ref IN ({EACH}) "
        "ORDER BY step_date, id",
        [each(sorted(set(refs)))],
    ):
        ref = row.pop("tenancy_ref")
        row["flag_id"] = row.pop("id")
        row["date"] = row.pop("step_date")
        row["reviewed"] = row.pop("reviewed_at") is not None
        found.setdefault(ref, []).append(row)
    return found


FLAG_INSERT = (
    "INSERT OR IGNORE INTO review_flags (flag, rule, message, tenancy_ref, uprn, source, "
    "entity_type, entity_id, step, step_date, run_id, line, user_id, observed_at, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def stage_flags(batch, m: dict, entity_type: str, uprn: int, found: dict) -> None:
    """Stage a pushed record's review items (``found``: rule -> the tenancy's moratorium)
    with the record (``sync.protocol.batch.Batch.later``); ``m``: its mutation."""
    for rule, moratorium in found.items():
        batch.later(
            FLAG_INSERT,
            (
                FLAG,
                rule,
                record_text(rule, moratorium),
                moratorium["tenancy_ref"],
                uprn,
                "push",
                entity_type,
                m["entity_id"],
                None,
                None,
                None,
                None,
                batch.caller.user_id,
                m["observed_iso"],
                batch.now_iso,
            ),
        )
