"""The demo landlord's rent accounts: six weekly snapshots per tenancy, with the arrears,
benefit, arrangement, legal steps and Breathing Space a housing system would export.

First each account's latest position is decided (``accounts_state``); then a ledger of weekly
rent charges and payments over the window, shaped by how the balance has moved (rising,
falling, an arrangement kept or breached), is replayed to give each snapshot's balance.
"""

import math
import random
from datetime import date

from sync.demo.dates import add_months, days, iso
from sync.demo.legal import NO_LEGAL, assign_legal_steps, legal_fields
from sync.demo.tenancies import Tenancy, weighted_pick

WINDOW_WEEKS = 6  # account snapshots per tenancy


def accounts_state(
    rng: random.Random,
    legal_rng: random.Random,
    tenancies: list[Tenancy],
    as_of: date,
    property_count: int,
) -> None:
    """Decide each account's latest position: arrears, benefit, arrangement, legal steps."""
    window_start = as_of - days(7 * (WINDOW_WEEKS - 1))
    _arrears_and_benefit(rng, tenancies, as_of)
    dwellings = [t for t in tenancies if t.current and t.kind == "dwelling"]
    established = [t for t in dwellings if t.start <= as_of - days(130)]
    assign_legal_steps(legal_rng, established, as_of, property_count)
    arrears = [t for t in dwellings if t.weeks > 0]
    _breathing_spaces(rng, arrears, as_of, property_count)
    _universal_credit_payments(rng, dwellings, as_of)
    _arrangements(rng, arrears, dwellings, as_of)
    _trends(rng, tenancies, window_start)


def _arrears_and_benefit(rng: random.Random, tenancies: list[Tenancy], as_of: date) -> None:
    """Arrears in weeks of rent (negative: in credit) and the benefit each household gets:
    new tenancies and working-age households fall behind more often than pensioners."""
    for t in tenancies:
        if not t.current:
            t.weeks = math.exp(rng.gauss(math.log(8), 0.9))
            continue
        new = t.start > as_of - days(84)
        if t.kind == "garage":
            t.weeks = rng.uniform(1, 8) if rng.random() < 0.12 else 0.0
            if t.weeks == 0.0 and rng.random() < 0.3:
                t.weeks = -rng.uniform(0.5, 4)
            continue
        pensioner = t.lead_age >= 66
        chance = 0.55 if new else 0.10 if pensioner else 0.375
        if rng.random() < chance:
            t.weeks = min(60.0, max(0.15, math.exp(rng.gauss(math.log(2.4), 1.0))))
            if new:
                t.weeks = min(t.weeks, (as_of - t.start).days / 7 + 1)
        elif rng.random() < 0.55:
            t.weeks = -min(8.0, math.exp(rng.gauss(math.log(0.8), 0.8)))
        if pensioner:
            t.benefit = "housing_benefit" if rng.random() < 0.68 else "none"
        else:
            uc = 0.68 if t.weeks > 0 else 0.4
            r = rng.random()
            t.benefit = (
                "universal_credit" if r < uc else "housing_benefit" if r < uc + 0.04 else "none"
            )
        if t.benefit == "universal_credit":
            t.uc_day = rng.randint(1, 28)


def _breathing_spaces(
    rng: random.Random, arrears: list[Tenancy], as_of: date, property_count: int
) -> None:
    """Breathing Space on about 1% of arrears cases, none with legal steps."""
    count = round(0.01 * len(arrears))
    if property_count >= 300:
        count = max(1, count)
    pool = [
        t for t in arrears if t.legal is None and t.weeks >= 1.5 and t.start <= as_of - days(130)
    ]
    chosen = weighted_pick(rng, pool, lambda t: 1.0, count)
    ended = round(count * 0.08) if count >= 5 else 0
    for i, t in enumerate(chosen):
        if i < ended:
            start = as_of - days(rng.randint(65, 150))
            t.breathing = {"type": "standard", "start": start, "end": start + days(60)}
        elif rng.random() < 0.2:
            start = as_of - days(rng.randint(10, 200))
            end = None if rng.random() < 0.5 else as_of + days(rng.randint(10, 90))
            t.breathing = {"type": "mental_health_crisis", "start": start, "end": end}
        else:
            start = as_of - days(rng.randint(1, 59))
            t.breathing = {"type": "standard", "start": start, "end": start + days(60)}
        t.breathing["start"] = max(t.breathing["start"], t.start + days(28))


