"""How far an officer has got through a day plan, from the visits their phone has synced.

A stop is *visited* when the plan's officer has a home visit synced at that home on the
plan's day (in England's time); the latest such record gives the outcome, so a correction
counts. A stop not visited is *skipped* when the officer has passed it: a stop after it in
the plan's order was visited, or a re-plan kept it as already made or skipped (the plan's
``fixed`` stops, which come before the rest). Any other stop is still *to go*.

Nothing is stored: progress is worked out each time a plan is read, so a visit that syncs
late counts as soon as it arrives, and a team leader sees what the phones have sent.
"""

from datetime import date, datetime, timedelta

from sqlite_utils import Database

from sync.clock import LONDON

STATES = ("visited", "skipped", "to_go")


def add_progress(db: Database, plans: list[dict]) -> list[dict]:
    """Each plan with its ``progress`` (counts and one entry a stop), from one query a day."""
    by_day: dict[str, list[dict]] = {}
    for plan in plans:
        by_day.setdefault(plan["date"], []).append(plan)
    for day, group in by_day.items():
        visits = _visits(db, date.fromisoformat(day), {p["officer_id"] for p in group})
        for plan in group:
            plan["progress"] = progress(plan, visits.get(plan["officer_id"], {}))
    return plans


def progress(plan: dict, visits: dict[int, dict]) -> dict:
    """``plan``'s progress, given its officer's latest home visit on the day at each home
    (by UPRN)."""
    entries = [
        {"uprn": s["uprn"], "address": s.get("address"), "seq": None, "passed": True}
        for s in plan.get("fixed") or []
    ] + [
        {"uprn": s["uprn"], "address": s["address"], "seq": s["seq"], "passed": False}
        for s in plan["stops"]
    ]
    last_visited = max((k for k, e in enumerate(entries) if e["uprn"] in visits), default=-1)
    for k, entry in enumerate(entries):
        visit = visits.get(entry["uprn"])
        passed = entry.pop("passed") or k < last_visited
        entry["state"] = "visited" if visit else "skipped" if passed else "to_go"
        entry["outcome"] = visit["outcome"] if visit else None
        entry["visit_id"] = visit["id"] if visit else None
        entry["visited_at"] = visit["at"] if visit else None
    counts = {state: sum(e["state"] == state for e in entries) for state in STATES}
    return {**counts, "stops": entries}


def _visits(db: Database, day: date, officer_ids: set[int]) -> dict[int, dict[int, dict]]:
    """officer id -> uprn -> that officer's latest home visit there on ``day``.

    Instants are stored in UTC, so the query takes a day either side (by the officer's
    record time, which the index covers) and the English day is checked here."""
    if not officer_ids:
        return {}
    marks = ",".join("?" * len(officer_ids))
    rows = db.execute(
        "SELECT officer_id, uprn, id, outcome, coalesce(arrived_at, observed_at) AS at "
        f"FROM visits WHERE officer_id IN ({marks}) AND channel = 'home_visit' "
        "AND observed_at >= ? AND observed_at < ? ORDER BY at, received_at, id",
        [
            *sorted(officer_ids),
            (day - timedelta(days=1)).isoformat(),
            (day + timedelta(days=2)).isoformat(),
        ],
    ).fetchall()
    found: dict[int, dict[int, dict]] = {}
    for officer_id, uprn, visit_id, outcome, at in rows:
        if datetime.fromisoformat(at).astimezone(LONDON).date() == day:
            found.setdefault(officer_id, {})[uprn] = {"id": visit_id, "outcome": outcome, "at": at}
    return found
