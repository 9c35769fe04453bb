"""Day plans: whom an officer visits, in what order, and why.

From the patches the officer plans on the day (their own, less those another officer
covers, and those they cover: sync.casework.cover; none when they are away:
sync.casework.absences), every current tenancy is scored (routing.priority); only cases
that need a visit go to the planner, one stop per home. Homes with a "no lone visits"
marker wait for a paired visit; homes visited yesterday rest a day; appointments and
must-visits are fixed stops. The route engine (routing.engine) picks and orders the
stops within the working day, its breaks and windows. The plan says, for every stop,
when to arrive, the travel and time on site, and why the home was chosen; and for the
high-priority homes left out, why. A plan is stored (sync.casework.plans) and reaches
the officer's phone through sync. Re-planning mid-day starts from where the officer is,
at the time given, with the visits done or skipped so far fixed. A team's week is
planned a day at a time (sync.casework.weeks).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import orjson
from sqlite_utils import Database

from routing import engine, priority
from routing.travel import Provider, StraightLine
from sync.access.scope import Caller
from sync.casework import absences, cases, cover, places
from sync.casework.plans import get_plan, officer_for, store
from sync.clock import LONDON, iso
from sync.errors import Conflict, ValidationFailed
from sync.store.db import write_transaction

LEFT_OUT_SHOWN = 20
MAX_CANDIDATES = 150
# The route engine's time budget for a day plan and a re-plan (seconds), and how hard
# VROOM explores within it: what POST /plans serves, and what bench.routing measures.
TIME_LIMIT = 0.15
REPLAN_TIME_LIMIT = 0.08
EXPLORATION = 3
# A week plans dozens of days: each stops after this many ruin-and-recreate rounds without
# progress. A day plan or re-plan uses its whole budget (stopping early cost a demo day 5%).
WEEK_PATIENCE = 40
DEFAULT_ON_SITE_MIN = 20
# The working day and its lunch break, unless the request says otherwise.
DEFAULT_WINDOW = {"start": "09:00", "end": "17:00"}
DEFAULT_BREAKS = [{"from": "12:00", "to": "14:00", "minutes": 30}]
# Why a home was left out of a plan, in the officer's words.
WHY_LEFT_OUT = {
    "breathing-space": "Breathing Space: no enforcement visit",
    "needs-pair": "A 'no lone visits' marker: book a paired visit",
    "visited-yesterday": "Visited yesterday",
    "time-budget": "No time left in the day",
    "window-clash": "The appointment window could not be met",
}


def _seconds(day: date, clock: str) -> float:
    """Seconds from midnight (England) of ``day`` to the wall-clock time ``HH:MM``."""
    hours, minutes = (int(x) for x in clock.split(":"))
    moment = datetime.combine(day, time(hours, minutes), LONDON)
    midnight = datetime.combine(day, time(0), LONDON)
    return (moment - midnight).total_seconds()


def _instant(day: date, seconds: float) -> str:
    midnight = datetime.combine(day, time(0), LONDON)
    return iso(midnight + timedelta(seconds=round(seconds)))


@dataclass
class Prepared:
    """A day plan's problem, before solving: the route engine's instance and what its
    nodes are (node k >= 2 is ``chosen[k - 2]``)."""

    officer: dict
    day: date
    request: dict
    rules: dict
    inst: engine.Instance
    chosen: list[dict]
    left_out: list[dict]
    windows: dict
    must: set
    start: dict
    end: dict
    mode: str
    window: dict
    on_site: int


def officer_cases(db: Database, officer: dict, day: date, rules: dict) -> list[dict]:
    """Every current tenancy in the patches the officer plans that day (their own, less
    those another officer covers, and those they cover), assessed."""
    return officer_cases_days(db, officer, [day], rules)[day]


def officer_cases_days(db: Database, officer: dict, days: list[date], rules: dict) -> dict:
    """``officer_cases`` for each of ``days``, each day's cases assessed on that day (its
    patches and cover, Breathing Space, markers, visits the day before ...). An officer
    away that day has none: ``ValidationFailed`` naming the absence."""
    by_patches: dict[tuple, list[date]] = {}
    for day in days:
        absences.check_present(db, officer, day)
        patch_ids = cover.planning_patches(db, officer, day)
        by_patches.setdefault(tuple(sorted(patch_ids)), []).append(day)
    found = {}
    for patch_ids, same in by_patches.items():
        marks = ",".join(str(int(p)) for p in patch_ids)
        where = f"t.uprn IN (SELECT uprn FROM patch_properties WHERE patch_id IN ({marks}))"
        for day, day_cases in cases.load_days(db, where, {}, same).items():
            found[day] = cases.assess_all(day_cases, day, rules)
    return found


def prepare(
    db: Database,
    caller: Caller,
    request: dict,
    *,
    provider: Provider | None = None,
    exclude: set[int] | None = None,
    found: list[dict] | None = None,
    max_candidates: int = MAX_CANDIDATES,
    initial: list[int] | None = None,
) -> Prepared:
    """``request``: officer_id, date, start, end, window (start, end: "HH:MM"), breaks,
    mode, on_site_minutes, must_visit, appointments, end_slack_minutes. ``exclude``:
    homes not to plan; ``found``: the officer's cases, when already read (a week plan
    reads them once); ``initial``: homes of a route to start from (always candidates)."""
    officer = officer_for(db, caller, request["officer_id"])
    day: date = request["date"]
    rules = priority.load_rules()
    if found is None:
        found = officer_cases(db, officer, day, rules)
    homes = _homes(found)
    must = set(request.get("must_visit") or [])
    windows = {a["uprn"]: a for a in request.get("appointments") or []}
    fixed = must | set(windows)
    unknown = sorted(fixed - set(homes))
    if unknown:
        raise ValidationFailed(
            "Must-visits and appointments must be current homes in the officer's patches.",
            errors={"must_visit": [f"Not in the officer's patches: {unknown}."]},
        )
    chosen, left_out = _candidates(homes, fixed, exclude or set(), rules)
    # The route engine gets the strongest candidates (and every fixed stop): a day holds
    # 10-25 visits, and the rest are reported as left out for lack of time.
    first = fixed | set(initial or ())
    chosen.sort(key=lambda h: (h["uprn"] not in first, -h["score"]))
    chosen, spare = chosen[:max_candidates], chosen[max_candidates:]
    left_out += [_left(h, h["score"], "time-budget") for h in spare]
    window, day_start, day_end = _day_bounds(day, request)
    if not homes:
        raise ValidationFailed(
            "The officer holds no current tenancies that day.",
            errors={"officer_id": ["No homes."]},
        )
    start, end = places.start_and_end(request, officer, list(homes.values()))
    mode = request.get("mode") or "car"
    usual = rules.get("visit_on_site_minutes", DEFAULT_ON_SITE_MIN)
    on_site = 60 * (request.get("on_site_minutes") or usual)
    points = [(start["latitude"], start["longitude"]), (end["latitude"], end["longitude"])]
    points += [(h["latitude"], h["longitude"]) for h in chosen]
    travel = (provider or StraightLine()).durations(points, mode)
    opens, closes = _time_windows(day, chosen, windows)
    breaks = request.get("breaks")
    inst = engine.Instance(
        travel=travel,
        service=[0.0, 0.0] + [float(on_site)] * len(chosen),
        score=[0.0, 0.0] + [max(h["score"], 0.1) for h in chosen],
        opens=opens,
        closes=closes,
        start=0,
        end=1,
        day_start=day_start,
        day_end=day_end,
        must=frozenset(k for k, h in enumerate(chosen, start=2) if h["uprn"] in fixed),
        breaks=_breaks(day, DEFAULT_BREAKS if breaks is None else breaks, day_start, day_end),
    )
    return Prepared(
        officer=officer,
        day=day,
        request=request,
        rules=rules,
        inst=inst,
        chosen=chosen,
        left_out=left_out,
        windows=windows,
        must=must,
        start=start,
        end=end,
        mode=mode,
        window=window,
        on_site=on_site,
    )


def _homes(found: list[dict]) -> dict[int, dict]:
    """The officer's cases by home; a home scores what its cases needing a visit score."""
    homes: dict[int, dict] = {}
    for case in found:
        home = homes.get(case["uprn"])
        if home is None:
            home = homes[case["uprn"]] = {
                "uprn": case["uprn"],
                "address": f"{case['address_line_1']}, {case['postcode']}",
                "latitude": case["latitude"],
                "longitude": case["longitude"],
                "cases": [],
                "markers": case["markers"],
                "visited_yesterday": case["visited_yesterday"],
            }
        home["cases"].append(case)
    for home in homes.values():
        visit = [c for c in home["cases"] if c["priority"]["action"] == "visit"]
        home["score"] = round(sum(c["priority"]["score"] for c in visit), 1)
    return homes


