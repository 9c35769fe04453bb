"""Readers for the public benchmark formats (../shared/bench/routing/README.md).

- ``op``: orienteering (Tsiligirides; Chao, Golden and Wasil). Line 1 is ``Tmax P``; then
  ``x y score`` per point. Point 0 is the start, point 1 the end. Euclidean distances,
  unrounded, no service times; the route's length must be at most ``Tmax``.
- ``optw``: orienteering with time windows (Solomon-based). Vertex 0 is start and end; its
  closing time is the day's budget. Customers have a service time, a profit and a window
  for the start of service. Travel is Euclidean, truncated to one decimal.
"""

import math
from pathlib import Path

from routing.engine import INFINITY, Instance


def _rows(path: Path) -> list[list[str]]:
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]


def read_op(path: Path) -> Instance:
    rows = _rows(path)
    budget = float(rows[0][0])
    points = [(float(r[0]), float(r[1]), float(r[2])) for r in rows[1:]]
    travel = [[math.hypot(a[0] - b[0], a[1] - b[1]) for b in points] for a in points]
    n = len(points)
    return Instance(
        travel=travel,
        service=[0.0] * n,
        score=[p[2] for p in points],
        opens=[0.0] * n,
        closes=[INFINITY] * n,
        start=0,
        end=1,
        day_start=0.0,
        day_end=budget,
    )


def read_optw(path: Path) -> Instance:
    rows = _rows(path)[2:]
    points = [
        (float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[-2]), float(r[-1]))
        for r in rows
    ]
    # The depot is both start (node 0) and end (an extra node n, at the same place).
    points.append(points[0])
    n = len(points)

    def distance(a, b):
        return math.floor(math.hypot(a[0] - b[0], a[1] - b[1]) * 10) / 10

    travel = [[distance(a, b) for b in points] for a in points]
    return Instance(
        travel=travel,
        service=[p[2] for p in points],
        score=[p[3] for p in points[:-1]] + [0.0],
        opens=[p[4] for p in points],
        closes=[p[5] for p in points],
        start=0,
        end=n - 1,
        day_start=points[0][4],
        day_end=points[0][5],
    )


READERS = {"op": read_op, "optw": read_optw}
