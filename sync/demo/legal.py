"""Legal steps on the demo landlord's worst arrears cases: notices, possession claims, court
orders and warrants, each step dated after the one before it.

The stages come deepest first (warrants, orders, claims, notices), in numbers that scale with
the landlord's size; when too few cases are deep enough for a stage, some are deepened, so
every stage a team leader expects to see is represented.
"""

import random
from datetime import date

from sync.demo.dates import days, iso, weekday_on_or_after, weekday_on_or_before
from sync.demo.tenancies import Tenancy, weighted_pick

# Per 10,800 properties, and the arrears (weeks of rent) a case needs for the stage.
_WANTED = {"warrant": 5, "order": 10, "claim": 12, "notice": 30}
_THRESHOLDS = {"warrant": 10.0, "order": 8.0, "claim": 8.0, "notice": 6.0}

# Each step's date field, and the fields an account snapshot shows once that date is past.
_LEGAL_STEPS = (
    ("notice_served_date", ("notice_type", "notice_served_date", "notice_expiry_date")),
    ("claim_date", ("claim_date", "hearing_date")),
    ("order_date", ("order_type", "order_date")),
    ("warrant_date", ("warrant_date", "eviction_date")),
)
NO_LEGAL = {f: None for _, fields in _LEGAL_STEPS for f in fields}


def assign_legal_steps(
    rng: random.Random, established: list[Tenancy], as_of: date, property_count: int
) -> None:
    """Legal steps, deepest first, on cases with enough arrears: sets ``t.legal``."""
    scale = property_count / 10800
    for stage in ("warrant", "order", "claim", "notice"):
        count = round(_WANTED[stage] * scale)
        if property_count >= 300:
            count = max(1, count)
        old_enough = as_of - days(730 if stage in ("warrant", "order") else 130)
        pool = [t for t in established if t.legal is None and t.start <= old_enough]
        ready = [t for t in pool if t.weeks >= _THRESHOLDS[stage]]
        if len(ready) < count:  # deepen some arrears cases so the stage is represented
            others = [t for t in pool if t.weeks < _THRESHOLDS[stage]]
            for t in weighted_pick(rng, others, lambda t: 1 + max(t.weeks, 0), count - len(ready)):
                t.weeks = _THRESHOLDS[stage] + rng.uniform(0, 12)
                if t.benefit == "none" and t.lead_age < 66 and rng.random() < 0.6:
                    t.benefit, t.uc_day = "universal_credit", rng.randint(1, 28)
            ready = [t for t in pool if t.weeks >= _THRESHOLDS[stage]]
        # Introductory tenancies are a share of early notices and claims (notices to quit).
        trial = [t for t in ready if t.tenure == "introductory"]
        picked = weighted_pick(rng, trial, lambda t: t.weeks, round(count * 0.1))
        taken = {t.uprn for t in picked}
        ready = [t for t in ready if t.uprn not in taken]
        picked += weighted_pick(rng, ready, lambda t: t.weeks, count - len(picked))
        for t in picked:
            t.legal = _legal_chain(rng, stage, t, as_of)
            t.legal["stage"] = stage


def legal_fields(legal: dict | None, on: date) -> dict:
    """The legal fields of an account snapshot taken ``on``: only steps already taken."""
    out: dict = {}
    for key, fields in _LEGAL_STEPS:
        happened = bool(legal) and legal.get(key) is not None and legal[key] <= on
        for f in fields:
            value = legal.get(f) if happened else None
            out[f] = iso(value) if isinstance(value, date) else value
    return out


def _notice(rng: random.Random, tenure: str, served: date) -> dict:
    notice_type = {
        "introductory": "notice_to_quit",
        "assured": "section_8",
        "starter": "section_8",
    }.get(tenure, "nosp")
    if notice_type == "notice_to_quit":
        expiry = served + days(28)
        expiry += days((6 - expiry.weekday()) % 7)  # the end of a rent week (Sunday)
    else:
        expiry = served + days(rng.randint(28, 35))
    return {"notice_type": notice_type, "notice_served_date": served, "notice_expiry_date": expiry}


def _legal_chain(rng: random.Random, stage: str, t: Tenancy, as_of: date) -> dict:
    """Every step up to ``stage``, dated backwards from ``as_of`` (a notice, a claim) or from
    the court order (an order, a warrant)."""
    if stage == "notice":
        served = weekday_on_or_before(as_of - days(rng.randint(7, 180)))
        served = max(served, weekday_on_or_after(t.start + days(56)))
        return _notice(rng, t.tenure, served)
    if stage == "claim":
        return _claim(rng, t, as_of)
    return _order(rng, stage, t, as_of)


def _claim(rng: random.Random, t: Tenancy, as_of: date) -> dict:
    """A notice, then a claim after it expired; most claims have a hearing booked."""
    served = weekday_on_or_before(as_of - days(rng.randint(70, 240)))
    served = max(served, weekday_on_or_after(t.start + days(56)))
    legal = _notice(rng, t.tenure, served)
    expiry = legal["notice_expiry_date"]
    claim = min(expiry + days(rng.randint(7, 70)), as_of - days(rng.randint(5, 12)))
    claim = weekday_on_or_before(max(claim, expiry + days(1)))
    if claim <= expiry:
        claim = weekday_on_or_after(expiry + days(1))
    hearing = None
    if rng.random() < 0.88 or claim < as_of - days(42):
        hearing = weekday_on_or_after(as_of + days(rng.randint(7, 42)))
    return {**legal, "claim_date": claim, "hearing_date": hearing}


def _order(rng: random.Random, stage: str, t: Tenancy, as_of: date) -> dict:
    """A court order (and for ``stage`` "warrant", a warrant with an eviction booked), with
    the claim and notice before it."""
    if stage == "order":
        order_type = rng.choices(("suspended", "outright", "adjourned"), weights=(70, 12, 18))[0]
        back = rng.randint(7, 40) if order_type == "outright" else rng.randint(14, 300)
    else:
        order_type = rng.choices(("suspended", "outright"), weights=(75, 25))[0]
        back = rng.randint(60, 400) if order_type == "suspended" else rng.randint(35, 90)
    order_date = weekday_on_or_before(as_of - days(back))
    claim = weekday_on_or_before(order_date - days(rng.randint(35, 63)))
    expiry_limit = claim - days(rng.randint(7, 60))
    served = weekday_on_or_before(expiry_limit - days(rng.randint(28, 35)))
    legal = _notice(rng, t.tenure, served)
    legal.update(
        {
            "claim_date": claim,
            "hearing_date": order_date,
            "order_type": order_type,
            "order_date": order_date,
        }
    )
    if stage == "warrant":
        warrant = weekday_on_or_before(
            max(order_date + days(28), as_of - days(rng.randint(7, 42)))
        )
        warrant = min(warrant, weekday_on_or_before(as_of - days(3)))
        legal.update(
            {
                "warrant_date": warrant,
                "eviction_date": weekday_on_or_after(as_of + days(rng.randint(7, 28))),
            }
        )
    return legal
