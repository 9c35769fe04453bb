"""The route engine on public instances, run as the documented command, checked by an
independent checker."""

import gc
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bench.route_check import check, check_optw
from routing import engine, search
from routing.engine import Break
from routing.formats import READERS

pytestmark = pytest.mark.process  # each runs python -m routing.solve

BENCH = Path(__file__).resolve().parents[1] / "bench" / "instances" / "routing"
CASES = [
    ("op", "tsiligirides_1_budget_040.txt"),
    ("op", "tsiligirides_3_budget_050.txt"),
    ("op", "chao_66_budget_060.txt"),
    ("optw-solomon", "c101.txt"),
    ("optw-solomon", "c104.txt"),
    ("optw-cordeau", "pr06.txt"),
]


def solve(*args: str) -> subprocess.CompletedProcess:
    """``python -m routing.solve`` with ``args``, as its documentation runs it."""
    return subprocess.run(
        [sys.executable, "-m", "routing.solve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def folder(fmt: str) -> Path:
    return BENCH / fmt.split("-")[0]


def best_known(fmt: str, name: str) -> float:
    column = "best_known_score" if fmt == "op" else "best_prize"
    lines = (folder(fmt) / "best_known.csv").read_text().splitlines()
    header = lines[0].split(",")
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == name:
            return float(cells[header.index(column)])
    raise KeyError(name)


@pytest.mark.parametrize(("fmt", "name"), CASES)
def test_solver_routes_are_feasible_and_score_what_they_claim(fmt, name):
    path = folder(fmt) / name
    # The benchmark's own second for the 288-customer Cordeau file, half for the others.
    limit = "1.0" if fmt == "optw-cordeau" else "0.5"
    run = solve("--format", fmt, str(path), "--time-limit", limit)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    feasible, score, cost = check(fmt, path, out["route"])
    assert feasible and out["feasible"]
    assert out["score"] == score
    assert out["cost"] == pytest.approx(cost, abs=1e-6)
    assert score >= 0.9 * best_known(fmt, name)


def test_every_listed_instance_names_its_format():
    """The OPTW list says which variant each file is: the reader is told, never guesses."""
    lines = (BENCH / "optw" / "best_known.csv").read_text().splitlines()
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=True)) for line in lines[1:]]
    assert {r["format"] for r in rows} == {"optw-solomon", "optw-cordeau"}
    assert {r["file"] for r in rows if r["format"] == "optw-cordeau"} == {"pr06.txt", "pr10.txt"}
    assert all((BENCH / "optw" / r["file"]).exists() for r in rows)


def optw_file(tmp_path, *points: tuple[str, str, str, str, str, str]) -> Path:
    """A small OPTW file: ``(x, y, service, profit, opens, closes)`` per vertex."""
    lines = ["1 1 3 1", "0 0"]
    lines += [f"{k} {x} {y} {d} {s} 0 0 {o} {c}" for k, (x, y, d, s, o, c) in enumerate(points)]
    path = tmp_path / "tiny.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_each_optw_variant_truncates_travel_by_its_own_rule(tmp_path):
    path = optw_file(tmp_path, ("0", "0", "0", "0", "0", "100"), ("1", "1", "0", "5", "0", "100"))
    assert READERS["optw-solomon"](path).travel[0][1] == 1.4  # sqrt(2), one decimal
    assert READERS["optw-cordeau"](path).travel[0][1] == 1.41  # two decimals


def test_truncation_is_exact_on_decimal_coordinates(tmp_path):
    """4.35 is 434.99999999999994 hundredths in floating point: truncating that would
    make a leg 4.34, and a route that is late in reality look on time."""
    path = optw_file(
        tmp_path, ("0", "0", "0", "0", "0", "100"), ("4.35", "0", "0", "5", "0", "100")
    )
    assert READERS["optw-cordeau"](path).travel[0][1] == 4.35
    assert READERS["optw-solomon"](path).travel[0][1] == 4.3


