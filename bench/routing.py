"""Visit planning as served, against the best anyone finds; and the public benchmarks.

    python -m bench.routing            # full demo landlord, 30 s references, every instance
    python -m bench.routing --quick    # small landlord, short references, three instances
    python -m bench.routing --json     # one JSON object

The served problem is officer1's day as POST /plans builds it from the demo (tomorrow,
the default window and break, the server's candidates), with two appointments: the
10th and 30th strongest candidates within an hour of the base, 10:00-10:30 and
15:00-15:30. Then:

- plan_ms: the in-process solve at the server's time budget (median); served_score;
- reference_score: the best score any solver finds for the same problem given 30 s (our
  engine; VROOM at exploration 5 with no limit; OR-Tools and PyVRP when installed, the
  ``peers`` extra); served_gap_pct = 100 x (reference - served) / reference;
- score_1s, peer_scores_1s: our engine and each peer at 1 s each;
- walk_served_score, walk_reference_score: the same day on foot;
- replan_ms: a re-plan at 13:00 through the API (median);
- week_s, week_score, week_score_greedy: both demo teams' joint week (15 minutes kept
  free at the end of each day), and the greedy week it starts from, in the same run;
  week_s_greedy_only, week_score_greedy_only: a greedy-only week, run on its own;
- op_gap_pct, optw_gap_pct: the mean gap to the best known over every public instance in
  bench/instances/routing, 1 s each, every route confirmed by the independent checker
  (bench.route_check); an infeasible route fails the run.
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
from bench import routing_peers as peers
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
REFERENCE_SECONDS = 30
APPOINTMENTS = ((10, "10:00", "10:30"), (30, "15:00", "15:30"))  # (rank, from, to)


def gaps(quick: bool) -> dict:
    out = {}
    for fmt, column in (("op", "best_known_score"), ("optw", "best_prize")):
        rows = list(csv.DictReader((INSTANCES / fmt / "best_known.csv").open()))
        if quick:
            rows = rows[:: max(1, len(rows) // 3)][:3]
        found = []
        for row in rows:
            variant = row.get("format", fmt)
            path = INSTANCES / fmt / row["file"]
            solution = engine.solve(READERS[variant](path), time_limit=0.2 if quick else 1.0)
            # The gap counts only what the independent checker confirms.
            feasible, score, _ = route_check.check(variant, path, solution.route)
            assert feasible, f"{row['file']}: the checker finds the route infeasible"
            best = float(row[column])
            found.append((best - score) / best * 100)
        out[f"{fmt}_gap_pct"] = round(statistics.mean(found), 3)
        out[f"{fmt}_worst_gap_pct"] = round(max(found), 2)
        out[f"{fmt}_instances"] = len(rows)
    return out


# --- the served problem -----------------------------------------------------------------


def served_request(db, caller: Caller, officer_id: int, day, mode: str) -> dict:
    """officer1's day as POST /plans takes it, with the bench's two appointments."""
    request = {"officer_id": officer_id, "date": day, "mode": mode}
    prep = days.prepare(db, caller, request)
    # Homes an officer could reach for an appointment: within an hour of the base.
    ranked = [h for k, h in enumerate(prep.chosen, 2) if prep.inst.travel[0][k] <= 3600]
    last = len(ranked) - len(APPOINTMENTS)  # a small landlord has fewer candidates
    request["appointments"] = [
        {"uprn": ranked[min(rank, last + k)]["uprn"], "from": start, "to": end}
        for k, (rank, start, end) in enumerate(APPOINTMENTS)
    ]
    return request


def served_figures(db, caller: Caller, officer_id: int, day, quick: bool) -> dict:
    out = {}
    runs = 3 if quick else 7
    # --quick keeps make test fast: short references, and "1 s" runs of 0.3 s.
    reference_s = 0.5 if quick else REFERENCE_SECONDS
    one_s = 0.3 if quick else 1.0
    for mode, prefix in (("car", ""), ("walk", "walk_")):
        prep = days.prepare(db, caller, served_request(db, caller, officer_id, day, mode))
        inst = prep.inst
        times, scores = [], []
        for _ in range(runs):
            started = time.perf_counter()
            served = days.solve(prep)
            times.append(time.perf_counter() - started)
            assert served.feasible and not served.missing_must
            scores.append(served.score)
        if not prefix:
            out["plan_ms"] = round(statistics.median(times) * 1000, 1)
            out["plan_ms_max"] = round(max(times) * 1000, 1)
            out["served_stops"] = len(served.route)
            out["candidates"] = len(prep.chosen)
        out[f"{prefix}served_score"] = round(statistics.median(scores), 1)
        found = {
            "ours": engine.solve(inst, time_limit=reference_s).score,
            "vroom": peers.peer_score("vroom", inst, None),
        }
        for name in peers.installed()[1:]:
            found[name] = peers.peer_score(name, inst, reference_s)
        reference = max(v for v in found.values() if v is not None)
        out[f"{prefix}reference_score"] = round(reference, 1)
        out[f"{prefix}reference_by"] = {k: round(v, 1) for k, v in found.items()}
        gap = 100 * (reference - out[f"{prefix}served_score"]) / reference
        out[f"{prefix}served_gap_pct"] = round(max(gap, 0.0), 2)
        if not prefix:
            out["score_1s"] = round(engine.solve(inst, time_limit=one_s).score, 1)
            out["peer_scores_1s"] = {
                name: round(peers.peer_score(name, inst, one_s), 1) for name in peers.installed()
            }
    return out


# --- the demo landlord ------------------------------------------------------------------


def demo_figures(quick: bool) -> dict:
    from server.app import create_app

    homes_per_patch = 60 if quick else 1800
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
        caller = Caller(officer[0], "officer1", "officer", officer[1])
        out = {"homes_per_patch": homes_per_patch}
        out.update(served_figures(db, caller, officer[0], tomorrow, quick))
        db.close()
        client = create_app(
            {"TESTING": True, "DATABASE": str(path), "SECRET_KEY": SECRET}
        ).test_client()
        headers = {"Authorization": f"Bearer {token}"}
        # Re-plan at 13:00 with the first two stops done.
        times = []
        for _ in range(3 if quick else 7):
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
        out.update(week_figures(path, tomorrow))
    return out


def week_figures(path: Path, tomorrow) -> dict:
    """Both demo teams' week (6 officers x 5 days, 15 minutes kept free at the end of
    each day): the joint week, and the greedy week it starts from (the same run, the
    same input); then a greedy-only week, on its own copy, for its time."""
    out = {}
    monday = tomorrow + timedelta(days=(7 - tomorrow.weekday()) % 7)
    for suffix, method in (("", "joint"), ("_greedy_only", "greedy")):
        copy = path.with_name(f"week-{method}.db")
        copy.write_bytes(path.read_bytes())
        db = open_database(copy)
        admin = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
        system = Caller(admin, "admin", "admin", None)
        started = time.perf_counter()
        score, greedy, stops = 0.0, 0.0, 0
        for (team_id,) in db.execute("SELECT id FROM teams ORDER BY id").fetchall():
            request = {"start": monday, "days": 5, "method": method, "end_slack_minutes": 15}
            week = weeks.plan_week(db, system, team_id, request)
            score += week["score"]
            greedy += week["greedy_score"]
            stops += sum(p["stops"] for p in week["plans"])
        out[f"week_s{suffix}"] = round(time.perf_counter() - started, 2)
        out[f"week_score{suffix}"] = round(score, 1)
        out[f"week_stops{suffix}"] = stops
        if method == "joint":
            out["week_score_greedy"] = round(greedy, 1)
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
    print(f"Visit planning ({f['homes_per_patch']} homes a patch, {f['candidates']} candidates)")
    print(f"  served day plan        {f['plan_ms']:8.1f} ms median  target <= 300")
    print(
        f"  served score           {f['served_score']:8.1f}  reference {f['reference_score']}"
        f" {f['reference_by']}  gap {f['served_gap_pct']}%  target <= 1.0"
    )
    print(f"  at 1 s                 {f['score_1s']:8.1f}  peers {f['peer_scores_1s']}")
    print(
        f"  walking                {f['walk_served_score']:8.1f}  reference "
        f"{f['walk_reference_score']}  gap {f['walk_served_gap_pct']}%  target <= 1.0"
    )
    print(f"  re-plan                {f['replan_ms']:8.1f} ms  target <= 200")
    print(
        f"  two teams' week        {f['week_s']:8.2f} s  score {f['week_score']} "
        f"(its greedy start {f['week_score_greedy']})  target <= 5 s"
    )
    print(
        f"  greedy week alone      {f['week_s_greedy_only']:8.2f} s  score "
        f"{f['week_score_greedy_only']}"
    )
    print(
        f"  OP gap to best known   {f['op_gap_pct']:.3f}% mean over {f['op_instances']} "
        f"(worst {f['op_worst_gap_pct']}%)  target <= 0.1"
    )
    print(
        f"  OPTW gap to best known {f['optw_gap_pct']:.3f}% mean over {f['optw_instances']} "
        f"(worst {f['optw_worst_gap_pct']}%)  target <= 1.0"
    )


if __name__ == "__main__":
    main()
