"""The route engine: an orienteering problem with time windows, on plain data.

Given a travel-time matrix, service times, scores, time windows and a working day, pick
the stops and their order that collect the most score, such that:

- service at each stop starts within its window (arriving early means waiting);
- the route starts at ``start`` no earlier than ``day_start`` and reaches ``end`` by
  ``day_end``;
- every ``must`` stop is visited;
- each break (a window and a duration) is taken once, between stops.

It works in two stages, measured side by side (see bench.routing):

1. **VROOM** (pyvroom) builds a plan: in this project's measurements it reached the best
   known scores on most public instances in tens of milliseconds. VROOM wants whole-number
   times and priorities from 0 to 100, so times are scaled (rounded up, so its plans stay
   feasible in exact arithmetic) and scores are scaled to priorities.
2. **A local search of our own** then works on the exact numbers until the time limit:
   it inserts must-visits VROOM left out, inserts more stops, swaps a stop for a better
   one, and shortens the route (2-opt, relocation) to make room for more.

Every route it returns is checked by ``simulate``; the score reported is recomputed from
the route.
"""

import itertools
import math
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import vroom

INFINITY = float("inf")
EPSILON = 1e-9
VROOM_SHARE = 0.4  # of the time limit, for VROOM's own search


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
    """Times along ``route`` (stops only, without start and end). A break is taken between
    stops: on arriving at a stop once its window is open (before service, using any wait
    for the stop's window), or before setting off when waiting until arrival would start
    it too late."""
    sched = Schedule(feasible=True)
    t = inst.day_start
    here = inst.start
    pending = sorted(inst.breaks, key=lambda b: b.opens)
    travelled = 0.0

    def take(at: float) -> float | None:
        b = pending.pop(0)
        begin = max(at, b.opens)
        if begin > b.closes + EPSILON:
            return None
        sched.breaks.append(begin)
        return begin + b.duration

    for node in [*route, inst.end]:
        leg = inst.travel[here][node]
        if pending and (t >= pending[0].opens or t + leg > pending[0].closes + EPSILON):
            t = take(t)
            if t is None:
                sched.feasible = False
                return sched
        t += leg
        travelled += leg
        if pending and t >= pending[0].opens:
            t = take(t)
            if t is None:
                sched.feasible = False
                return sched
        if node == inst.end:
            break
        sched.arrivals.append(t)
        begin = max(t, inst.opens[node])
        if pending and begin - t >= pending[0].duration and begin > pending[0].opens:
            # A long wait for the stop's window: take the break in it.
            b = pending[0]
            if max(t, b.opens) + b.duration <= begin and max(t, b.opens) <= b.closes:
                take(t)
        if begin > inst.closes[node] + EPSILON:
            sched.feasible = False
            return sched
        sched.starts.append(begin)
        t = begin + inst.service[node]
        here = node
    while pending:  # breaks still to take at the end of the day
        t = take(t)
        if t is None:
            sched.feasible = False
            return sched
    sched.end_arrival = t
    sched.travel = travelled
    if t > inst.day_end + EPSILON or len(set(route)) != len(route):
        sched.feasible = False
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
    at most one decimal), otherwise 1,000 (then rounded up)."""
    values = [v for row in inst.travel for v in row] + list(inst.service)
    bounds = (*inst.opens, *inst.closes, inst.day_start, inst.day_end)
    values += [v for v in bounds if math.isfinite(v)]
    for factor in (1, 10):
        if all(abs(v * factor - round(v * factor)) < 1e-6 for v in values):
            return factor
    return 1000


def vroom_route(
    inst: Instance, *, exploration: int = 5, threads: int = 2, timeout: float | None = None
) -> list[int]:
    """VROOM's route (stops only). ``timeout``: seconds VROOM may search (None: no limit)."""
    factor = _scale(inst)
    exact = factor in (1, 10)

    def up(v: float) -> int:
        return round(v * factor) if exact else math.ceil(v * factor - 1e-9)

    def down(v: float) -> int:
        return round(v * factor) if exact else math.floor(v * factor + 1e-9)

    nodes = sorted({inst.start, inst.end, *inst.candidates})
    position = {node: k for k, node in enumerate(nodes)}
    matrix = [[up(inst.travel[i][j]) for j in nodes] for i in nodes]
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
    return [step["id"] - 1 for step in steps if step["type"] == "job"]


