"""An independent checker of routes on the public benchmark files.

It shares no code with the route engine (it imports nothing from ``routing``): it reads
the raw file itself and recomputes, in exact rational arithmetic, whether the route is
feasible and what it scores. Every gap ``bench.routing`` reports goes through it, so a
reader or simulator bug in the engine shows up as an infeasible route, not as a good
score.

    python -m bench.route_check --format optw-cordeau FILE 12 7 31 ...
"""

import argparse
import itertools
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

# Travel in the OPTW files: Euclidean, rounded down to this many decimals (FORMAT.txt).
TRUNCATE_TO = {"optw-solomon": 1, "optw-cordeau": 2}


def _rows(path) -> list[list[str]]:
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]


def _valid(route, allowed) -> bool:
    return len(set(route)) == len(route) and all(v in allowed for v in route)


def check_op(path, route) -> tuple[bool, float, float]:
    """(feasible, score, length) of a route from point 0 to point 1 within Tmax; the
    length is exact Euclidean distance (compared with a float's precision)."""
    rows = _rows(path)
    budget = float(rows[0][0])
    pts = [tuple(map(float, r)) for r in rows[1:]]
    if not _valid(route, range(2, len(pts))):
        return False, 0.0, math.inf
    walk = [0, *route, 1]
    length = math.fsum(math.dist(pts[a][:2], pts[b][:2]) for a, b in itertools.pairwise(walk))
    return length <= budget + 1e-9, sum(pts[v][2] for v in route), length


def check_optw(path, route, fmt: str) -> tuple[bool, float, float]:
    """(feasible, score, return time) of a route from vertex 0 back to it: service
    starts within each window (waiting when early), back by vertex 0's closing time.
    ``fmt`` (optw-solomon, optw-cordeau) says how travel times are truncated; all
    arithmetic is exact."""
    unit = 10 ** TRUNCATE_TO[fmt]
    pts = {}
    for r in _rows(path)[2:]:
        x, y, service, profit = (Fraction(v) for v in r[1:5])
        pts[int(r[0])] = (x, y, service, profit, Fraction(r[-2]), Fraction(r[-1]))
    if not _valid(route, set(pts) - {0}):
        return False, 0.0, math.inf

    def travel(a, b) -> Fraction:
        squared = ((pts[a][0] - pts[b][0]) ** 2 + (pts[a][1] - pts[b][1]) ** 2) * unit**2
        return Fraction(math.isqrt(squared.numerator // squared.denominator), unit)

    clock, here, ok = pts[0][4], 0, True
    for v in route:
        clock = max(clock + travel(here, v), pts[v][4])
        ok &= clock <= pts[v][5]
        clock += pts[v][2]
        here = v
    clock += travel(here, 0)
    ok &= clock <= pts[0][5]
    return ok, float(sum(pts[v][3] for v in route)), float(clock)


def check(fmt: str, path, route) -> tuple[bool, float, float]:
    return check_op(path, route) if fmt == "op" else check_optw(path, route, fmt)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["op", *TRUNCATE_TO], required=True)
    parser.add_argument("file")
    parser.add_argument("route", nargs="*", type=int)
    args = parser.parse_args(argv)
    feasible, score, cost = check(args.format, args.file, args.route)
    print(json.dumps({"feasible": feasible, "score": score, "cost": cost}))
    return 0 if feasible else 1


if __name__ == "__main__":
    sys.exit(main())
