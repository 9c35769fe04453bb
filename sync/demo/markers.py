"""Warning markers on about 1.5% of the demo landlord's homes: each records one incident
(numbered through its year), behind one or two markers, some expired and some overdue for
review.

The markers' descriptions come from ``sync/demo/data/marker_notes.csv``: some are about the
person (they follow the tenancy), some about the property (anyone visiting it).
"""

import random
from datetime import date

from sync.demo import data
from sync.demo.dates import MONTHS, add_months, days, iso
from sync.demo.tenancies import Tenancy, weighted_pick

_MARKER_WEIGHTS = (
    ("no_lone_visits", 26),
    ("verbal_abuse", 26),
    ("physical_abuse", 7),
    ("dangerous_animals", 13),
    ("unsafe_environment", 10),
    ("do_not_attend", 5),
    ("no_female_staff", 5),
    ("interpreter_needed", 8),
)
# ("person" or "property", marker code) -> descriptions
_NOTES = data.grouped("marker_notes.csv", "note", "about", "code")


def markers(rng: random.Random, tenancies: list[Tenancy], as_of: date) -> list[dict]:
    """Marker rows in order of start date, with references issued in that order."""
    chosen, interpreters = _marked(rng, tenancies)
    drafts = []
    numbers: dict[int, int] = {}
    for incident, _, t, code, start, review, end in _incidents(rng, chosen, interpreters, as_of):
        # Incident reports are numbered through the year, about one a working day.
        number = max(
            numbers.get(incident.year, 0) + 1,
            round(incident.timetuple().tm_yday * 0.6) + rng.randint(0, 4),
        )
        numbers[incident.year] = number
        source = (
            f"Incident IR-{incident.year}-{number:04d}, {incident.day} "
            f"{MONTHS[incident.month - 1]} {incident.year}"
        )
        for c in [code, "no_lone_visits"] if code == "physical_abuse" else [code]:
            text, tenancy_ref = _description(rng, t, c, code)
            drafts.append(
                {
                    "uprn": t.uprn,
                    "tenancy_ref": tenancy_ref,
                    "code": c,
                    "description": text,
                    "source_incident": source,
                    "start_date": start,
                    "review_date": review,
                    "end_date": end,
                }
            )
    drafts.sort(key=lambda m: (m["start_date"], m["uprn"], m["code"]))
    rows = []
    number = 100
    for m in drafts:
        number += rng.randint(1, 4)
        rows.append(
            {
                "marker_ref": f"WM{number:06d}",
                **m,
                "start_date": iso(m["start_date"]),
                "review_date": iso(m["review_date"]),
                "end_date": iso(m["end_date"]),
            }
        )
    return rows


def _marked(rng: random.Random, tenancies: list[Tenancy]) -> tuple[list[Tenancy], set[int]]:
    """The current dwellings with a marker, by reference, and the homes whose marker is the
    need for an interpreter; arrears cases are twice as likely to have had an incident."""
    dwellings = [t for t in tenancies if t.current and t.kind == "dwelling"]
    count = round(0.015 * len(dwellings) / 1.07)
    needs_interpreter = [t for t in dwellings if any(p["interpreter_needed"] for p in t.people)]
    chosen = weighted_pick(rng, needs_interpreter, lambda t: 1.0, round(count * 0.07))
    taken = {t.uprn for t in chosen}
    others = [t for t in dwellings if t.uprn not in taken]
    chosen += weighted_pick(
        rng, others, lambda t: 2.0 if t.weeks > 2 else 1.0, count - len(chosen)
    )
    chosen.sort(key=lambda t: t.ref)
    return chosen, taken


def _incidents(
    rng: random.Random, chosen: list[Tenancy], interpreters: set[int], as_of: date
) -> list[tuple]:
    """(incident date, uprn, tenancy, code, start, review, end) for each marked tenancy, in
    order of incident. Markers are reviewed after 3 or 12 months; some have expired and some
    are overdue for review."""
    weights = [(c, w) for c, w in _MARKER_WEIGHTS if c != "interpreter_needed"]
    events = []
    for t in chosen:
        if t.uprn in interpreters:
            code = "interpreter_needed"
        else:
            code = rng.choices([c for c, _ in weights], weights=[w for _, w in weights])[0]
        months = 3 if rng.random() < 0.3 else 12
        held = (as_of - t.start).days  # how long this tenancy has run
        if held > 260 and rng.random() < 0.15:  # expired
            start = as_of - days(rng.randint(200, min(1500, held)))
            end = min(start + days(rng.randint(90, 730)), as_of - days(rng.randint(1, 60)))
        else:
            period = months * 30
            if rng.random() < 0.8:
                start = as_of - days(rng.randint(7, period - 3))
            else:
                start = as_of - days(period + rng.randint(1, 120))  # review overdue
            start = max(start, t.start)
            end = None
        incident = max(t.start, start - days(rng.randint(0, 14)))
        events.append((incident, t.uprn, t, code, start, add_months(start, months), end))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _description(rng: random.Random, t: Tenancy, c: str, code: str) -> tuple[str, str | None]:
    """The text of marker ``c`` for an incident marked ``code``, and the tenancy it follows
    (None: it stays with the property)."""
    if c == "interpreter_needed":
        language = next(p for p in t.people if p["interpreter_needed"])["language"]
        text = f"{language} speaker; book an interpreter (telephone is fine) for visits."
        tenancy_ref = t.ref
    elif ("property", c) in _NOTES and rng.random() < 0.5:
        text, tenancy_ref = rng.choice(_NOTES["property", c]), None
    else:
        text, tenancy_ref = rng.choice(_NOTES["person", c]), t.ref
    if c == "no_lone_visits" and code == "physical_abuse":
        text = "Following an assault on staff: visit in pairs only."
    return text, tenancy_ref
