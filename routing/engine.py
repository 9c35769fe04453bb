"""The route engine: an orienteering problem with time windows, on plain data.

Given a travel-time matrix, service times, scores, time windows and a working day, pick
the stops and their order that collect the most score, such that:

- service at each stop starts within its window (arriving early means waiting);
- the route starts at ``start`` no earlier than ``day_start`` and reaches ``end`` by
  ``day_end``;
- every ``must`` stop is visited;
- each break (a window and a duration) is taken once, between stops, where the officer
  is (after a stop, or before the first), starting within its window.

It works in two stages, measured side by side (see bench.routing):

1. **VROOM** (pyvroom) builds a plan in a quarter of the time limit (its timeout; only
   its first construction can overrun a tiny one). VROOM wants whole-number times and
   priorities from 0 to 100, so times are scaled (rounded up, so its plans stay feasible
   in exact arithmetic) and scores are scaled to priorities. Its route, with its breaks,
   is repaired to hold every must-visit.
2. **Our own search** (routing.search) starts from the better of that and a route of the
   must-visits alone, and works on the exact numbers until the deadline: ruin and
   recreate with an O(1) feasibility check per insertion (breaks as pseudo-stops,
   forward time slack), 2-opt and or-opt to make room.

Every route it returns is re-timed from the start; the score reported is recomputed
from the route.
"""

import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import vroom

from routing import search

INFINITY = float("inf")
EPSILON = 1e-9
VROOM_SHARE = 0.25  # of the time limit, for VROOM's own search


@dataclass(frozen=True)
class Break:
    """A break of ``duration`` starting between ``opens`` and ``closes``, taken between
    stops (or before the first)."""

    opens: float
    closes: float
    duration: float


@dataclass
class Instance:
    travel: list[list[float]]  # travel[i][j]: time from node i to node j
    service: list[float]
    score: list[float]
    opens: list[float]  # earliest start of service
    closes: list[float]  # latest start of service
    start: int
    end: int
    day_start: float
    day_end: float  # the latest arrival at ``end``
    must: frozenset[int] = frozenset()
    breaks: tuple[Break, ...] = ()
    # Nodes that may be visited at all (default: every node but start and end).
    candidates: list[int] | None = None

    def __post_init__(self):
        if self.candidates is None:
            self.candidates = [
                i for i in range(len(self.travel)) if i not in (self.start, self.end)
            ]


@dataclass
class Schedule:
    feasible: bool
    arrivals: list[float] = field(default_factory=list)  # at each stop of the route
    starts: list[float] = field(default_factory=list)  # service starts
    end_arrival: float = INFINITY
    breaks: list[float] = field(default_factory=list)  # when each break starts
    travel: float = 0.0


def simulate(inst: Instance, route: list[int]) -> Schedule:
    """Times along ``route`` (stops only, without start and end), each break taken where
    it lets the day end soonest. A break is taken where the officer is, between stops
    (after one, or before the first, or after the last), and starts once its window
    opens and before it closes (see routing.search)."""
    p = search.Problem(inst)
    best = None
    if len(set(route)) == len(route):
        for places in _break_places(len(route), len(p.breaks)):
            path = [inst.start]
            for k, node in enumerate(route):
                path += [b for b, at in zip(p.breaks, places, strict=True) if at == k]
                path.append(node)
            path += [b for b, at in zip(p.breaks, places, strict=True) if at == len(route)]
            found = search.evaluate(p, [*path, inst.end])
            if found and (best is None or found.end_time < best.end_time):
                best = found
    return schedule(p, best)


def _break_places(stops: int, breaks: int):
    """Every way to place ``breaks`` breaks, in order, before stop k (k = stops: after
    the last)."""
    return itertools.combinations_with_replacement(range(stops + 1), breaks)


def schedule(p: "search.Problem", route: "search.Route | None") -> Schedule:
    """The Schedule of a route found by the search (None: infeasible)."""
    if route is None:
        return Schedule(feasible=False)
    sched = Schedule(feasible=True, end_arrival=route.end_time)
    here = route.path[0]
    for k, node in enumerate(route.path[1:], start=1):
        if p.is_break[node]:
            sched.breaks.append(route.begin[k])
        elif node != route.path[-1]:
            sched.arrivals.append(route.arrive[k])
            sched.starts.append(route.begin[k])
        if not p.is_break[node]:
            sched.travel += p.travel[here][node]
            here = node
    return sched


