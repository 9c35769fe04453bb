"""The demo landlord's tenancies: one current tenancy per property, and for about 3% of
homes an earlier one that ended in arrears.

A ``Tenancy`` carries, besides its import row, what the later stages decide about it (its
household, arrears, benefit, arrangement, legal steps), so each stage reads the decisions
before it.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date

from sync.demo import data
from sync.demo.dates import days, iso, monday_on_or_before, years_before


@dataclass
class Tenancy:
    uprn: int
    kind: str  # property kind
    bedrooms: int | None
    tenure: str
    start: date
    end: date | None
    rent: int  # pence a week
    lead_age: int
    group: str
    ref: str = ""
    people: list = field(default_factory=list)
    # account state
    weeks: float = 0.0  # arrears target in weeks of rent on the latest snapshot
    benefit: str = "none"
    uc_day: int | None = None
    managed: bool = False
    deduction: int | None = None  # pence a week
    arrangement: dict | None = None
    legal: dict | None = None
    breathing: dict | None = None
    trend: str = "stable"
    # (balance before the ledger, charges, payments) the snapshots replay: sync.demo.accounts
    ledger: tuple | None = None

    @property
    def current(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Community:
    """Where a household's names come from; tenancies starting before ``since`` draw none."""

    name: str
    weight: int
    since: int  # the earliest tenancy start year
    not_fluent: float  # share not speaking English well
    language: str | None


COMMUNITIES = tuple(
    Community(
        r["community"],
        int(r["weight"]),
        int(r["since"]),
        float(r["not_fluent"]),
        r["language"] or None,
    )
    for r in data.rows("communities.csv")
)

_AGE_BANDS = (
    (18, 24, 5),
    (25, 34, 15),
    (35, 44, 17),
    (45, 54, 17),
    (55, 64, 17),
    (65, 74, 14),
    (75, 84, 10),
    (85, 96, 5),
)
_YOUNG_AGE_BANDS = (
    (18, 24, 30),
    (25, 34, 35),
    (35, 44, 15),
    (45, 54, 10),
    (55, 64, 6),
    (65, 80, 4),
)
_RENT_BANDS = {
    0: (70.0, 78.0),
    1: (78.0, 90.0),
    2: (88.0, 102.0),
    3: (98.0, 112.0),
    4: (108.0, 122.0),
}


def _draw_age(rng: random.Random, bands) -> int:
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(low, high)


def _truncated_exp(rng: random.Random, mean: float, high: float) -> float:
    """A draw from Exp(mean) conditioned to [0, high]."""
    if high <= 0:
        return 0.0
    return -mean * math.log(1 - rng.random() * (1 - math.exp(-high / mean)))


def weighted_pick(rng: random.Random, items: list, weight, count: int) -> list:
    """``count`` items sampled without replacement, favouring larger ``weight(item)``."""
    keyed = sorted(
        ((-math.log(1 - rng.random()) / max(weight(x), 1e-9), i) for i, x in enumerate(items))
    )
    return [items[i] for _, i in keyed[:count]]


def _rent(rng: random.Random, bedrooms: int | None) -> int:
    if bedrooms is None:
        return round(rng.uniform(10.0, 15.0) * 4) * 25  # garages: to the quarter pound
    low, high = _RENT_BANDS[min(bedrooms, 4)]
    share = min(1.0, max(0.0, rng.gauss(0.3, 0.2)))
    return round((low + (high - low) * share) * 100)


def tenancies(
    rng: random.Random, properties: list[dict], bedrooms: list, as_of: date
) -> list[Tenancy]:
    out: list[Tenancy] = []
    earliest = date(1995, 1, 2)
    for prop, beds in zip(properties, bedrooms, strict=True):
        garage = prop["kind"] == "garage"
        rent = _rent(rng, beds)
        if garage:
            tenure = "garage"
        else:
            tenure = rng.choices(("secure", "introductory", "flexible"), weights=(84, 9, 7))[0]
        age = _draw_age(rng, _YOUNG_AGE_BANDS if tenure == "introductory" else _AGE_BANDS)
        if tenure in ("secure", "flexible"):
            age = max(age, 20)
        dob_limit = years_before(as_of, age - 18)  # the date they turned 18, roughly
        if tenure == "introductory":
            ago = rng.randint(1, 84) if rng.random() < 0.33 else rng.randint(85, 364)
        else:
            low = 0 if (garage or rng.random() < 0.008) else 365
            first = max(
                earliest, dob_limit, date(2013, 4, 1) if tenure == "flexible" else earliest
            )
            span = max(low, (as_of - first).days)
            ago = low + int(_truncated_exp(rng, 18 * 365, span - low))
            if low == 0:
                ago = max(ago, 1)
        start = monday_on_or_before(as_of - days(ago))
        group = _draw_group(rng, start)
        out.append(
            Tenancy(prop["uprn"], prop["kind"], beds, tenure, start, None, rent, age, group)
        )
    out += _earlier_tenancies(rng, out, as_of)
    return out


def _earlier_tenancies(rng: random.Random, current: list[Tenancy], as_of: date) -> list[Tenancy]:
    """About 3% of dwellings had an earlier tenancy that ended with arrears; the current one
    then started recently."""
    out = []
    for t in [t for t in current if t.kind == "dwelling"]:
        if rng.random() >= 0.03:
            continue
        if t.tenure == "introductory":
            t.start = monday_on_or_before(as_of - days(rng.randint(30, 360)))
        else:
            t.start = monday_on_or_before(as_of - days(rng.randint(365, 1100)))
        t.lead_age = max(t.lead_age, 19 + (as_of - t.start).days // 365)
        end = t.start - days(rng.randint(7, 56) // 7 * 7 + 1)  # a Sunday
        length = max(30, int(_truncated_exp(rng, 6 * 365, (end - date(1988, 1, 4)).days)))
        start = monday_on_or_before(end - days(length))
        tenure = (
            "introductory"
            if (end - start).days < 365 and start >= date(1997, 4, 1)
            else ("flexible" if start >= date(2013, 4, 1) and rng.random() < 0.1 else "secure")
        )
        years = (as_of - end).days / 365
        rent = round(t.rent * (1 - 0.03 * years) * rng.uniform(0.97, 1.0))
        age = max(_draw_age(rng, _AGE_BANDS), 18 + math.ceil((as_of - start).days / 365))
        out.append(
            Tenancy(
                t.uprn, t.kind, t.bedrooms, tenure, start, end, rent, age, _draw_group(rng, start)
            )
        )
    return out


def _draw_group(rng: random.Random, start: date) -> str:
    eligible = [c for c in COMMUNITIES if start.year >= c.since]
    return rng.choices([c.name for c in eligible], weights=[c.weight for c in eligible])[0]


def assign_refs(rng: random.Random, tenancies: list[Tenancy]) -> None:
    """Tenancy references in order of start date, as a housing system would issue them."""
    number = 10000
    for t in sorted(tenancies, key=lambda t: (t.start, t.uprn, t.end is None)):
        number += rng.randint(1, 3)
        t.ref = f"TEN{number:07d}"


def tenancy_rows(tenancies: list[Tenancy]) -> list[dict]:
    """The tenancies in the nightly import format, by reference."""
    return [
        {
            "tenancy_ref": t.ref,
            "uprn": t.uprn,
            "tenure": t.tenure,
            "start_date": iso(t.start),
            "end_date": iso(t.end),
            "weekly_rent": t.rent / 100,
        }
        for t in sorted(tenancies, key=lambda t: t.ref)
    ]
