"""Paired visits happen together: both officers start the visit at the same minute.

A paired visit is booked as a window (from, to) in both officers' days, and each day is
first planned on its own: each officer would start it when it suits their own route
(one at 10:37, the other at 10:56). Then, visit by visit, both days are planned again
with the visit fixed at one minute inside the booked window: the later of the two
starts (the earlier officer's route shifts, or they wait), else the earlier. Each day
keeps the minutes already agreed for its earlier paired visits, so every pair of the
week holds; the week planner's later passes keep them too (``holds``).
"""

from datetime import datetime, timedelta

from sync.casework.days import WEEK_PATIENCE, compose
from sync.clock import LONDON
from sync.errors import ValidationFailed


def _minute(draft: tuple, uprn: int) -> str | None:
    """When the plan starts the visit to ``uprn`` (England, ``HH:MM``, rounded up to the
    minute), or None when it is not planned."""
    stop = next((s for s in draft[3]["stops"] if s["uprn"] == uprn), None)
    if stop is None:
        return None
    at = datetime.fromisoformat(stop["start_at"]).astimezone(LONDON)
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at.strftime("%H:%M")


def homes(draft: tuple) -> set[int]:
    """The homes a drafted day visits."""
    return {s["uprn"] for s in draft[3]["stops"]}


def holds(booked: list[dict], draft: tuple) -> bool:
    """Every paired visit booked for the day is in its plan."""
    return {v["uprn"] for v in booked} <= homes(draft)


def redraft(db, caller, entry: list, request_day: dict, taken: set[int], **solve) -> tuple:
    """A drafted day planned again from its own route: ``entry`` is its
    ``[booked, draft, request, found]`` (see sync.casework.weeks), ``request_day`` what to
    plan, ``taken`` the homes other days hold (its own paired visits stay open to it);
    ``solve``: provider, time_limit, exploration, patience."""
    booked, draft, _, found = entry
    return compose(
        db,
        caller,
        request_day,
        **solve,
        fixed=None,
        exclude=taken - {v["uprn"] for v in booked},
        found=found,
        initial=[s["uprn"] for s in draft[3]["stops"]],
    )


def meet(db, caller, drafts: dict, paired: list[dict], *, provider, time_limit: float) -> None:
    """Re-plan both officers' days of each paired visit so that they start it at the same
    minute; ``drafts[(officer_id, day)]`` is ``[booked, draft, request, found]`` (see
    sync.casework.weeks), changed in place. ``ValidationFailed`` naming ``paired`` when
    no minute suits both days."""
    for visit in sorted(paired, key=lambda v: (v["date"], v["from"], v["uprn"])):
        keys = [(officer_id, visit["date"]) for officer_id in visit["officer_ids"]]
        minutes = [_minute(drafts[k][1], visit["uprn"]) for k in keys]
        for minute in sorted({m for m in minutes if m}, reverse=True):
            redone = _at(db, caller, drafts, keys, visit, minute, provider, time_limit)
            if redone is not None:
                for key, (request_day, draft) in redone.items():
                    drafts[key][1], drafts[key][2] = draft, request_day
                break
        else:
            names = " and ".join(drafts[k][1][0]["username"] for k in keys)
            raise ValidationFailed(
                f"{names} cannot both be at home {visit['uprn']} at the same time on "
                f"{visit['date'].isoformat()} between {visit['from']} and {visit['to']}.",
                errors={"paired": [f"No common time for home {visit['uprn']}."]},
            )


def _at(db, caller, drafts, keys, visit, minute, provider, time_limit) -> dict | None:
    """Both days planned again with ``visit`` at ``minute`` (no home of the week's other
    days taken); None when either day cannot keep it."""
    taken = set().union(*(homes(d[1]) for k, d in drafts.items() if k not in keys))
    redone = {}
    for key in keys:
        booked, _, request_day, _ = drafts[key]
        request_at = {
            **request_day,
            "appointments": [
                {**a, "from": minute, "to": minute} if a["uprn"] == visit["uprn"] else a
                for a in request_day["appointments"]
            ],
        }
        again = redraft(
            db,
            caller,
            drafts[key],
            request_at,
            taken,
            provider=provider,
            time_limit=time_limit,
            exploration=2,
            patience=WEEK_PATIENCE,
        )
        if not holds(booked, again) or _minute(again, visit["uprn"]) != minute:
            return None
        taken |= homes(again)
        redone[key] = (request_at, again)
    return redone
