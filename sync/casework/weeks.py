"""Week plans: a team's days planned together, paired visits booked in both plans.

The week is planned jointly by a sound decomposition: every officer-day is first planned
in turn (each excluding the homes already planned that week: the greedy week), then,
while the week's time budget lasts, pairs of officer-days are planned again together:
the first from its own route with the second's homes free to take, the second from what
is left. The pair's new plans are kept only when together they score more, so the week
never scores less than its greedy start, and no home is planned twice.
"""

import time
from datetime import date, timedelta

from sqlite_utils import Database

from routing import priority
from routing.travel import Provider
from sync.access.scope import Caller, visible_patch_ids
from sync.casework import absences, cases, cover, together
from sync.casework.days import WEEK_PATIENCE, compose, officer_cases_days
from sync.casework.plans import store
from sync.clock import utc_now
from sync.errors import Forbidden, NotFound, ValidationFailed
from sync.store import changes
from sync.store.db import write_transaction

# What every day of the week shares, when the request gives it.
SHARED = ("mode", "window", "breaks", "on_site_minutes", "end_slack_minutes")
WEEK_SECONDS = 2.2  # a team's joint week: the greedy pass, then improving pairs
DAY_SECONDS = 0.12  # the route engine's budget for each day of the first (greedy) pass
GREEDY_DAY_SECONDS = 0.12  # each day of a greedy-only week (method "greedy")


def plan_week(
    db: Database,
    caller: Caller,
    team_id: int,
    request: dict,
    *,
    provider: Provider | None = None,
    time_limit: float | None = None,
    week_seconds: float = WEEK_SECONDS,
) -> dict:
    """Plan a team's days: each officer within their patches and cover, no home twice in
    the week unless booked, paired visits a fixed stop in both officers' plans, started
    by both at the same minute and naming the partner (sync.casework.together; the home
    is granted to the partner for that day, so it reaches their phone and their records
    are accepted), the same working day for everyone, an officer's absences (recorded,
    sync.casework.absences, and the request's) left unplanned. Each day is planned from
    its own cases, and the week is stored in one transaction. ``request``: start, days,
    officer_ids, mode, window, breaks, on_site_minutes, end_slack_minutes, paired (uprn,
    date, from, to, officer_ids), absent (officer_id, date), method ("joint", the
    default; "greedy": day by day only)."""
    started = time.perf_counter()
    officers = _team_officers(db, caller, team_id)
    chosen = request.get("officer_ids") or list(officers)
    strangers = sorted(set(chosen) - set(officers))
    if strangers:
        raise ValidationFailed(
            "Plan only the team's own officers.",
            errors={"officer_ids": [f"Not officers of this team: {strangers}."]},
        )
    days = [request["start"] + timedelta(days=n) for n in range(request.get("days") or 5)]
    paired = request.get("paired") or []
    _check_paired(db, caller, paired, days, chosen)
    absent = {(a["officer_id"], a["date"]) for a in request.get("absent") or []}
    _check_absent(absent, paired, days, chosen)
    recorded = absences.absent_days(db, chosen, days[0], days[-1])
    _check_recorded(recorded, paired)
    absent |= set(recorded)
    # A day an officer holds no patch (each lent to another by cover, or none yet) is
    # theirs to spend elsewhere: left unplanned and said so, as a recorded absence is.
    unplaced = _without_patches(db, officers, chosen, days, absent, paired)
    absent |= set(unplaced)
    joint = request.get("method", "joint") == "joint"
    if time_limit is None:
        time_limit = DAY_SECONDS if joint else GREEDY_DAY_SECONDS
    rules = priority.load_rules()
    common = {k: request[k] for k in SHARED if request.get(k) is not None}
    planned: set[int] = {v["uprn"] for v in paired}
    # Every day is planned first, each from its own cases (a Breathing Space starting or
    # ending mid-week, cover, markers, "visited yesterday" are evaluated on that day),
    # then the whole week is stored in one write transaction: all of it or none. The
    # solving happens before the write lock is taken, so phones' pushes never wait on it.
    weeks = {
        o: officer_cases_days(db, officers[o], [d for d in days if (o, d) not in absent], rules)
        for o in chosen
    }
    drafts, grants = {}, []
    for day in days:
        for officer_id in chosen:
            if (officer_id, day) in absent:
                continue
            booked = [v for v in paired if v["date"] == day and officer_id in v["officer_ids"]]
            found = list(weeks[officer_id][day])
            mine = {c["uprn"] for c in found}
            for visit in booked:  # the partner gets the home for the day
                if visit["uprn"] not in mine:
                    grants.append((officer_id, visit))
                    found += _home_cases(db, visit["uprn"], day, rules)
            request_day = {
                **common,
                "officer_id": officer_id,
                "date": day,
                "appointments": [_appointment(v, officer_id, officers) for v in booked],
            }
            draft = compose(
                db,
                caller,
                request_day,
                provider=provider,
                time_limit=time_limit,
                exploration=2,
                patience=WEEK_PATIENCE,
                fixed=None,
                exclude=planned - {v["uprn"] for v in booked},
                found=found,
            )
            planned |= together.homes(draft)
            drafts[officer_id, day] = [booked, draft, request_day, found]
    together.meet(db, caller, drafts, paired, provider=provider, time_limit=time_limit)
    greedy_score = round(sum(_score(d[1]) for d in drafts.values()), 1)
    if joint:
        deadline = started + week_seconds
        _improve_pairs(db, caller, drafts, provider, time_limit, deadline)
    with write_transaction(db):
        for officer_id, visit in grants:
            _grant_for_the_day(db, caller, officer_id, visit)
        summary = [
            _stored(db, caller, officer_id, day, booked, draft)
            for (officer_id, day), (booked, draft, _, _) in drafts.items()
        ]
    loads = [s["stops"] for s in summary]
    return {
        "team_id": team_id,
        "start": days[0].isoformat(),
        "days": len(days),
        "plans": summary,
        "unplanned": [
            {"officer_id": o, "date": d.isoformat(), "reason": why}
            for (o, d), why in sorted(unplaced.items())
        ],
        "score": round(sum(p["score"] for p in summary), 1),
        "greedy_score": greedy_score,
        "balance": {
            "stops_min": min(loads, default=0),
            "stops_max": max(loads, default=0),
            "stops_mean": round(sum(loads) / len(loads), 1) if loads else 0,
        },
    }


