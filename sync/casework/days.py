"""Day plans: whom an officer visits, in what order, and why.

From the officer's patches (and cover) on the day, every current tenancy is scored
(routing.priority); only cases that need a visit go to the planner, one stop per home.
Homes with a "no lone visits" marker wait for a paired visit; homes visited yesterday
rest a day; appointments and must-visits are fixed stops. The route engine
(routing.engine) picks and orders the stops within the working day, its breaks and
windows. The plan says, for every stop, when to arrive, the travel and time on site, and
why the home was chosen; and for the high-priority homes left out, why.

A plan is stored (sync.casework.plans) and reaches the officer's phone through sync.
Re-planning mid-day starts from where the officer is, at the time given, with the visits
done or skipped so far fixed. A team's week is planned a day at a time
(sync.casework.weeks).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import orjson
from sqlite_utils import Database

from routing import engine, priority
from routing.travel import Provider, StraightLine
from sync.access.scope import Caller, visible_patch_ids
from sync.casework import cases
from sync.casework.plans import get_plan, officer_for, store
from sync.clock import LONDON, iso
from sync.errors import Conflict, ValidationFailed
from sync.store.db import write_transaction

LEFT_OUT_SHOWN = 20
MAX_CANDIDATES = 150
DEFAULT_ON_SITE_MIN = 20


def _seconds(day: date, clock: str) -> float:
    """Seconds from midnight (England) of ``day`` to the wall-clock time ``HH:MM``."""
    hours, minutes = (int(x) for x in clock.split(":"))
    moment = datetime.combine(day, time(hours, minutes), LONDON)
    midnight = datetime.combine(day, time(0), LONDON)
    return (moment - midnight).total_seconds()


def _instant(day: date, seconds: float) -> str:
    midnight = datetime.combine(day, time(0), LONDON)
    return iso(midnight + timedelta(seconds=round(seconds)))


def _centre(homes: list[dict]) -> tuple[float, float]:
    """The middle of the officer's homes: the default start and end of a day."""
    return (
        sum(h["latitude"] for h in homes) / len(homes),
        sum(h["longitude"] for h in homes) / len(homes),
    )


def _place(value: dict | None, fallback: tuple[float, float], label: str) -> dict:
    if value is None:
        return {"latitude": fallback[0], "longitude": fallback[1], "label": label}
    return {"label": value.get("label") or label, **value}


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
    """Every current tenancy in the officer's patches (and cover) that day, assessed."""
    return officer_cases_days(db, officer, [day], rules)[day]