def test_a_route_late_at_two_decimals_is_infeasible_for_the_checker(tmp_path):
    """The window closes at 1.41: reaching it at sqrt(2) is on time when travel keeps two
    decimals (1.41) and would be late with more; the checker uses the file's rule."""
    on_time = optw_file(
        tmp_path, ("0", "0", "0", "0", "0", "100"), ("1", "1", "0", "5", "0", "1.41")
    )
    assert check_optw(on_time, [1], "optw-cordeau")[:2] == (True, 5.0)
    late = optw_file(tmp_path, ("0", "0", "0", "0", "0", "100"), ("1", "1", "0", "5", "0", "1.40"))
    assert check_optw(late, [1], "optw-cordeau")[0] is False
    assert check_optw(late, [1], "optw-solomon")[0] is True


def test_the_checker_refuses_repeated_and_unknown_vertices(tmp_path):
    path = optw_file(tmp_path, ("0", "0", "0", "0", "0", "100"), ("1", "1", "0", "5", "0", "100"))
    assert check_optw(path, [1, 1], "optw-solomon")[0] is False
    assert check_optw(path, [0], "optw-solomon")[0] is False
    assert check_optw(path, [7], "optw-solomon")[0] is False


def test_an_unnamed_optw_variant_is_refused():
    run = solve("--format", "optw", str(BENCH / "optw" / "pr06.txt"))
    assert run.returncode == 2 and "invalid choice" in run.stderr


def test_a_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not a number\n")
    run = solve("--format", "op", str(bad))
    assert run.returncode == 2 and "cannot read" in run.stderr


@pytest.mark.parametrize("limit", [0.2, 0.5])
def test_a_plan_keeps_to_its_time_limit(limit):
    """VROOM is told the time left and the local search stops at the deadline: the whole
    solve ends within the limit, give or take VROOM's first construction."""
    path = BENCH / "optw" / "pr10.txt"
    inst = READERS["optw-cordeau"](path)
    inst.breaks = (Break(opens=300.0, closes=400.0, duration=30.0),)
    gc.collect()  # the suite's garbage: a collector pass over it is not the solver's time
    started = time.perf_counter()
    found = engine.solve(inst, time_limit=limit)
    took = time.perf_counter() - started
    assert found.feasible and found.route
    assert took <= limit + 0.15, f"{took:.3f} s under a {limit} s limit"