def _score(draft: tuple) -> float:
    return draft[3]["totals"]["score"]


def _improve_pairs(db, caller, drafts: dict, provider, time_limit: float, deadline: float):
    """Plan pairs of officer-days again together until ``deadline``: the weaker-scoring
    day of each pair first (so it may take the other's homes it fits better), from its
    own route; then the other from its own route with what is left. Kept when the pair
    scores more than before. Pairs are the same officer's days, then the same day's
    officers, weakest days first; rounds go on while any pair gains."""
    keys = list(drafts)
    pairs = [(a, b) for a in keys for b in keys if a < b and (a[0] == b[0] or a[1] == b[1])]
    gained = True
    while gained and time.perf_counter() < deadline:
        gained = False
        pairs.sort(key=lambda ab: min(_score(drafts[ab[0]][1]), _score(drafts[ab[1]][1])))
        for a, b in pairs:
            if time.perf_counter() >= deadline:
                return
            first, second = sorted((a, b), key=lambda k: _score(drafts[k][1]))
            others = set().union(
                *(together.homes(d[1]) for k, d in drafts.items() if k not in (a, b))
            )
            redone = {}
            for key, taken in ((first, others), (second, None)):
                if taken is None:
                    taken = others | together.homes(redone[first])
                redone[key] = together.redraft(
                    db,
                    caller,
                    drafts[key],
                    drafts[key][2],
                    taken,
                    provider=provider,
                    time_limit=time_limit,
                    exploration=1,
                    patience=WEEK_PATIENCE,
                )
            before = _score(drafts[a][1]) + _score(drafts[b][1])
            kept = all(together.holds(drafts[k][0], redone[k]) for k in (a, b))
            if kept and _score(redone[a]) + _score(redone[b]) > before + 1e-6:
                drafts[a][1], drafts[b][1] = redone[a], redone[b]
                gained = True


def _check_absent(absent: set, paired: list[dict], days: list[date], chosen: list[int]) -> None:
    """An absence is a planned officer's day of the week, with no paired visit booked."""
    for officer_id, day in absent:
        if officer_id not in chosen or day not in days:
            raise ValidationFailed(
                "An absence is a day of the week planned, of an officer being planned.",
                errors={"absent": [f"Officer {officer_id} on {day.isoformat()}: not planned."]},
            )
        if any(v["date"] == day and officer_id in v["officer_ids"] for v in paired):
            raise ValidationFailed(
                "A paired visit cannot be booked for an absent officer.",
                errors={"absent": [f"Officer {officer_id} has a paired visit that day."]},
            )


def _without_patches(
    db: Database, officers: dict, chosen: list[int], days: list[date], absent: set, paired
) -> dict[tuple[int, date], str]:
    """(officer, day) -> why, for the days planned on which an officer holds no patch; a
    paired visit booked for one of them is refused (``422`` naming ``paired``)."""
    found = {}
    for officer_id in chosen:
        for day in days:
            if (officer_id, day) in absent:
                continue
            try:
                cover.planning_patches(db, officers[officer_id], day)
            except ValidationFailed as exc:
                found[officer_id, day] = exc.detail
    for visit in paired:
        for officer_id in visit["officer_ids"]:
            if (officer_id, visit["date"]) in found:
                why = found[officer_id, visit["date"]]
                raise ValidationFailed(
                    f"{why} A paired visit cannot be booked then.",
                    errors={"paired": [f"Officer {officer_id}: {why}"]},
                )
    return found