# --- stage 2: local search on exact numbers ------------------------------------------------


class _Search:
    def __init__(self, inst: Instance, deadline: float):
        self.inst, self.deadline = inst, deadline

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def ok(self, route: list[int]) -> Schedule | None:
        sched = simulate(self.inst, route)
        return sched if sched.feasible else None

    def _slack(self, route: list[int]):
        """Per position of [start, *route, end]: the service start, and how much later the
        arrival there may become without breaking a window further on (Vansteenwegen's
        MaxShift). Valid only without breaks."""
        inst = self.inst
        path = [inst.start, *route, inst.end]
        starts, waits = [inst.day_start], [0.0]
        for prev, node in itertools.pairwise(path):
            arrive = starts[-1] + inst.service[prev] + inst.travel[prev][node]
            if node == inst.end:
                starts.append(arrive)
                waits.append(0.0)
                break
            begin = max(arrive, inst.opens[node])
            starts.append(begin)
            waits.append(begin - arrive)
        shift = [0.0] * len(path)
        shift[-1] = inst.day_end - starts[-1]
        for k in range(len(path) - 2, 0, -1):
            node = path[k]
            shift[k] = min(inst.closes[node] - starts[k], waits[k + 1] + shift[k + 1])
        return path, starts, waits, shift

    def best_insertion(self, route: list[int], node: int) -> tuple[float, int] | None:
        """(time added, position) of the cheapest feasible insertion of ``node``."""
        inst = self.inst
        if inst.breaks:
            base = simulate(inst, route).end_arrival
            best = None
            for pos in range(len(route) + 1):
                sched = self.ok([*route[:pos], node, *route[pos:]])
                if sched and (best is None or sched.end_arrival - base < best[0]):
                    best = (sched.end_arrival - base, pos)
            return best
        path, starts, waits, shift = self._slack(route)
        travel, service = inst.travel, inst.service
        opens, close = inst.opens[node], inst.closes[node]
        best = None
        for k in range(len(path) - 1):
            prev, nxt = path[k], path[k + 1]
            arrive = starts[k] + service[prev] + travel[prev][node]
            if arrive > close + EPSILON:
                continue
            begin = max(arrive, opens)
            added = begin - starts[k] - service[prev] - travel[prev][nxt]
            added += service[node] + travel[node][nxt]
            if added <= waits[k + 1] + shift[k + 1] + EPSILON and (
                best is None or added < best[0]
            ):
                best = (added, k)
        return best

    def insert_all(self, route: list[int], pool: list[int], rng=None) -> list[int]:
        """Insert the stop with the best score^2 / added time while any fits."""
        inst = self.inst
        while not self.out_of_time():
            inside = set(route)
            choice = None
            for node in pool:
                if node in inside:
                    continue
                if self.out_of_time():
                    return route
                found = self.best_insertion(route, node)
                if found is None:
                    continue
                ratio = inst.score[node] ** 2 / (found[0] + 1e-6)
                if rng is not None:
                    ratio *= 0.9 + 0.2 * rng.random()
                if choice is None or ratio > choice[0]:
                    choice = (ratio, node, found[1])
            if choice is None:
                break
            _, node, pos = choice
            route = [*route[:pos], node, *route[pos:]]
        return route

    def force_must(self, route: list[int]) -> list[int]:
        """Make room for must-visits left out, dropping the lowest-scoring other stops."""
        inst = self.inst
        for node in sorted(inst.must - set(route)):
            trial = list(route)
            while True:
                found = self.best_insertion(trial, node)
                if found:
                    route = [*trial[: found[1]], node, *trial[found[1] :]]
                    break
                droppable = [n for n in trial if n not in inst.must]
                if not droppable:
                    break
                trial.remove(min(droppable, key=lambda n: inst.score[n]))
        return route

    def shorten(self, route: list[int]) -> list[int]:
        """2-opt and relocation while they make the day end sooner, keeping it feasible."""
        current = self.ok(route)
        if current is None:
            return route
        improved = True
        while improved and not self.out_of_time():
            improved = False
            n = len(route)
            for i in range(n - 1):
                if self.out_of_time():
                    return route
                for j in range(i + 1, n):
                    trial = route[:i] + route[i : j + 1][::-1] + route[j + 1 :]
                    sched = self.ok(trial)
                    if sched and sched.end_arrival < current.end_arrival - EPSILON:
                        route, current, improved = trial, sched, True
                        break
                if improved or self.out_of_time():
                    break
            if improved:
                continue
            for i in range(n):
                node = route[i]
                rest = route[:i] + route[i + 1 :]
                for pos in range(len(rest) + 1):
                    if pos == i:
                        continue
                    trial = [*rest[:pos], node, *rest[pos:]]
                    sched = self.ok(trial)
                    if sched and sched.end_arrival < current.end_arrival - EPSILON:
                        route, current, improved = trial, sched, True
                        break
                if improved or self.out_of_time():
                    break
        return route

    def swap_in(self, route: list[int], pool: list[int]) -> list[int]:
        """Replace a stop by a better one left out, where the better one fits."""
        inst = self.inst
        inside = set(route)
        outside = sorted((n for n in pool if n not in inside), key=lambda n: -inst.score[n])
        for node in outside:
            if self.out_of_time():
                break
            for k in sorted(range(len(route)), key=lambda k: inst.score[route[k]]):
                if self.out_of_time():
                    return route
                old = route[k]
                if old in inst.must or inst.score[old] >= inst.score[node] - EPSILON:
                    break
                rest = route[:k] + route[k + 1 :]
                found = self.best_insertion(rest, node)
                if found:
                    return [*rest[: found[1]], node, *rest[found[1] :]]
        return route

    def improve(self, route: list[int], pool: list[int], rng=None) -> list[int]:
        """Shorten, fill, swap and fill again until nothing gains."""
        while not self.out_of_time():
            before = score_of(self.inst, route)
            route = self.shorten(route)
            route = self.insert_all(route, pool, rng)
            route = self.swap_in(route, pool)
            route = self.insert_all(route, pool, rng)
            if score_of(self.inst, route) <= before + EPSILON:
                break
        return route