def _candidates(
    homes: dict[int, dict], fixed: set[int], exclude: set[int], rules: dict
) -> tuple[list[dict], list[dict]]:
    """The homes for the route engine, and the homes left out with why. A fixed stop
    (a must-visit, an appointment) always goes; another home goes when one of its cases
    needs a visit, unless it waits for a paired visit or was visited yesterday. A home
    whose visit a Breathing Space holds back is reported, so the officer knows why."""
    chosen, left_out = [], []
    for home in homes.values():
        uprn = home["uprn"]
        if uprn in exclude:
            continue
        if uprn in fixed:
            chosen.append(home)
        elif not any(c["priority"]["action"] == "visit" for c in home["cases"]):
            held = _held_by_breathing_space(home)
            if held is not None and held >= rules["actions"]["visit"]:
                left_out.append(_left(home, held, "breathing-space"))
        elif "no_lone_visits" in home["markers"]:
            left_out.append(_left(home, home["score"], "needs-pair"))
        elif home["visited_yesterday"]:
            left_out.append(_left(home, home["score"], "visited-yesterday"))
        else:
            chosen.append(home)
    return chosen, left_out


def _held_by_breathing_space(home: dict) -> float | None:
    """The points a Breathing Space suppresses at the home (None: none is in force)."""
    held = [c for c in home["cases"] if c["priority"]["breathing_space"]]
    if not held:
        return None
    return sum(r["points"] for c in held for r in c["priority"]["reasons"] if "suppressed" in r)