def _universal_credit_payments(rng: random.Random, dwellings: list[Tenancy], as_of: date) -> None:
    """Universal Credit: managed payments and deductions for arrears."""
    for t in dwellings:
        if t.benefit != "universal_credit" or t.weeks <= 0 or t.start > as_of - days(84):
            continue
        if t.weeks >= 8 and rng.random() < 0.55:
            t.managed = True
        if t.weeks >= 4 and rng.random() < 0.35:
            t.deduction = rng.randint(36, 100) * 25


def _arrangements(
    rng: random.Random, arrears: list[Tenancy], dwellings: list[Tenancy], as_of: date
) -> None:
    """Arrangements: about 40% of arrears cases, plus a few completed on cleared accounts.
    A suspended order carries its own arrangement, from the order's date."""
    for t in arrears:
        if t.start > as_of - days(50):
            continue
        stage = t.legal["stage"] if t.legal else None
        if stage in ("order", "warrant") and t.legal["order_type"] == "suspended":
            status = "breached" if stage == "warrant" or rng.random() < 0.4 else "live"
            t.arrangement = _arrangement(rng, t, as_of, status, start=t.legal["order_date"])
            if status == "breached":
                low = t.legal["order_date"] + days(14)
                t.arrangement["change"] = min(
                    as_of, low + days(rng.randint(0, max(0, (as_of - low).days - 7)))
                )
                if stage == "warrant":
                    t.arrangement["change"] = min(
                        t.arrangement["change"], t.legal["warrant_date"] - days(7)
                    )
            continue
        if rng.random() >= (0.5 if stage else 0.4):
            continue
        status = rng.choices(("live", "breached", "cancelled"), weights=(74, 21, 5))[0]
        if stage and status == "live" and rng.random() < 0.5:
            status = "breached"
        t.arrangement = _arrangement(rng, t, as_of, status)
    made = sum(1 for t in arrears if t.arrangement)
    cleared = [t for t in dwellings if t.weeks <= 0 and t.start <= as_of - days(200)]
    for t in weighted_pick(rng, cleared, lambda t: 1.0, round(made * 0.05)):
        t.arrangement = _arrangement(rng, t, as_of, "completed")


def _trends(rng: random.Random, tenancies: list[Tenancy], window_start: date) -> None:
    """How the balance has moved over the snapshot window."""
    for t in tenancies:
        if not t.current:
            t.trend = "former"
        elif t.arrangement and t.arrangement["status"] in ("live", "completed"):
            t.trend = "arrangement"
        elif t.arrangement and t.arrangement["status"] in ("breached", "cancelled"):
            t.trend = "breached"
        elif t.breathing or t.weeks <= 0:
            t.trend = "stable"
        else:
            t.trend = rng.choices(("rising", "stable", "falling"), weights=(45, 35, 20))[0]
        if t.start > window_start - days(28):
            t.trend = "new"


def _arrangement(
    rng: random.Random, t: Tenancy, as_of: date, status: str, start: date | None = None
) -> dict:
    if t.benefit == "universal_credit":
        frequency = rng.choices(("weekly", "fortnightly", "monthly"), weights=(30, 10, 60))[0]
    else:
        frequency = rng.choices(("weekly", "fortnightly", "monthly"), weights=(60, 18, 22))[0]
    if frequency == "monthly":
        amount = rng.choice((15, 20, 20, 25, 30, 40, 40, 50, 60, 75, 100)) * 100
        weekly = round(amount * 12 / 52)
    else:
        weekly = rng.choice((3, 4, 5, 5, 6, 7.5, 8, 10, 10, 12, 15, 15, 20, 25))
        weekly = round(weekly * 100)
        amount = weekly * (2 if frequency == "fortnightly" else 1)
    if start is None:
        start = as_of - days(rng.randint(21, 300))
        start = max(start, t.start + days(28))
    change = None  # when it was breached, completed or cancelled
    if status != "live":
        earliest = max(start + days(14), as_of - days(40))
        change = earliest + days(rng.randint(0, max(0, (as_of - earliest).days - 3)))
        change = min(change, as_of)
    return {
        "amount": amount,
        "weekly": weekly,
        "frequency": frequency,
        "start": start,
        "status": status,
        "change": change,
    }


