"""Visit planning on the demo landlord and on public routing benchmarks.

    python -m bench.routing            # full demo landlord, every public instance, peers
    python -m bench.routing --quick    # small landlord, three instances, no peers
    python -m bench.routing --json     # one JSON object

plan_ms, plan_walk_ms: median server time of POST /plans for officer1's day (in-process).
plan_score: the priority that plan collects on the same problem the peers get:
vroom_score (VROOM at exploration 5), ortools_score (30 s of guided local search),
pyvrp_score (30 s); peers are optional extras (pip install '.[peers]').
op_gap_pct, optw_gap_pct: mean gap to the best known over every instance in
bench/instances/routing, 1 s each. replan_ms: median re-plan. week_s: the week plans of
both demo teams (6 officers x 5 days).
"""

import argparse
import csv
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from bench import route_check
from routing import engine
from routing.formats import READERS
from sync import demo
from sync.access.devices import login
from sync.access.scope import Caller
from sync.casework import days, weeks
from sync.clock import LONDON, london_today
from sync.demo import field as demo_field
from sync.store.db import open_database

INSTANCES = Path(__file__).with_name("instances") / "routing"
SECRET = "bench-secret-" + "x" * 20
PEER_SECONDS = 30


def gaps(quick: bool) -> dict:
    out = {}
    for fmt, column in (("op", "best_known_score"), ("optw", "best_prize")):
        rows = list(csv.DictReader((INSTANCES / fmt / "best_known.csv").open()))
        if quick:
            rows = rows[:: max(1, len(rows) // 3)][:3]
        found, worst = [], 0.0
        for row in rows:
            variant = row.get("format", fmt)
            path = INSTANCES / fmt / row["file"]
            solution = engine.solve(READERS[variant](path), time_limit=0.2 if quick else 1.0)
            # The gap counts only what the independent checker confirms.
            feasible, score, _ = route_check.check(variant, path, solution.route)
            assert feasible, f"{row['file']}: the checker finds the route infeasible"
            best = float(row[column])
            gap = (best - score) / best * 100
            found.append(gap)
            worst = max(worst, gap)
        out[f"{fmt}_gap_pct"] = round(statistics.mean(found), 3)
        out[f"{fmt}_worst_gap_pct"] = round(worst, 2)
        out[f"{fmt}_instances"] = len(rows)
    return out


# --- peers (benchmark only) -------------------------------------------------------------


def ortools_score(inst: engine.Instance, seconds: int) -> float | None:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    n = len(inst.travel)
    manager = pywrapcp.RoutingIndexManager(n, 1, [inst.start], [inst.end])
    model = pywrapcp.RoutingModel(manager)

    def transit(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return round(inst.travel[a][b] + inst.service[a])

    callback = model.RegisterTransitCallback(transit)
    model.SetArcCostEvaluatorOfAllVehicles(callback)
    horizon = int(inst.day_end)
    model.AddDimension(callback, horizon, horizon, False, "time")
    time_dim = model.GetDimensionOrDie("time")
    time_dim.CumulVar(model.Start(0)).SetRange(int(inst.day_start), horizon)
    time_dim.CumulVar(model.End(0)).SetRange(int(inst.day_start), horizon)
    for node in inst.candidates:
        index = manager.NodeToIndex(node)
        opens = int(inst.opens[node])
        closes = int(inst.closes[node]) if inst.closes[node] != engine.INFINITY else horizon
        time_dim.CumulVar(index).SetRange(max(opens, int(inst.day_start)), closes)
        model.AddDisjunction([index], round(inst.score[node] * 1000))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.local_search_operators.use_extended_swap_active = pywrapcp.BOOL_TRUE
    params.time_limit.seconds = seconds
    solution = model.SolveWithParameters(params)
    if solution is None:
        return None
    index, route = model.Start(0), []
    while not model.IsEnd(index):
        node = manager.IndexToNode(index)
        if node not in (inst.start, inst.end):
            route.append(node)
        index = solution.Value(model.NextVar(index))
    return engine.score_of(inst, route) if engine.simulate(inst, route).feasible else None


def pyvrp_score(inst: engine.Instance, seconds: int) -> float | None:
    try:
        import pyvrp
        from pyvrp.stop import MaxRuntime
    except ImportError:
        return None
    model = pyvrp.Model()
    early, late = round(inst.day_start), round(inst.day_end)
    nodes = [inst.start, inst.end, *inst.candidates]
    places = {node: model.add_location(x=0, y=0) for node in nodes}
    first = model.add_depot(places[inst.start], tw_early=early, tw_late=late)
    last = model.add_depot(places[inst.end], tw_early=early, tw_late=late)
    model.add_vehicle_type(
        num_available=1,
        start_depot=first,
        end_depot=last,
        tw_early=early,
        tw_late=late,
        unit_distance_cost=0,
        unit_duration_cost=1,
    )
    for node in inst.candidates:
        closes = inst.closes[node] if inst.closes[node] != engine.INFINITY else inst.day_end
        model.add_client(
            places[node],
            service_duration=round(inst.service[node]),
            tw_early=round(max(inst.opens[node], inst.day_start)),
            tw_late=round(closes),
            prize=round(inst.score[node] * 1000),
            required=False,
        )
    for a in nodes:
        for b in nodes:
            if a != b:
                leg = round(inst.travel[a][b])
                model.add_edge(places[a], places[b], distance=leg, duration=leg)
    result = model.solve(stop=MaxRuntime(seconds), display=False)
    route = [
        inst.candidates[step.idx]
        for r in result.best.routes()
        for step in r.schedule()
        if step.is_client()
    ]
    return engine.score_of(inst, route) if engine.simulate(inst, route).feasible else None


def peers(inst: engine.Instance) -> dict:
    started = time.perf_counter()
    vroom_route = engine.vroom_route(inst, exploration=5)
    out = {
        "vroom_score": round(engine.score_of(inst, vroom_route), 1)
        if engine.simulate(inst, vroom_route).feasible
        else None,
        "vroom_s": round(time.perf_counter() - started, 2),
    }
    for name, run in (("ortools", ortools_score), ("pyvrp", pyvrp_score)):
        started = time.perf_counter()
        try:
            score = run(inst, PEER_SECONDS)
        except Exception as exc:  # a peer's failure is reported, not fatal
            score, out[f"{name}_error"] = None, repr(exc)[:200]
        out[f"{name}_score"] = None if score is None else round(score, 1)
        out[f"{name}_s"] = round(time.perf_counter() - started, 1)
    return out


# --- the demo landlord ------------------------------------------------------------------


def demo_figures(quick: bool) -> dict:
    from server.app import create_app

    homes_per_patch = 60 if quick else 1800
    runs = 3 if quick else 9
    today = london_today()
    tomorrow = today + timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        db = open_database(path)
        demo.build(db, seed=1, homes_per_patch=homes_per_patch, as_of=today)
        demo_field.record_week(db, seed=1, as_of=today)
        token = login(db, "officer1", demo.DEMO_PASSWORD, "bench")["token"]
        officer = db.execute(
            "SELECT id, team_id FROM users WHERE username = 'officer1'"
        ).fetchone()
        db.close()
        client = create_app(
            {"TESTING": True, "DATABASE": str(path), "SECRET_KEY": SECRET}
        ).test_client()
        headers = {"Authorization": f"Bearer {token}"}
        out = {"homes_per_patch": homes_per_patch}
        for mode, key in (("car", "plan_ms"), ("walk", "plan_walk_ms")):
            times = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                response = client.post(
                    "/plans", json={"date": tomorrow.isoformat(), "mode": mode}, headers=headers
                )
                times.append(time.perf_counter() - started)
                assert response.status_code == 201, response.get_json()
            plan = response.get_json()
            out[key] = round(statistics.median(times[1:]) * 1000, 1)
            out[f"{key[:-3]}_stops"] = plan["totals"]["stops"]
        # Re-plan at 13:00 with the first two stops done.
        times = []
        for _ in range(runs):
            plan = client.post(
                "/plans", json={"date": tomorrow.isoformat()}, headers=headers
            ).get_json()
            at = datetime.combine(tomorrow, clock(13, 0), LONDON)
            body = {
                "position": {k: plan["stops"][1][k] for k in ("latitude", "longitude")},
                "at": at.isoformat(),
                "done": [s["uprn"] for s in plan["stops"][:2]],
            }
            started = time.perf_counter()
            response = client.post(f"/plans/{plan['id']}/replan", json=body, headers=headers)
            times.append(time.perf_counter() - started)
            assert response.status_code == 201, response.get_json()
        out["replan_ms"] = round(statistics.median(times) * 1000, 1)
        # The same problem for our engine (as plans use it) and for the peers.
        db = open_database(path)
        caller = Caller(officer[0], "officer1", "officer", officer[1])
        request = {"officer_id": officer[0], "date": tomorrow, "mode": "car", "breaks": []}
        prep = days.prepare(db, caller, request)
        ours = engine.solve(prep.inst, time_limit=0.15, exploration=3, patience=40)
        out["plan_score"] = round(ours.score, 1)
        # The peers get every candidate, not just the planner's strongest ones.
        everyone = days.prepare(db, caller, request, max_candidates=10**6)
        out["plan_candidates"] = len(everyone.chosen)
        if not quick:
            out.update(peers(everyone.inst))
        # Both teams' weeks: 6 officers x 5 days.
        admin = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
        system = Caller(admin, "admin", "admin", None)
        monday = tomorrow + timedelta(days=(7 - tomorrow.weekday()) % 7)
        started = time.perf_counter()
        stops = 0
        for (team_id,) in db.execute("SELECT id FROM teams ORDER BY id").fetchall():
            week = weeks.plan_week(db, system, team_id, {"start": monday, "days": 5})
            stops += sum(p["stops"] for p in week["plans"])
        out["week_s"] = round(time.perf_counter() - started, 2)
        out["week_stops"] = stops
        db.close()
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = {**demo_figures(args.quick), **gaps(args.quick)}
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"Visit planning ({f['homes_per_patch']} homes a patch); medians")
    print(f"  day plan, car          {f['plan_ms']:8.1f} ms  ({f['plan_stops']} stops)  <= 300")
    print(f"  day plan, walking      {f['plan_walk_ms']:8.1f} ms  ({f['plan_walk_stops']} stops)")
    print(f"  re-plan                {f['replan_ms']:8.1f} ms  target <= 200")
    print(
        f"  two teams' weeks       {f['week_s']:8.2f} s   ({f['week_stops']} stops)  target <= 10"
    )
    compared = [name for name in ("vroom", "ortools", "pyvrp") if f"{name}_score" in f]
    peers_line = ", ".join(f"{name} {f.get(f'{name}_score')}" for name in compared)
    print(
        f"  plan score             {f['plan_score']}  ({f['plan_candidates']} candidates)"
        + (f"; peers: {peers_line}" if peers_line else "")
    )
    print(
        f"  OP gap to best known   {f['op_gap_pct']:.3f}% mean over {f['op_instances']} "
        f"(worst {f['op_worst_gap_pct']}%)  target <= 0.5"
    )
    print(
        f"  OPTW gap to best known {f['optw_gap_pct']:.3f}% mean over {f['optw_instances']} "
        f"(worst {f['optw_worst_gap_pct']}%)  target <= 1.0"
    )


if __name__ == "__main__":
    main()