def _day_bounds(day: date, request: dict) -> tuple[dict, float, float]:
    """The working window, and the seconds from midnight at which the plan starts (the
    time given, when re-planning) and the day ends."""
    window = request.get("window") or dict(DEFAULT_WINDOW)
    start_at = request.get("start_at")
    day_start = start_at if start_at is not None else _seconds(day, window["start"])
    # A slack at the end of the day, for overruns, when asked (week plans).
    day_end = _seconds(day, window["end"]) - 60 * (request.get("end_slack_minutes") or 0)
    if day_end <= day_start and start_at is not None:  # a re-plan after the day's end
        problem = f"The working day ended at {window['end']}: nothing is left to plan."
        raise ValidationFailed(problem, errors={"at": ["After the working day."]})
    if day_end <= day_start:
        raise ValidationFailed("The day must end after it starts.", errors={"window": ["Empty."]})
    return window, day_start, day_end


def _time_windows(day: date, chosen: list[dict], windows: dict) -> tuple[list, list]:
    """Each node's time window (opens, closes): an appointment's for a booked home; the
    start, the end and every other home are open all day."""
    opens, closes = [0.0] * (len(chosen) + 2), [engine.INFINITY] * (len(chosen) + 2)
    for k, home in enumerate(chosen, start=2):
        slot = windows.get(home["uprn"])
        if slot:
            opens[k] = _seconds(day, slot["from"])
            closes[k] = _seconds(day, slot["to"])
    return opens, closes


def _breaks(day: date, breaks: list[dict], start: float, end: float) -> tuple[engine.Break, ...]:
    """The route engine's breaks: each starts between ``from`` (or the plan's start, if
    later) and ``to`` less its length; one that no longer fits in the day is not taken."""
    taken = []
    for b in breaks:
        ends, length = min(_seconds(day, b["to"]), end), 60 * b["minutes"]
        opens = max(_seconds(day, b["from"]), start)
        if ends - length >= opens:
            taken.append(engine.Break(opens, ends - length, length))
    return tuple(taken)