def officer_cases_days(db: Database, officer: dict, days: list[date], rules: dict) -> dict:
    """``officer_cases`` for each of ``days``, each day's cases assessed on that day (its
    patches and cover, Breathing Space, markers, visits the day before ...)."""
    as_officer = Caller(officer["id"], officer["username"], "officer", officer["team_id"])
    by_patches: dict[tuple, list[date]] = {}
    for day in days:
        patch_ids = visible_patch_ids(db, as_officer, day) or set()
        if not patch_ids:
            raise ValidationFailed(
                f"The officer holds no patch on {day.isoformat()}.",
                errors={"officer_id": [f"No patch on {day.isoformat()}."]},
            )
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
) -> Prepared:
    """``request``: officer_id, date, start, end, window (start, end: "HH:MM"), breaks,
    mode, on_site_minutes, must_visit, appointments. ``exclude``: homes not to plan;
    ``found``: the officer's cases, when already read (a week plan reads them once)."""
    officer = officer_for(db, caller, request["officer_id"])
    day: date = request["date"]
    rules = priority.load_rules()
    if found is None:
        found = officer_cases(db, officer, day, rules)
    homes: dict[int, dict] = {}
    for case in found:
        home = homes.setdefault(
            case["uprn"],
            {"uprn": case["uprn"], "address": f"{case['address_line_1']}, {case['postcode']}",
             "latitude": case["latitude"], "longitude": case["longitude"], "cases": [],
             "markers": case["markers"], "visited_yesterday": case["visited_yesterday"]},
        )  # fmt: skip
        home["cases"].append(case)
    must = set(request.get("must_visit") or [])
    windows = {a["uprn"]: a for a in request.get("appointments") or []}
    unknown = sorted((must | set(windows)) - set(homes))
    if unknown:
        raise ValidationFailed(
            "Must-visits and appointments must be current homes in the officer's patches.",
            errors={"must_visit": [f"Not in the officer's patches: {unknown}."]},
        )
    exclude = exclude or set()
    chosen, left_out = [], []
    for home in homes.values():
        visit = [c for c in home["cases"] if c["priority"]["action"] == "visit"]
        home["score"] = round(sum(c["priority"]["score"] for c in visit), 1)
        uprn = home["uprn"]
        forced = uprn in must or uprn in windows
        if uprn in exclude:
            continue
        held = [c for c in home["cases"] if c["priority"]["breathing_space"]]
        suppressed = sum(
            r["points"] for c in held for r in c["priority"]["reasons"] if "suppressed" in r
        )
        if not visit and not forced:
            if held and suppressed >= rules["actions"]["visit"]:
                left_out.append(_left(home, suppressed, "breathing-space",
                                      "Breathing Space: no enforcement visit"))  # fmt: skip
            continue
        if "no_lone_visits" in home["markers"] and not forced:
            left_out.append(_left(home, home["score"], "needs-pair",
                                  "A 'no lone visits' marker: book a paired visit"))  # fmt: skip
            continue
        if home["visited_yesterday"] and not forced:
            left_out.append(_left(home, home["score"], "visited-yesterday",
                                  "Visited yesterday"))  # fmt: skip
            continue
        chosen.append(home)
    # The route engine gets the strongest candidates (and every fixed stop): a day holds
    # 10-25 visits, and the rest are reported as left out for lack of time.
    chosen.sort(key=lambda h: (h["uprn"] not in must and h["uprn"] not in windows, -h["score"]))
    chosen, spare = chosen[:max_candidates], chosen[max_candidates:]
    left_out += [_left(h, h["score"], "time-budget", "No time left in the day") for h in spare]
    start_at = request.get("start_at")
    window = request.get("window") or {"start": "09:00", "end": "17:00"}
    day_start = start_at if start_at is not None else _seconds(day, window["start"])
    day_end = _seconds(day, window["end"])
    if day_end <= day_start:
        raise ValidationFailed("The day must end after it starts.", errors={"window": ["Empty."]})
    if not homes:
        raise ValidationFailed(
            "The officer holds no current tenancies that day.",
            errors={"officer_id": ["No homes."]},
        )
    centre = _centre(list(homes.values()))
    start = _place(request.get("start"), centre, "Patch centre")
    end = _place(request.get("end"), (start["latitude"], start["longitude"]), start["label"])
    mode = request.get("mode") or "car"
    on_site = 60 * (request.get("on_site_minutes") or rules.get("visit_on_site_minutes",
                                                                DEFAULT_ON_SITE_MIN))  # fmt: skip
    points = [(start["latitude"], start["longitude"]), (end["latitude"], end["longitude"])]
    points += [(h["latitude"], h["longitude"]) for h in chosen]
    travel = (provider or StraightLine()).durations(points, mode)
    n = len(points)
    opens, closes = [0.0] * n, [engine.INFINITY] * n
    for k, home in enumerate(chosen, start=2):
        slot = windows.get(home["uprn"])
        if slot:
            opens[k] = _seconds(day, slot["from"])
            closes[k] = _seconds(day, slot["to"])
    breaks = tuple(
        engine.Break(_seconds(day, b["from"]), _seconds(day, b["to"]) - 60 * b["minutes"],
                     60 * b["minutes"])
        for b in (request.get("breaks") if request.get("breaks") is not None
                  else [{"from": "12:00", "to": "14:00", "minutes": 30}])
        if _seconds(day, b["to"]) > day_start
    )  # fmt: skip
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
        must=frozenset(k for k, h in enumerate(chosen, start=2)
                       if h["uprn"] in must or h["uprn"] in windows),
        breaks=breaks,
    )  # fmt: skip
    return Prepared(officer, day, request, rules, inst, chosen, left_out, windows, must,
                    start, end, mode, window, on_site)  # fmt: skip


