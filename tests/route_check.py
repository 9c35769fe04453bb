"""An independent checker of benchmark routes. It shares no code with the solver: it reads
the public formats itself and recomputes feasibility and score from the route."""

import itertools
import math
from pathlib import Path


def _rows(path):
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]


def check_op(path, route) -> tuple[bool, float, float]:
    """(feasible, score, length) of a route from point 0 to point 1 within Tmax."""
    rows = _rows(path)
    budget = float(rows[0][0])
    pts = [tuple(map(float, r)) for r in rows[1:]]
    if len(set(route)) != len(route) or any(not 2 <= v < len(pts) for v in route):
        return False, 0.0, math.inf
    walk = [0, *route, 1]
    length = sum(math.dist(pts[a][:2], pts[b][:2]) for a, b in itertools.pairwise(walk))
    return length <= budget + 1e-6, sum(pts[v][2] for v in route), length


def check_optw(path, route) -> tuple[bool, float, float]:
    """(feasible, score, return time): service starts within each window, back by the
    depot's closing time; travel is Euclidean truncated to one decimal."""
    rows = _rows(path)[2:]
    pts = {
        int(r[0]): (float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[-2]), float(r[-1]))
        for r in rows
    }
    if len(set(route)) != len(route) or any(v == 0 or v not in pts for v in route):
        return False, 0.0, math.inf

    def travel(a, b):
        return math.floor(math.dist(pts[a][:2], pts[b][:2]) * 10) / 10

    clock, here, ok = pts[0][4], 0, True
    for v in route:
        clock = max(clock + travel(here, v), pts[v][4])
        ok &= clock <= pts[v][5] + 1e-6
        clock += pts[v][2]
        here = v
    clock += travel(here, 0)
    ok &= clock <= pts[0][5] + 1e-6
    return ok, sum(pts[v][3] for v in route), clock