def plan_day(
    db: Database,
    caller: Caller,
    request: dict,
    *,
    provider: Provider | None = None,
    time_limit: float = TIME_LIMIT,
    exploration: int = EXPLORATION,
    fixed: list[dict] | None = None,
    replaces: int | None = None,
    exclude: set[int] | None = None,
    found: list[dict] | None = None,
) -> dict:
    """Plan and store one officer's day (see ``prepare``). ``fixed``: stops already made
    (re-planning)."""
    draft = compose(
        db,
        caller,
        request,
        provider=provider,
        time_limit=time_limit,
        exploration=exploration,
        fixed=fixed,
        exclude=exclude,
        found=found,
    )
    with write_transaction(db):
        plan_id = store(db, caller, *draft, replaces)
    return get_plan(db, caller, plan_id)


def compose(
    db: Database,
    caller: Caller,
    request: dict,
    *,
    provider: Provider | None,
    time_limit: float,
    exploration: int,
    fixed: list[dict] | None,
    exclude: set[int] | None,
    found: list[dict] | None,
    initial: list[int] | None = None,
    patience: int | None = None,
) -> tuple[dict, date, dict, dict]:
    """A day plan, solved but not stored: (officer, day, request, body). ``initial``:
    homes of a route to start from (a week plan's earlier draft of the day); ``patience``
    as ``solve`` takes it."""
    prep = prepare(
        db, caller, request, provider=provider, exclude=exclude, found=found, initial=initial
    )
    day = prep.day
    node = {h["uprn"]: k for k, h in enumerate(prep.chosen, start=2)}
    start = [node[u] for u in initial or () if u in node]
    solution = solve(
        prep, time_limit=time_limit, exploration=exploration, initial=start, patience=patience
    )
    sched = engine.simulate(prep.inst, solution.route)
    stops = _stops(prep, solution.route, sched)
    planned = {s["uprn"] for s in stops}
    missed = [
        _left(h, h["score"], "window-clash" if prep.windows.get(h["uprn"]) else "time-budget")
        for h in prep.chosen
        if h["uprn"] not in planned
    ]
    left_out = sorted(prep.left_out + missed, key=lambda h: -h["score"])
    request_out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in request.items()}
    body = {
        "officer_id": prep.officer["id"],
        "officer": prep.officer["username"],
        "date": day.isoformat(),
        "mode": prep.mode,
        "rules_version": prep.rules["version"],
        "start": prep.start,
        "end": prep.end,
        "window": prep.window,
        "breaks": [_instant(day, b) for b in sched.breaks],
        "fixed": fixed or [],
        "stops": stops,
        "left_out": left_out[:LEFT_OUT_SHOWN],
        "totals": {
            "stops": len(stops),
            # The stops' own scores: the solver counts a stop worth nothing as 0.1, so
            # that it still prefers visiting it to leaving it out.
            "score": round(sum(s["score"] for s in stops), 1),
            "travel_s": round(sched.travel),
            "ends_at": _instant(day, sched.end_arrival),
            "candidates": len(prep.chosen),
        },
        "feasible": solution.feasible and not solution.missing_must,
    }
    return prep.officer, day, request_out, body


def solve(
    prep: Prepared, *, time_limit=TIME_LIMIT, exploration=EXPLORATION, **options
) -> engine.Solution:
    """The route engine on a prepared day, as plans use it. ``options`` as
    ``engine.solve`` takes them: ``initial``, and ``patience`` (none: the whole budget)."""
    places.within_reach(prep.inst)
    return engine.solve(prep.inst, time_limit=time_limit, exploration=exploration, **options)