def plan_day(
    db: Database,
    caller: Caller,
    request: dict,
    *,
    provider: Provider | None = None,
    time_limit: float = 0.15,
    exploration: int = 3,
    fixed: list[dict] | None = None,
    replaces: int | None = None,
    exclude: set[int] | None = None,
    found: list[dict] | None = None,
) -> dict:
    """Plan and store one officer's day (see ``prepare``). ``fixed``: stops already made
    (re-planning)."""
    draft = compose(
        db, caller, request, provider=provider, time_limit=time_limit,
        exploration=exploration, fixed=fixed, exclude=exclude, found=found,
    )  # fmt: skip
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
) -> tuple[dict, date, dict, dict]:
    """A day plan, solved but not stored: (officer, day, request, body)."""
    prep = prepare(db, caller, request, provider=provider, exclude=exclude, found=found)
    officer, day, rules, inst, chosen = prep.officer, prep.day, prep.rules, prep.inst, prep.chosen
    windows, must, left_out, on_site = prep.windows, prep.must, prep.left_out, prep.on_site
    start, end, mode, window, travel = prep.start, prep.end, prep.mode, prep.window, inst.travel
    solution = engine.solve(inst, time_limit=time_limit, exploration=exploration, patience=40)
    sched = engine.simulate(inst, solution.route)
    stops, previous = [], 0
    for k, node in enumerate(solution.route):
        home = chosen[node - 2]
        reasons = sorted(
            (r | {"tenancy_ref": c["tenancy_ref"]} for c in home["cases"]
             for r in c["priority"]["reasons"] if "suppressed" not in r),
            key=lambda r: -r["points"],
        )  # fmt: skip
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
                "travel_s": round(travel[previous][node]),
                "on_site_s": on_site,
                "appointment": windows.get(home["uprn"]),
                "must_visit": home["uprn"] in must,
                "markers": home["markers"],
                "reasons": reasons,
            }
        )
        previous = node
    planned = {s["uprn"] for s in stops}
    for home in chosen:
        if home["uprn"] in planned:
            continue
        slot = windows.get(home["uprn"])
        why = ("window-clash", "The appointment window could not be met") if slot else (
            "time-budget", "No time left in the day")  # fmt: skip
        left_out.append(_left(home, home["score"], *why))
    left_out.sort(key=lambda h: -h["score"])
    request_out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in request.items()}
    body = {
        "officer_id": officer["id"],
        "officer": officer["username"],
        "date": day.isoformat(),
        "mode": mode,
        "rules_version": rules["version"],
        "start": start,
        "end": end,
        "window": window,
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
            "candidates": len(chosen),
        },
        "feasible": solution.feasible and not solution.missing_must,
    }
    return officer, day, request_out, body


def _left(home: dict, score: float, code: str, text: str) -> dict:
    return {"uprn": home["uprn"], "address": home["address"], "score": round(score, 1),
            "why": code, "text": text}  # fmt: skip


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
    fixed = [
        {"uprn": s["uprn"], "address": s["address"],
         "outcome": "done" if s["uprn"] in done else "skipped"}
        for s in current["stops"] if s["uprn"] in done | skipped
    ] + list(current.get("fixed") or [])  # fmt: skip
    request = {
        **request,
        "date": day,
        "officer_id": current["officer_id"],
        "start": {"label": "Current position", **update["position"]},
        "start_at": (at - datetime.combine(day, time(0), LONDON)).total_seconds(),
        "must_visit": [u for u in request.get("must_visit") or [] if u not in done | skipped],
        "appointments": [a for a in request.get("appointments") or []
                         if a["uprn"] not in done | skipped],
    }  # fmt: skip
    exclude = done | skipped | {f["uprn"] for f in current.get("fixed") or []}
    kw.setdefault("time_limit", 0.08)
    return plan_day(db, caller, request, fixed=fixed, replaces=plan_id, exclude=exclude, **kw)