def _payment_dates(rng: random.Random, mode: str, begin: date, as_of: date) -> list[date]:
    """Dates of regular payments in [begin, as_of - 1], newest last."""
    dates: list[date] = []
    if mode in ("weekly", "fourweekly"):
        step = 7 if mode == "weekly" else 28
        d = as_of - days(rng.randint(1, step))
        while d >= begin:
            dates.append(d)
            d -= days(step)
    elif mode == "monthly":
        day = rng.randint(1, 28)
        if day == as_of.day:
            day = day % 28 + 1
        month = date(as_of.year, as_of.month, 1)
        while True:
            d = month.replace(day=day)
            if d < begin:
                break
            if d < as_of:
                dates.append(d)
            month = add_months(month, -1)
    return dates[::-1]


def ledger_start(as_of: date) -> date:
    """The first day of the ledger the snapshots replay: five weeks before the first."""
    return as_of - days(7 * (WINDOW_WEEKS - 1) + 35)


def _ledger(rng: random.Random, t: Tenancy, as_of: date) -> tuple[int, list, list]:
    """(opening balance, charges, payments) over the window: lists of (date, pence)."""
    begin = ledger_start(as_of)
    target = round(t.weeks * t.rent)
    if not t.current:
        payments = _former_payments(rng, begin, as_of)
        return target + sum(p for _, p in payments), [], payments
    charge_from = max(begin, t.start)
    first_monday = charge_from + days((7 - charge_from.weekday()) % 7)
    charges = []
    d = first_monday
    while d <= as_of:
        charges.append((d, t.rent))
        d += days(7)
    base, after = _weekly_payment(rng, t)
    change = t.arrangement["change"] if t.arrangement and after is not None else None
    sporadic = t.weeks >= 8 and t.trend in ("rising", "breached", "stable") and not t.managed
    if sporadic:
        payments = _sporadic_payments(rng, t, (base, after, change), begin, as_of)
    else:
        payments = _regular_payments(rng, t, (base, after, change), begin, as_of)
    if t.trend == "new":
        opening = 0
    else:
        opening = target - sum(c for _, c in charges) + sum(p for _, p in payments)
    return opening, charges, payments


def _former_payments(rng: random.Random, begin: date, as_of: date) -> list[tuple[date, int]]:
    """A fifth of former tenants pay something towards their debt now and then."""
    payments = []
    if rng.random() < 0.2:
        d = as_of - days(rng.randint(1, 30))
        while d >= begin:
            payments.append((d, rng.choice((5, 10, 10, 15, 20, 25)) * 100))
            d -= days(rng.randint(25, 35))
        payments.reverse()
    return payments


def _weekly_payment(rng: random.Random, t: Tenancy) -> tuple[int, int | None]:
    """What the household pays a week (pence) to move the balance along its trend, and what
    it pays after its arrangement changed (None: no change)."""
    rent = t.rent
    arrangement = t.arrangement
    weekly_extra = arrangement["weekly"] if arrangement else round(rng.uniform(3, 15) * 100)
    if t.trend == "new":
        if t.weeks > 0 and t.benefit == "universal_credit":
            base, after = 0, None  # waiting for the first Universal Credit payment
        elif t.weeks > 0:
            base, after = round(rent * rng.uniform(0.4, 0.85)), None
        else:
            base, after = rent, None
    elif t.trend == "arrangement":
        base = rent + weekly_extra
        after = rent if arrangement["status"] == "completed" else None
    elif t.trend == "breached":
        base = rent + weekly_extra
        after = round(rent * rng.uniform(0.2, 0.8))
    elif t.trend == "rising":
        base, after = round(rent * rng.uniform(0.5, 0.9)), None
    elif t.trend == "falling":
        base, after = rent + weekly_extra, None
    else:
        base, after = rent, None
    if t.deduction:
        base += t.deduction
        if after is not None:
            after += t.deduction
    return base, after


def _sporadic_payments(
    rng: random.Random, t: Tenancy, rates: tuple, begin: date, as_of: date
) -> list[tuple[date, int]]:
    """Deep arrears cases pay irregularly: every ten days to a month, roughly what they owe
    for the gap; ``rates`` is (weekly, weekly after ``change``, change)."""
    base, after, change = rates
    lo = 12 if t.weeks >= 15 else 5
    d = as_of - days(rng.randint(lo, 30))
    dates = []
    while d >= max(begin, t.start):
        dates.append(d)
        d -= days(rng.randint(10, 30))
    dates.reverse()
    payments = []
    previous = None
    for d in dates:
        gap = (d - previous).days if previous else 21
        weekly = after if (change and d >= change) else base
        payments.append((d, max(500, round(weekly * gap / 7 * rng.uniform(0.6, 1.2)))))
        previous = d
    return payments