def _stops(prep: Prepared, route: list[int], sched: engine.Schedule) -> list[dict]:
    """The route's stops in visiting order: when to arrive, the travel and time on site,
    and why each home was chosen."""
    day, on_site = prep.day, prep.on_site
    stops, previous = [], 0
    for k, node in enumerate(route):
        home = prep.chosen[node - 2]
        stops.append(
            {
                "seq": k + 1,
                "uprn": home["uprn"],
                "address": home["address"],
                "latitude": home["latitude"],
                "longitude": home["longitude"],
                "tenancy_refs": [c["tenancy_ref"] for c in home["cases"]],
                "score": home["score"],
                "arrive_at": _instant(day, sched.arrivals[k]),
                "start_at": _instant(day, sched.starts[k]),
                "leave_at": _instant(day, sched.starts[k] + on_site),
                "travel_s": round(prep.inst.travel[previous][node]),
                "on_site_s": on_site,
                "appointment": _slot(prep.windows.get(home["uprn"])),
                # A paired visit's other officer (sync.casework.weeks).
                "partner": (prep.windows.get(home["uprn"]) or {}).get("partner"),
                "must_visit": home["uprn"] in prep.must,
                "markers": home["markers"],
                "reasons": _reasons(home),
            }
        )
        previous = node
    return stops


def _slot(appointment: dict | None) -> dict | None:
    return appointment and {k: appointment[k] for k in ("uprn", "from", "to")}


def _reasons(home: dict) -> list[dict]:
    """Why a home was chosen: its cases' reasons in force, the weightiest first; a case in
    a Breathing Space says first that the visit is for support and welfare (a must-visit
    too), and what may not be asked (routing.priority)."""
    reasons = [
        r | {"tenancy_ref": c["tenancy_ref"]}
        for c in home["cases"]
        for r in c["priority"]["reasons"]
        if "suppressed" not in r
    ]
    held = [
        {"code": "breathing-space", "kind": priority.SUPPORT, "points": 0.0}
        | {"text": c["priority"]["moratorium"]["text"], "tenancy_ref": c["tenancy_ref"]}
        for c in home["cases"]
        if c["priority"].get("moratorium")
    ]
    return held + sorted(reasons, key=lambda r: -r["points"])


def _left(home: dict, score: float, why: str) -> dict:
    """A home left out of the plan, with why (a code, and ``WHY_LEFT_OUT``'s words)."""
    return {
        "uprn": home["uprn"],
        "address": home["address"],
        "score": round(score, 1),
        "why": why,
        "text": WHY_LEFT_OUT[why],
    }


def replan(db: Database, caller: Caller, plan_id: int, update: dict, **kw) -> dict:
    """From the officer's position and time, with visits done or skipped fixed."""
    current = get_plan(db, caller, plan_id)
    if current["status"] != "current":
        raise Conflict("A newer plan replaced this one: re-plan from that.", code="superseded")
    day = date.fromisoformat(current["date"])
    request = orjson.loads(
        db.execute("SELECT request FROM plans WHERE id = ?", [plan_id]).fetchone()[0]
    )
    done, skipped = set(update.get("done") or []), set(update.get("skipped") or [])
    at: datetime = update["at"]
    if at.astimezone(LONDON).date() != day:
        raise ValidationFailed("Re-plan on the plan's own day.", errors={"at": ["Another day."]})
    made = done | skipped
    fixed = [
        {"uprn": s["uprn"], "address": s["address"], "outcome": _outcome(s, done)}
        for s in current["stops"]
        if s["uprn"] in made
    ] + list(current.get("fixed") or [])
    request = {
        **request,
        "date": day,
        "officer_id": current["officer_id"],
        "start": {"label": "Current position", **update["position"]},
        # The day still ends where the plan said (the base, say), not where they are now.
        "end": request.get("end") or current["end"],
        "start_at": (at - datetime.combine(day, time(0), LONDON)).total_seconds(),
        "must_visit": [u for u in request.get("must_visit") or [] if u not in made],
        "appointments": [a for a in request.get("appointments") or [] if a["uprn"] not in made],
    }
    exclude = made | {f["uprn"] for f in current.get("fixed") or []}
    kw.setdefault("time_limit", REPLAN_TIME_LIMIT)
    return plan_day(db, caller, request, fixed=fixed, replaces=plan_id, exclude=exclude, **kw)


def _outcome(stop: dict, done: set[int]) -> str:
    return "done" if stop["uprn"] in done else "skipped"