def _check_recorded(recorded: dict, paired: list[dict]) -> None:
    """A paired visit cannot be booked on a day one of its officers is recorded away."""
    for visit in paired:
        for officer_id in visit["officer_ids"]:
            away = recorded.get((officer_id, visit["date"]))
            if away is not None:
                raise ValidationFailed(
                    f"{absences.describe(away)}: a paired visit cannot be booked then.",
                    errors={"paired": [f"{absences.describe(away)}."]},
                )


def _appointment(visit: dict, officer_id: int, officers: dict) -> dict:
    """A paired visit as one officer's appointment, naming the other officer."""
    other = officers[next(o for o in visit["officer_ids"] if o != officer_id)]
    partner = {"officer_id": other["id"], "name": other["display_name"] or other["username"]}
    partner["booked"] = {"from": visit["from"], "to": visit["to"]}
    return {"uprn": visit["uprn"], "from": visit["from"], "to": visit["to"], "partner": partner}


def _team_officers(db: Database, caller: Caller, team_id: int) -> dict[int, dict]:
    """The team's officers by id, for its own team leader or an admin."""
    if caller.role not in ("team_leader", "admin") or (
        caller.role == "team_leader" and caller.team_id != team_id
    ):
        if caller.role == "team_leader":
            raise NotFound(f"Team {team_id} not found.")
        raise Forbidden(f"{caller.a_role} may not plan a team's week.")
    officers = {
        r["id"]: r
        for r in db.query(
            "SELECT id, username, display_name, team_id, role FROM users WHERE team_id = ? "
            "AND role = 'officer' AND disabled_at IS NULL ORDER BY username",
            [team_id],
        )
    }
    if not officers and not db.execute("SELECT 1 FROM teams WHERE id = ?", [team_id]).fetchone():
        raise NotFound(f"Team {team_id} not found.")
    return officers


def _check_paired(
    db: Database, caller: Caller, paired: list[dict], days: list[date], chosen: list[int]
) -> None:
    """A paired visit is on a day of the week, by two of the officers planned, to a home
    in the team's patches (any home, for an admin)."""
    team_patches = visible_patch_ids(db, caller)
    team_homes = None
    if team_patches is not None:
        marks = ",".join("?" * len(team_patches)) or "NULL"
        team_homes = {
            r[0]
            for r in db.execute(
                f"SELECT uprn FROM patch_properties WHERE patch_id IN ({marks})",
                sorted(team_patches),
            )
        }
    for visit in paired:
        pair = set(visit["officer_ids"])
        if visit["date"] not in days or len(pair) != 2 or not pair <= set(chosen):
            raise ValidationFailed(
                "A paired visit is on a day of the week planned, by two different officers "
                "being planned.",
                errors={"paired": ["Outside the week, or not two planned officers."]},
            )
        if team_homes is not None and visit["uprn"] not in team_homes:
            raise ValidationFailed(
                "A paired visit must be to a home in the team's patches.",
                errors={"paired": [f"Home {visit['uprn']} is not in your team's patches."]},
            )


def _home_cases(db: Database, uprn: int, day: date, rules: dict) -> list[dict]:
    """The cases of a home outside the officer's patches (a partner's paired visit)."""
    return cases.assess_all(cases.load(db, "t.uprn = :uprn", {"uprn": uprn}, day), day, rules)


def _grant_for_the_day(db: Database, caller: Caller, officer_id: int, visit: dict) -> None:
    """The partner on a paired visit holds the home for the day: it reaches their phone,
    and their records of the visit are accepted."""
    db.execute(
        "INSERT OR IGNORE INTO scope_grants (officer_id, uprn, grant_date, "
        "reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            officer_id,
            visit["uprn"],
            visit["date"].isoformat(),
            "paired visit",
            caller.user_id,
            utc_now(),
        ],
    )
    changes.touch_homes(db, [visit["uprn"]])


def _stored(
    db: Database, caller: Caller, officer_id: int, day: date, booked: list, draft: tuple
) -> dict:
    """Store one day's drafted plan; the week's summary line for it."""
    totals = draft[3]["totals"]
    return {
        "plan_id": store(db, caller, *draft, None),
        "officer_id": officer_id,
        "date": day.isoformat(),
        "stops": totals["stops"],
        "score": totals["score"],
        "travel_s": totals["travel_s"],
        "paired": [v["uprn"] for v in booked],
    }