def _regular_payments(
    rng: random.Random, t: Tenancy, rates: tuple, begin: date, as_of: date
) -> list[tuple[date, int]]:
    """Payments on a schedule: four-weekly for managed payments, monthly for Universal
    Credit and some others, else weekly; ``rates`` is (weekly, weekly after ``change``,
    change)."""
    base, after, change = rates
    if t.managed:
        mode, periods = "fourweekly", 4.0
    elif t.benefit == "universal_credit" or (t.kind == "dwelling" and rng.random() < 0.3):
        mode, periods = "monthly", 52 / 12
    else:
        mode, periods = "weekly", 1.0
    if t.trend == "new" and base == 0:
        dates = []
    else:
        dates = _payment_dates(rng, mode, max(begin, t.start), as_of)
    payments = []
    for d in dates:
        weekly = after if (change and d >= change) else base
        amount = round(weekly * periods)
        if amount <= 0:
            amount = rng.choice((5, 10, 20)) * 100  # a token payment
        payments.append((d, amount))
    return payments


def accounts(rng: random.Random, tenancies: list[Tenancy], as_of: date) -> list[dict]:
    """Account snapshot rows, weekly over the window, by tenancy reference: each replays the
    ledger up to its date and shows the arrangement, legal steps and Breathing Space known
    by then."""
    rows = []
    snapshot_dates = [as_of - days(7 * k) for k in range(WINDOW_WEEKS - 1, -1, -1)]
    for t in sorted(tenancies, key=lambda t: t.ref):
        opening, charges, payments = _ledger(rng, t, as_of)
        t.ledger = (opening, charges, payments)  # the statement's last weeks (transactions)
        last_paid = None
        if not t.current:
            last_paid = (
                max(t.start, t.end - days(rng.randint(0, 60))),
                round(t.rent * rng.choice((1, 2, 4))),
            )
        dated = t.current and t.start > snapshot_dates[0]
        balance, ci, pi = opening, 0, 0
        fixed = {
            "tenancy_ref": t.ref,
            "benefit": t.benefit,
            "uc_managed_payment": t.managed,
            "uc_deduction_weekly": t.deduction / 100 if t.deduction else None,
            "uc_assessment_day": t.uc_day,
        }
        for d in snapshot_dates:
            while ci < len(charges) and charges[ci][0] <= d:
                balance += charges[ci][1]
                ci += 1
            while pi < len(payments) and payments[pi][0] <= d:
                balance -= payments[pi][1]
                last_paid = payments[pi]
                pi += 1
            if dated and d < t.start:
                continue
            row = {
                "tenancy_ref": t.ref,
                "as_of": d.isoformat(),
                "balance": balance / 100,
                "arrears_weeks": None,
                "last_payment_date": last_paid[0].isoformat() if last_paid else None,
                "last_payment_amount": last_paid[1] / 100 if last_paid else None,
                **fixed,
                **_arrangement_fields(t.arrangement, d),
                **(legal_fields(t.legal, d) if t.legal else NO_LEGAL),
                **_breathing_fields(t.breathing, d),
            }
            rows.append(row)
    return rows


def _arrangement_fields(a: dict | None, on: date) -> dict:
    """The arrangement as a snapshot taken ``on`` shows it: none before it started, and
    live (or breached, if later cancelled) before it changed."""
    if not (a and a["start"] <= on):
        return dict.fromkeys(
            (
                "arrangement_amount",
                "arrangement_frequency",
                "arrangement_start",
                "arrangement_status",
            )
        )
    status = a["status"]
    if a["change"] and on < a["change"]:
        status = "breached" if status == "cancelled" else "live"
    return {
        "arrangement_amount": a["amount"] / 100,
        "arrangement_frequency": a["frequency"],
        "arrangement_start": a["start"].isoformat(),
        "arrangement_status": status,
    }


def _breathing_fields(b: dict | None, on: date) -> dict:
    shown = b and b["start"] <= on
    return {
        "breathing_space_type": b["type"] if shown else None,
        "breathing_space_start": iso(b["start"]) if shown else None,
        "breathing_space_end": iso(b["end"]) if shown else None,
    }
