"""The demo landlord's rent transactions and letters, as a housing system exports them.

Each tenancy's statement opens with the balance brought forward, then weekly rent charges
(Mondays, the rent re-set each April) and what came in: payments by their method, Housing
Benefit and Universal Credit managed payments and deductions. Tenancies in arrears or with
legal steps go back two years; the others 13 weeks. The last weeks are the very ledger the
account snapshots were replayed from (``sync.demo.accounts``), so the statement's balance
on each snapshot's date is that snapshot's balance; the weeks before it are drawn back
from the balance it opens with.

Letters follow the arrears: a reminder, an arrears letter to each named tenant, an income
and expenditure form, benefit and debt advice, quarterly rent statements, an arrangement
set out in writing, and before a notice the pre-action letter; a notice's covering letter
and the hearing's date. A few cases miss a step, as real ones do.
"""

import functools
import random
from datetime import date, timedelta

from sync.demo.accounts import ledger_start
from sync.demo.dates import days, monday_on_or_before
from sync.demo.tenancies import Tenancy

LONG_WEEKS = 104  # two years: a possession claim's rent statement
SHORT_WEEKS = 13
RENT_RISE = 1.04  # each April


WEEK = timedelta(days=7)


@functools.cache
def _first_monday_of_april(year: int) -> date:
    d = date(year, 4, 1)
    return d + days((7 - d.weekday()) % 7)


@functools.cache
def _rises(d: date, until: date) -> int:
    """How many Aprils' rent rises fall after ``d``, up to ``until``."""
    return sum(
        1 for year in range(d.year, until.year + 1) if d < _first_monday_of_april(year) <= until
    )


def _rent_on(t: Tenancy, d: date, until: date) -> int:
    """The weekly rent charged on ``d``: this year's, less a rise for each April between."""
    return round(t.rent / RENT_RISE ** _rises(d, until))


@functools.cache
def _iso(d: date) -> str:
    return d.isoformat()


def _profile(rng: random.Random, t: Tenancy) -> tuple[str, float]:
    """How the household pays (a payment method, or a benefit) and the share of the rent
    Housing Benefit covers."""
    if t.managed:
        return "managed_payment", 0.0
    if t.benefit == "housing_benefit":
        return rng.choice(("cash", "card", "card")), rng.choice((0.6, 0.8, 1.0, 1.0))
    if t.benefit == "universal_credit":
        return rng.choice(("standing_order", "bank_transfer", "card")), 0.0
    return rng.choice(("direct_debit", "direct_debit", "standing_order", "card")), 0.0


def _credit(method: str) -> str:
    return "benefit" if method in ("managed_payment", "housing_benefit") else "payment"


class _Rows:
    """The rows being made. References are the tenancy's number and a count, as a housing
    system numbers them within an account, so any tenancies' rows can be drawn apart."""

    def __init__(self):
        self.transactions: list[dict] = []
        self.letters: list[dict] = []

    def begin(self, t: Tenancy) -> None:
        self.number = t.ref.removeprefix("TEN")
        self.posted = self.sent = 0

    def add(self, ref: str, on: date, kind: str, method, pence: int, text: str | None = None):
        self.posted += 1
        self.transactions.append(
            {
                "transaction_ref": f"T{self.number}{self.posted:04d}",
                "tenancy_ref": ref,
                "posted_on": _iso(on),
                "type": kind,
                "method": method,
                "amount": pence / 100,
                "description": text,
            }
        )

    def letter(self, t: Tenancy, on: date, kind: str, person: str | None = None):
        self.sent += 1
        self.letters.append(
            {
                "letter_ref": f"L{self.number}{self.sent:03d}",
                "tenancy_ref": t.ref,
                "person_ref": person,
                "sent_on": on.isoformat(),
                "type": kind,
                "description": None,
            }
        )


PART = 250  # tenancies a part: what one process draws and imports at a time