def solve(
    inst: Instance,
    *,
    time_limit: float = 1.0,
    exploration: int = 5,
    pool_size: int = 400,
    patience: int | None = None,
) -> Solution:
    """Plan one route. ``pool_size``: the local search looks at this many left-out
    candidates, best first by score (VROOM sees them all). ``patience``: stop after this
    many shakes without progress (default: use the whole time limit)."""
    started = time.perf_counter()
    deadline = started + time_limit
    search = _Search(inst, deadline)
    # VROOM gets a share of the budget; its construction may overrun a tiny timeout a
    # little, and the local search then stops at the deadline.
    route = vroom_route(inst, exploration=exploration, timeout=VROOM_SHARE * time_limit)
    # VROOM may place a break where our schedule would not: drop its weakest stops until
    # the route is feasible by our rules (rarely needed).
    while route and not simulate(inst, route).feasible:
        droppable = [n for n in route if n not in inst.must] or route
        route.remove(min(droppable, key=lambda n: inst.score[n]))
    route = search.force_must(route)
    pool = sorted(inst.candidates, key=lambda n: -inst.score[n])[:pool_size]
    pool = list(dict.fromkeys([*inst.must, *pool]))
    route = search.improve(route, pool)
    best = list(route)
    # Iterated local search (after Vansteenwegen et al. 2009): drop a run of stops from
    # the current route, repair it, and carry on from there; go back to the best route
    # after a while without progress. Deterministic for an instance.
    rng = random.Random(len(inst.candidates))
    best_end = simulate(inst, best).end_arrival
    current, stale = list(best), 0
    while not search.out_of_time() and current:
        size = rng.randint(1, max(1, len(current) // 3))
        at = rng.randrange(len(current))
        kept = [n for k, n in enumerate(current) if not at <= k < at + size or n in inst.must]
        current = search.improve(kept, pool, rng)
        gain = score_of(inst, current) - score_of(inst, best)
        end = simulate(inst, current).end_arrival
        if gain > EPSILON or (abs(gain) <= EPSILON and end < best_end - EPSILON):
            best, best_end, stale = list(current), end, 0
        else:
            stale += 1
            if patience is not None and stale >= patience:
                break
            if stale % 20 == 0:
                current = list(best)
    sched = simulate(inst, best)
    return Solution(
        route=best,
        score=score_of(inst, best),
        cost=sched.travel,
        end_arrival=sched.end_arrival,
        feasible=sched.feasible,
        missing_must=sorted(inst.must - set(best)),
        engine="vroom+local-search",
    )