def score_of(inst: Instance, route: list[int]) -> float:
    return sum(inst.score[i] for i in route)


@dataclass
class Solution:
    route: list[int]
    score: float
    cost: float  # travel time of the route
    end_arrival: float
    feasible: bool
    missing_must: list[int]
    engine: str


# --- stage 1: VROOM ---------------------------------------------------------------------


def _scale(inst: Instance) -> float:
    """A factor making every time a whole number: exact when the data allows (times with
    at most one decimal), otherwise 1,000 (then rounded up). In numpy: at the server's
    time budget, building VROOM's input in a Python loop took a quarter of it."""
    bounds = np.asarray([*inst.opens, *inst.closes, inst.day_start, inst.day_end], dtype=float)
    values = np.concatenate(
        [
            np.asarray(inst.travel, dtype=float).ravel(),
            np.asarray(inst.service, dtype=float),
            bounds[np.isfinite(bounds)],
        ]
    )
    for factor in (1, 10, 100):
        if np.all(np.abs(values * factor - np.round(values * factor)) < 1e-6):
            return factor
    return 1000


def vroom_route(
    inst: Instance,
    *,
    exploration: int = 5,
    threads: int = 2,
    timeout: float | None = None,
    with_breaks: bool = False,
) -> list[int]:
    """VROOM's route (stops only; ``with_breaks``: break k as node n + k where VROOM took
    it). ``timeout``: seconds VROOM may search (None: no limit)."""
    factor = _scale(inst)
    exact = factor in (1, 10, 100)

    def up(v: float) -> int:
        return round(v * factor) if exact else math.ceil(v * factor - 1e-9)

    def down(v: float) -> int:
        return round(v * factor) if exact else math.floor(v * factor + 1e-9)

    nodes = sorted({inst.start, inst.end, *inst.candidates})
    position = {node: k for k, node in enumerate(nodes)}
    scaled = np.asarray(inst.travel, dtype=float)[np.ix_(nodes, nodes)] * factor
    matrix = np.round(scaled) if exact else np.ceil(scaled - 1e-9)
    top = max((inst.score[i] for i in inst.candidates), default=1) or 1
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    breaks = [
        vroom.Break(
            k + 1,
            time_windows=[vroom.TimeWindow(up(b.opens), down(b.closes))],
            service=up(b.duration),
        )
        for k, b in enumerate(inst.breaks)
    ]
    problem.add_vehicle(
        vroom.Vehicle(
            1,
            start=position[inst.start],
            end=position[inst.end],
            time_window=vroom.TimeWindow(up(inst.day_start), down(inst.day_end)),
            breaks=breaks,
        )
    )
    jobs = []
    for node in inst.candidates:
        priority = (
            100 if node in inst.must else max(0, min(99, round(99 * inst.score[node] / top)))
        )
        opens = up(inst.opens[node]) if math.isfinite(inst.opens[node]) else 0
        closes = down(inst.closes[node]) if math.isfinite(inst.closes[node]) else None
        windows = [vroom.TimeWindow(opens, closes)] if closes is not None else []
        jobs.append(
            vroom.Job(
                node + 1,
                location=position[node],
                default_service=up(inst.service[node]),
                priority=priority,
                time_windows=windows,
            )
        )
    if not jobs:
        return []
    problem.add_job(jobs)
    limit = None if timeout is None else timedelta(seconds=max(timeout, 0.001))
    solution = problem.solve(
        exploration_level=exploration, nb_threads=threads, timeout=limit
    ).to_dict()
    steps = solution["routes"][0]["steps"] if solution["routes"] else []
    n = len(inst.travel)
    return [
        step["id"] - 1 if step["type"] == "job" else n + step["id"] - 1
        for step in steps
        if step["type"] == "job" or (with_breaks and step["type"] == "break")
    ]