class History:
    """The transactions and letters of every tenancy with a ledger, drawn a part (``PART``
    tenancies) at a time, each tenancy from a random stream of its own: a part's rows are
    the same whichever process draws it, in whatever order."""

    def __init__(self, seed: int, tenancies: list[Tenancy], as_of: date):
        self.seed, self.as_of = seed, as_of
        self.tenancies = sorted(
            (t for t in tenancies if t.ledger is not None), key=lambda t: t.ref
        )
        self.parts = -(-len(self.tenancies) // PART)

    def draw(self, part: int) -> tuple[list, list]:
        """(transaction rows, letter rows) of one part."""
        rows = _Rows()
        begin = ledger_start(self.as_of)
        for t in self.tenancies[part * PART : (part + 1) * PART]:
            rng = random.Random(f"{self.seed}/{t.ref}")
            rows.begin(t)
            long = t.weeks > 0 or t.legal is not None or not t.current
            weeks = LONG_WEEKS if long else SHORT_WEEKS
            start = max(monday_on_or_before(self.as_of) - days(7 * weeks), t.start)
            method, hb_share = _profile(rng, t)
            began = _statement(rng, rows, t, (start, begin, self.as_of), method, hb_share)
            if long and t.kind == "dwelling":
                _letters(rng, rows, t, began, self.as_of)
        return rows.transactions, rows.letters

    def draw_all(self) -> tuple[list, list]:
        transactions, letters = [], []
        for part in range(self.parts):
            more, sent = self.draw(part)
            transactions += more
            letters += sent
        return transactions, letters


def _statement(rng, rows: _Rows, t: Tenancy, span: tuple, method: str, hb_share: float):
    """One tenancy's transactions over ``span`` (start, ledger start, as_of); returns the
    day its current arrears began (None: not in arrears)."""
    start, begin, as_of = span
    opening, charges, payments = t.ledger
    end = min(t.end or as_of, begin - days(1))
    earlier_charges = []
    d = start + days((7 - start.weekday()) % 7)
    while d <= end:
        earlier_charges.append((d, _rent_on(t, d, begin)))
        d += WEEK
    charged = sum(c for _, c in earlier_charges)
    # Before the ledger: arrears built up from a small balance (credit, often).
    if start >= begin:
        brought = opening
    elif start == t.start:
        brought = 0
    elif t.weeks > 0:
        brought = round(t.rent * rng.uniform(-1.0, 1.5))
    else:
        brought = opening + round(t.rent * rng.uniform(-0.5, 0.5))
    earlier = []
    if start < begin:
        total = brought + charged - opening  # what must come in to reach the ledger's
        earlier = _earlier_payments(rng, t, start, end, total, method, hb_share)
        brought = opening - charged + sum(p for _, _, p in earlier)
    lines = []
    if brought or (start < begin and start != t.start):
        lines.append((start, 0, "opening", None, brought))
    lines += [(d, 1, "charge", None, c) for d, c in earlier_charges]
    lines += [(d, 2, _credit(m), m, -p) for d, m, p in earlier]
    lines += [(d, 1, "charge", None, c) for d, c in charges]
    for d, p in payments:
        lines += _window_credit(t, d, p, method, hb_share)
    lines.sort(key=lambda line: (line[0], line[1]))
    balance, began = 0, None
    for d, _, kind, how, pence in lines:
        rows.add(t.ref, d, kind, how, pence, "Rent" if kind == "charge" else None)
        before, balance = balance, balance + pence
        if balance > 0 >= before or (kind == "opening" and balance > 0):
            began = d
        elif balance <= 0:
            began = None
    return began


def _earlier_payments(rng, t: Tenancy, start, end, total: int, method: str, hb_share: float):
    """(date, method, pence) adding up to ``total`` over [start, end]: Housing Benefit
    four-weekly in arrears for its share (as councils pay landlords), the rest on the
    household's schedule, a payment missed now and then when in arrears."""
    if total <= 0 or end < start:
        return []
    out = []
    if hb_share:
        four_weeks = round(t.rent * hb_share) * 4
        d = start + days((7 - start.weekday()) % 7 + 30)
        while d <= end and total > four_weeks * 2:
            out.append((d, "housing_benefit", four_weeks))
            total -= four_weeks
            d += days(28)
    step = 28 if method == "managed_payment" else rng.choice((7, 14, 14, 30, 30))
    dates = []
    d, gap = start + days(rng.randint(0, min(step, 13))), days(step)
    while d <= end:
        if not (t.weeks > 0 and rng.random() < 0.12):
            dates.append(d)
        d += gap
    if not dates or total <= 0:
        return out
    weights = [rng.uniform(0.7, 1.3) for _ in dates]
    scale = total / sum(weights)
    amounts = [max(1, round(w * scale)) for w in weights]
    amounts[-1] += total - sum(amounts)
    out += [(d, method, a) for d, a in zip(dates, amounts, strict=True) if a > 0]
    return out


def _window_credit(t: Tenancy, d: date, pence: int, method: str, hb_share: float) -> list:
    """A payment of the snapshots' ledger, as the housing system posts it: Housing Benefit's
    part of the rent as a benefit credit, the rest by the household's method."""
    if not t.current:
        return [(d, 2, "payment", "card", -pence)]
    hb = min(pence, round(t.rent * hb_share)) if hb_share else 0
    out = [(d, 2, "benefit", "housing_benefit", -hb)] if hb else []
    if pence - hb:
        out.append((d, 2, _credit(method), method, -(pence - hb)))
    return out


def _letters(rng: random.Random, rows: _Rows, t: Tenancy, began: date | None, as_of: date):
    """The letters of the arrears process, dated from when the arrears began."""
    people = [p["person_ref"] for p in t.people]
    sent = []
    if began:
        sent += [(began + days(7), "arrears_reminder", None)]
        if rng.random() < 0.9:  # one letter to each named tenant
            sent += [(began + days(21), "arrears_letter", p) for p in people]
        elif people:
            sent += [(began + days(21), "arrears_letter", people[0])]
        sent += [(began + days(21), "income_expenditure_form", None)]
        if t.benefit != "none" or rng.random() < 0.5:
            sent += [(began + days(28), "benefit_advice", None)]
        if t.weeks >= 4:
            sent += [(began + days(35), "debt_advice", None)]
        d = began + days(91)
        while d <= as_of and rng.random() < 0.97:
            sent.append((d, "rent_statement", None))
            d += days(91)
    if t.arrangement:
        sent.append((t.arrangement["start"] - days(3), "arrangement_confirmation", None))
    legal = t.legal or {}
    served = legal.get("notice_served_date")
    if served:
        if rng.random() < 0.85:
            sent += [(served - days(21), "pre_action_letter", p) for p in people]
        sent.append((served, "notice_cover_letter", None))
    if legal.get("hearing_date") and legal.get("claim_date"):
        sent.append((legal["claim_date"] + days(3), "hearing_letter", None))
    if t.breathing:
        sent.append((t.breathing["start"] + days(2), "breathing_space_acknowledgement", None))
    for on, kind, person in sorted(sent, key=lambda s: (s[0], s[1], s[2] or "")):
        if on <= as_of and on >= t.start:
            rows.letter(t, on, kind, person)
