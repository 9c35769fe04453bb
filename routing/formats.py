"""Readers for the public benchmark formats (bench/instances/routing/README.md).

- ``op``: orienteering (Tsiligirides; Chao, Golden and Wasil). Line 1 is ``Tmax P``; then
  ``x y score`` per point. Point 0 is the start, point 1 the end. Euclidean distances,
  unrounded, no service times; the route's length must be at most ``Tmax``.
- ``optw-solomon`` and ``optw-cordeau``: orienteering with time windows (the TOPTW files
  of Righini and Salani, and of Vansteenwegen et al.). Vertex 0 is start and end; its
  closing time is the day's budget. Customers have a service time, a profit and a window
  for the start of service. Travel is Euclidean *truncated* (rounded down) to one decimal
  for the files built on Solomon's instances and to two for those built on Cordeau's.

The two OPTW variants share one layout, and nothing in a file says which it is, so the
caller names it: the format is part of the instance, as the benchmark's own FORMAT.txt
says, and a reader that guessed would silently plan with the wrong distances (a route
feasible at one decimal can be late at two).
"""

import math
from decimal import Decimal
from pathlib import Path

from routing.engine import INFINITY, Instance

# Decimals kept (by truncation) of each OPTW variant's Euclidean travel times.
OPTW_DECIMALS = {"optw-solomon": 1, "optw-cordeau": 2}


def _rows(path: Path) -> list[list[str]]:
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]


def truncated_distances(coords: list[tuple[str, str]], decimals: int) -> list[list[float]]:
    """Euclidean distances between points given as decimal text, rounded down to
    ``decimals`` exactly: the coordinates become whole numbers of their smallest unit, so
    a distance of exactly 2.3 stays 2.3 (floating point would make it 2.29 as often as
    not), and the truncation is an integer square root."""
    places = max(-Decimal(v).as_tuple().exponent for xy in coords for v in xy)
    places = max(places, 0)
    scale = 10**places
    ints = [(int(Decimal(x) * scale), int(Decimal(y) * scale)) for x, y in coords]
    unit = 10**decimals
    widen = unit * unit
    return [
        [math.isqrt(((ax - bx) ** 2 + (ay - by) ** 2) * widen) // scale / unit for bx, by in ints]
        for ax, ay in ints
    ]


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


def read_optw(path: Path, decimals: int) -> Instance:
    """An OPTW file whose travel times keep ``decimals`` (see ``OPTW_DECIMALS``)."""
    rows = _rows(path)[2:]
    points = [
        (float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[-2]), float(r[-1]))
        for r in rows
    ]
    # The depot is both start (node 0) and end (an extra node n, at the same place).
    points.append(points[0])
    rows.append(rows[0])
    n = len(points)
    travel = truncated_distances([(r[1], r[2]) for r in rows], decimals)
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


READERS = {
    "op": read_op,
    "optw-solomon": lambda path: read_optw(path, OPTW_DECIMALS["optw-solomon"]),
    "optw-cordeau": lambda path: read_optw(path, OPTW_DECIMALS["optw-cordeau"]),
}
