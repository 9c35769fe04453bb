"""The route engine's own search: ruin and recreate over an exact schedule.

A route is a *path*: start, stops, end, and every break as a pseudo-stop (node
``n + k`` for break k) with no travel in or out: the break is taken where the officer
is, after the stop before it (or at the start), and may not begin after its window
closes. With that, every route has one forward pass (``Route``: arrival, start and
location at each position) and one backward pass (the latest start at each position
that keeps the rest on time: Savelsbergh's forward time slack, Vansteenwegen's
MaxShift). Inserting a stop anywhere is then checked in O(1), and ``insertion_costs``
checks every left-out candidate at every position at once, in numpy.

The search is ruin and recreate (Schrimpf et al. 2000; Christiaens and Vanden Berghe's
SISR) with simulated annealing on the score: remove stops (up to half the route: a run
of it, a stop and its neighbours, or random ones), insert the best left-out ones
greedily by score^2 / added time, keep the change by the annealing rule. Removing one stop and
inserting one or two is the 1-for-1 and 1-for-2 replacement; removing two and inserting
one the 2-for-1. 2-opt and or-opt shorten the route (moving breaks too) to make room.
"""

import math
import random
import time

import numpy as np

EPSILON = 1e-9


class Problem:
    """An instance as arrays, breaks appended as pseudo-nodes."""

    def __init__(self, inst):
        n = len(inst.travel)
        self.n = n
        self.travel = inst.travel
        self.matrix = np.asarray(inst.travel, dtype=float)
        breaks = list(inst.breaks)
        self.opens = [*inst.opens, *(b.opens for b in breaks)]
        self.closes = [*inst.closes, *(b.closes for b in breaks)]
        self.closes[inst.end] = min(self.closes[inst.end], inst.day_end)
        self.service = [*inst.service, *(b.duration for b in breaks)]
        self.score = [*inst.score, *(0.0 for _ in breaks)]
        self.is_break = [False] * n + [True] * len(breaks)
        self.breaks = list(range(n, n + len(breaks)))
        self.start, self.end, self.day_start = inst.start, inst.end, inst.day_start
        self.must = frozenset(inst.must)
        self.candidates = np.asarray(sorted(set(inst.candidates)), dtype=int)
        self.opens_a = np.asarray(inst.opens, dtype=float)
        self.closes_a = np.asarray(inst.closes, dtype=float)
        self.service_a = np.asarray(inst.service, dtype=float)
        self.score_a = np.asarray(inst.score, dtype=float)


class Route:
    """A feasible path with its forward and backward passes."""

    __slots__ = ("arrive", "begin", "end_time", "latest", "loc", "path", "score")

    def __init__(self, path, arrive, begin, loc, latest, score):
        self.path, self.arrive, self.begin, self.loc = path, arrive, begin, loc
        self.latest, self.score = latest, score
        self.end_time = arrive[-1]

    @property
    def stops(self) -> list[int]:
        return self.path[1:-1]


def evaluate(p: Problem, path: list[int]) -> Route | None:
    """The route along ``path``, or None if a window, a break or the day's end is missed."""
    travel, opens, closes, service, is_break = p.travel, p.opens, p.closes, p.service, p.is_break
    here = path[0]
    arrive, begin, loc = [p.day_start], [p.day_start], [here]
    t = p.day_start + service[here]
    for node in path[1:]:
        if is_break[node]:
            a = t
        else:
            a = t + travel[here][node]
            here = node
        s = a if a > opens[node] else opens[node]
        if s > closes[node] + EPSILON:
            return None
        arrive.append(a)
        begin.append(s)
        loc.append(here)
        t = s + service[node]
    m = len(path)
    latest = [0.0] * m
    latest[-1] = closes[path[-1]]
    for k in range(m - 2, -1, -1):
        nxt = path[k + 1]
        leg = 0.0 if is_break[nxt] else travel[loc[k]][nxt]
        latest[k] = min(closes[path[k]], latest[k + 1] - leg - service[path[k]])
    score = sum(p.score[v] for v in path)
    return Route(path, arrive, begin, loc, latest, score)