# --- stage 2: our own search on exact numbers ---------------------------------------------


def solve(
    inst: Instance,
    *,
    time_limit: float = 1.0,
    exploration: int = 5,
    patience: int | None = None,
    initial: list[int] | None = None,
) -> Solution:
    """Plan one route within ``time_limit`` seconds. ``patience``: stop after this many
    ruin-and-recreate rounds without progress (default: use the whole time limit).
    ``initial``: a route (stops) to start from as well, kept if nothing better is found
    and it is still feasible."""
    started = time.perf_counter()
    deadline = started + time_limit
    p = search.Problem(inst)
    finder = search.Search(p, deadline, seed=len(inst.candidates))
    # VROOM gets a share of the budget; its construction may overrun a tiny timeout a
    # little, and our search then stops at the deadline.
    steps = vroom_route(
        inst, exploration=exploration, timeout=VROOM_SHARE * time_limit, with_breaks=True
    )
    starts = [_repaired(p, steps), _repaired(p, [])]
    if initial:
        starts.append(_repaired(p, [v for v in initial if v in set(inst.candidates)]))
    route = max((r for r in starts if r is not None), key=lambda r: r.score, default=None)
    if route is None:  # the must-visits cannot all be met: plan without the failing ones
        route = search.evaluate(p, _with_breaks(p, [inst.start, inst.end]))
    if route is not None:
        route = finder.run(route, patience)
    sched = schedule(p, route)
    stops = [] if route is None else [v for v in route.stops if not p.is_break[v]]
    return Solution(
        route=stops,
        score=score_of(inst, stops),
        cost=sched.travel,
        end_arrival=sched.end_arrival,
        feasible=sched.feasible,
        missing_must=sorted(inst.must - set(stops)),
        engine="vroom+ruin-and-recreate",
    )


def _repaired(p: "search.Problem", steps: list[int]) -> "search.Route | None":
    """A feasible route from VROOM's steps holding every must-visit: breaks placed where
    VROOM took them, or else where they fit; must-visits VROOM left out inserted, dropping
    the weakest other stops when they do not fit; None if that fails."""
    path = [p.start, *steps, p.end]
    if any(b not in path for b in p.breaks) or search.evaluate(p, path) is None:
        path = _with_breaks(p, [v for v in path if not p.is_break[v]])
    while path is None or search.evaluate(p, path) is None:
        stops = [] if path is None else [v for v in path[1:-1] if not p.is_break[v]]
        weak = [v for v in stops if v not in p.must]
        if not weak:
            return None
        stops.remove(min(weak, key=lambda v: p.score[v]))
        path = _with_breaks(p, [p.start, *stops, p.end])
    route = search.evaluate(p, path)
    for node in sorted(p.must - set(path), key=lambda v: p.opens[v]):
        # A must-visit that cannot be met at all is left out (and reported missing).
        route = _force(p, route, node) or route
    return route


def _with_breaks(p: "search.Problem", path: list[int]) -> list[int] | None:
    """``path`` with each break inserted where it delays the day least (None: nowhere)."""
    for b in p.breaks:
        best = None
        for at in range(1, len(path)):
            found = search.evaluate(p, [*path[:at], b, *path[at:]])
            if found and (best is None or found.end_time < best.end_time):
                best = found
        if best is None:
            return None
        path = best.path
    return path


def _force(p: "search.Problem", route: "search.Route", node: int) -> "search.Route | None":
    """``route`` with ``node`` inserted, dropping the weakest other stops until it fits."""
    route_stops = [v for v in route.stops if not p.is_break[v]]
    while True:
        _, where = search.insertion_costs(p, route, np.asarray([node]))
        if where[0] >= 0:
            at = int(where[0])
            return search.evaluate(p, [*route.path[: at + 1], node, *route.path[at + 1 :]])
        weak = [v for v in route_stops if v not in p.must]
        if not weak:
            return None
        route_stops.remove(min(weak, key=lambda v: p.score[v]))
        path = _with_breaks(p, [p.start, *route_stops, p.end])
        route = path and search.evaluate(p, path)
        if route is None:
            return None