def random_day(seed: int) -> engine.Instance:
    """A small day with a break, appointments and travel that rounds (no triangle
    inequality guaranteed), to check the fast insertion test against a full pass."""
    rng = random.Random(seed)
    n = 14
    xy = [(rng.uniform(0, 60), rng.uniform(0, 60)) for _ in range(n)]
    travel = [[round(math.dist(a, b), 1) for b in xy] for a in xy]
    opens, closes = [0.0] * n, [engine.INFINITY] * n
    for node in rng.sample(range(2, n), 4):
        opens[node] = rng.uniform(0, 200)
        closes[node] = opens[node] + rng.uniform(10, 60)
    return engine.Instance(
        travel=travel,
        service=[0.0, 0.0] + [rng.uniform(5, 20) for _ in range(n - 2)],
        score=[0.0, 0.0] + [rng.randint(1, 9) for _ in range(n - 2)],
        opens=opens,
        closes=closes,
        start=0,
        end=1,
        day_start=0.0,
        day_end=300.0,
        breaks=(Break(opens=100.0, closes=160.0, duration=30.0),),
    )


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_insertion_check_agrees_with_a_full_pass(seed):
    """Every candidate, every position: the O(1) check says it fits exactly when the
    whole route, re-timed from the start, is on time; its cost is the real delay."""
    inst = random_day(seed)
    p = search.Problem(inst)
    found = engine.solve(inst, time_limit=0.05)
    route = search.evaluate(
        p, engine._with_breaks(p, [0, *found.route[: len(found.route) // 2], 1])
    )
    assert route is not None
    others = np.asarray([c for c in inst.candidates if c not in route.path])
    cost, where = search.insertion_costs(p, route, others)
    for node, added, at in zip(others, cost, where, strict=True):
        fits = []
        for k in range(len(route.path) - 1):
            trial = search.evaluate(p, [*route.path[: k + 1], int(node), *route.path[k + 1 :]])
            if trial is not None:
                nxt = next(
                    j for j in range(k + 2, len(trial.path)) if not p.is_break[trial.path[j]]
                )
                fits.append(trial.arrive[nxt] - route.arrive[nxt - 1])
        assert (at >= 0) == bool(fits)
        if fits:
            assert added == pytest.approx(min(fits))


def test_a_break_goes_where_the_day_holds():
    """A break open from the start cannot be taken first (the stop's window would close
    meanwhile), but fits after the stop: the schedule takes it there."""
    inst = engine.Instance(
        travel=[[0, 0, 10], [0, 0, 10], [10, 10, 0]],
        service=[0, 0, 10],
        score=[0, 0, 5],
        opens=[0, 0, 10],
        closes=[engine.INFINITY, engine.INFINITY, 20],
        start=0,
        end=1,
        day_start=0,
        day_end=100,
        breaks=(Break(opens=0, closes=200, duration=45),),
    )
    sched = engine.simulate(inst, [2])
    assert sched.feasible and sched.starts == [10] and sched.breaks == [20]
    assert sched.end_arrival == 75
    assert engine.solve(inst, time_limit=0.05).route == [2]


def test_a_must_visit_out_of_reach_does_not_drop_the_others():
    """Stop 3's window closes before anyone can get there: it is reported missing, and
    stop 2, which fits, is still planned, though stop 4 would score more in its place."""
    inst = engine.Instance(
        travel=[
            [0, 0, 10, 50, 10],
            [0, 0, 10, 50, 10],
            [10, 10, 0, 45, 20],
            [50, 50, 45, 0, 45],
            [10, 10, 20, 45, 0],
        ],
        service=[0, 0, 5, 5, 5],
        score=[0, 0, 1, 1, 10],
        opens=[0, 0, 0, 0, 0],
        closes=[engine.INFINITY, engine.INFINITY, 100, 20, 100],
        start=0,
        end=1,
        day_start=0,
        day_end=30,
        must=frozenset({2, 3}),
    )
    found = engine.solve(inst, time_limit=0.05)
    assert found.route == [2] and found.missing_must == [3]


def walking_day(seed: int) -> engine.Instance:
    """On foot: a ring of middling homes 10-25 minutes' walk around the base, and a cluster
    of strong homes 50 minutes away. Greedy insertion fills the day from the ring; the
    best day gives most of it up for the far cluster."""
    rng = random.Random(seed)
    points, score = [(0.0, 0.0), (0.0, 0.0)], [0.0, 0.0]
    for k in range(24):
        angle, radius = 2 * math.pi * k / 24 + rng.uniform(-0.1, 0.1), rng.uniform(600, 1500)
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
        score.append(rng.uniform(70, 90))
    for _ in range(5):
        points.append((3600 + rng.uniform(-100, 100), rng.uniform(-100, 100)))
        score.append(rng.uniform(125, 140))
    n = len(points)
    # 1.2 m/s, and a minute to find each door.
    travel = [
        [0.0 if i == j else round(math.dist(a, b) / 1.2 + 60) for j, b in enumerate(points)]
        for i, a in enumerate(points)
    ]
    travel[0][1] = travel[1][0] = 0.0
    return engine.Instance(
        travel=travel,
        service=[0.0, 0.0] + [1200.0] * (n - 2),
        score=score,
        opens=[0.0] * n,
        closes=[math.inf] * n,
        start=0,
        end=1,
        day_start=9 * 3600,
        day_end=17 * 3600,
        breaks=(Break(12 * 3600, 13.5 * 3600, 1800),),
    )


@pytest.mark.parametrize("seed", [1, 3])
def test_a_walking_day_gives_up_near_homes_for_a_far_cluster_of_strong_ones(seed):
    inst = walking_day(seed)
    p = search.Problem(inst)
    found = search.Search(p, time.perf_counter() + 30, seed=7).run(engine._repaired(p, []), 100)
    far = {v for v in found.stops if 26 <= v < len(inst.travel)}
    assert far == set(range(26, 31))
    assert found.score >= 0.98 * engine.solve(inst, time_limit=3).score