def insertion_costs(p: Problem, r: Route, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``nodes``: the least time its insertion adds (inf: fits nowhere) and
    the position after which to insert it. Each position is checked in O(1) per node,
    every (position, node) pair at once."""
    path, is_break = r.path, p.is_break
    if not len(nodes):
        return np.full(0, np.inf), np.full(0, -1)
    opens, closes, service = p.opens_a[nodes], p.closes_a[nodes], p.service_a[nodes]
    # Positions followed by a stop (the common case), then those followed by a break.
    plain = [k for k in range(len(path) - 1) if not is_break[path[k + 1]]]
    ahead = [k for k in range(len(path) - 1) if is_break[path[k + 1]]]
    departs = np.asarray([r.begin[k] + p.service[path[k]] for k in plain])
    arrive = departs[:, None] + p.matrix[np.ix_([r.loc[k] for k in plain], nodes)]
    begin = np.maximum(arrive, opens)
    after = [k + 1 for k in plain]
    arrive_next = begin + service + p.matrix[np.ix_(nodes, [path[j] for j in after])].T
    ok = (begin <= closes + EPSILON) & (
        arrive_next <= np.asarray([r.latest[j] for j in after])[:, None] + EPSILON
    )
    cost = np.where(ok, arrive_next - np.asarray([r.arrive[j] for j in after])[:, None], np.inf)
    rows = [cost]
    for k in ahead:  # a break next is now taken after the new stop
        t = np.maximum(r.begin[k] + p.service[path[k]] + p.matrix[r.loc[k], nodes], opens)
        fits = t <= closes + EPSILON
        t = t + service
        j = k + 1
        while is_break[path[j]]:
            b = path[j]
            t = np.maximum(t, p.opens[b])
            fits &= t <= p.closes[b] + EPSILON
            t = t + p.service[b]
            j += 1
        t = t + p.matrix[nodes, path[j]]
        fits &= t <= r.latest[j] + EPSILON
        rows.append(np.where(fits, t - r.arrive[j], np.inf)[None, :])
    cost = np.vstack(rows)
    positions = np.asarray(plain + ahead)
    pick = np.argmin(cost, axis=0)
    best = cost[pick, np.arange(len(nodes))]
    return best, np.where(np.isfinite(best), positions[pick], -1)


class Search:
    def __init__(self, p: Problem, deadline: float, seed: int):
        self.p, self.deadline = p, deadline
        self.rng = random.Random(seed)
        self.noise = np.random.default_rng(seed)

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def left_out(self, r: Route) -> np.ndarray:
        inside = set(r.path)
        return np.asarray([c for c in self.p.candidates if c not in inside], dtype=int)

    def recreate(self, r: Route, noise: float = 0.0) -> Route:
        """Insert left-out stops, best score^2 / added time first, while any fits."""
        p = self.p
        pool = self.left_out(r)
        while len(pool) and not self.out_of_time():
            cost, where = insertion_costs(p, r, pool)
            fits = where >= 0
            if not fits.any():
                break
            pool, cost, where = pool[fits], cost[fits], where[fits]
            ratio = p.score_a[pool] ** 2 / np.maximum(cost, 1e-6)
            if noise:
                ratio = ratio * (1 + noise * (self.noise.random(len(pool)) - 0.5))
            pick = int(np.argmax(ratio))
            node, at = int(pool[pick]), int(where[pick])
            trial = evaluate(p, [*r.path[: at + 1], node, *r.path[at + 1 :]])
            pool = np.delete(pool, pick)
            if trial is not None:  # always, but for rounding at a window's edge
                r = trial
        return r

    def ruin(self, r: Route) -> list[int]:
        """The path with a few stops removed (never a must-visit or a break)."""
        p, rng = self.p, self.rng
        path = r.path
        movable = [k for k in range(1, len(path) - 1) if self._movable(path[k])]
        if not movable:
            return list(path)
        # Up to half the route and four more: on foot a day holds few stops far apart,
        # and moving it to another part of the patch (or a far cluster of strong homes)
        # means freeing most of it at once; a quarter of the route left walks stuck.
        size = rng.randint(1, max(1, min(len(movable), 4 + len(movable) // 2)))
        how = rng.random()
        if how < 0.4:  # a run of the route
            first = rng.randrange(len(movable))
            gone = set(movable[first : first + size])
        elif how < 0.8:  # a stop and its nearest neighbours on the route
            centre = path[rng.choice(movable)]
            near = sorted(movable, key=lambda k: p.travel[centre][path[k]])
            gone = set(near[:size])
        else:
            gone = set(rng.sample(movable, size))
        return [v for k, v in enumerate(path) if k not in gone]

    def _movable(self, node: int) -> bool:
        return not self.p.is_break[node] and node not in self.p.must

    def shorten(self, r: Route) -> Route:
        """2-opt and or-opt (runs of 1-3, breaks included) while the day ends sooner."""
        p = self.p
        improved = True
        while improved and not self.out_of_time():
            improved = False
            path = r.path
            m = len(path)
            for i in range(1, m - 2):
                for j in range(i + 1, m - 1):
                    trial = evaluate(p, path[:i] + path[i : j + 1][::-1] + path[j + 1 :])
                    if trial and trial.end_time < r.end_time - EPSILON:
                        r, improved = trial, True
                        break
                if improved or self.out_of_time():
                    break
            if improved:
                continue
            for length in (1, 2, 3):
                for i in range(1, m - length):
                    run = path[i : i + length]
                    rest = path[:i] + path[i + length :]
                    for at in range(1, len(rest)):
                        if at == i:
                            continue
                        trial = evaluate(p, rest[:at] + run + rest[at:])
                        if trial and trial.end_time < r.end_time - EPSILON:
                            r, improved = trial, True
                            break
                    if improved or self.out_of_time():
                        break
                if improved or self.out_of_time():
                    break
        return r

    def run(self, r: Route, patience: int | None) -> Route:
        """Ruin and recreate with simulated annealing on the score, from ``r``."""
        p, rng = self.p, self.rng
        r = self.recreate(self.shorten(r))
        best = current = r
        scores = [s for s in p.score_a[p.candidates] if s > 0]
        scale = float(np.median(scores)) if scores else 1.0
        started, stale = time.perf_counter(), 0
        span = max(self.deadline - started, 1e-3)
        while not self.out_of_time():
            progress = min(1.0, (time.perf_counter() - started) / span)
            temperature = 0.3 * scale * (1 - progress) + 1e-9
            partial = evaluate(p, self.ruin(current))
            if partial is None:  # a removal broke a window (rounded travel): try again
                continue
            trial = self.recreate(partial, noise=0.2 if rng.random() < 0.5 else 0.0)
            gain = trial.score - current.score
            if gain > EPSILON and trial.score > best.score + EPSILON:
                trial = self.recreate(self.shorten(trial))
            if gain >= -EPSILON or rng.random() < math.exp(gain / temperature):
                current = trial
            if _better(current, best):
                best, stale = current, 0
            else:
                stale += 1
                if patience is not None and stale >= patience:
                    break
                if stale % 50 == 0:
                    current = best
        return best


def _better(a: Route, b: Route) -> bool:
    if a.score > b.score + EPSILON:
        return True
    return abs(a.score - b.score) <= EPSILON and a.end_time < b.end_time - EPSILON
