"""Peer solvers on the route engine's problem, for bench.routing only.

Each peer gets the same candidates, travel matrix, windows, service times and breaks,
and a time limit; its route (stops only) is judged by ``routing.engine.simulate``, like
ours, and scores nothing if infeasible. OR-Tools models the breaks (break intervals on
the time dimension). PyVRP has no breaks: it plans a day shortened by their length and
the break is then placed in its route where it fits. VROOM models them natively. The
peers are optional (``pip install '.[peers]'``); a peer not installed is left out.
"""

from routing import engine


def vroom_route(inst: engine.Instance, seconds: float | None) -> list[int]:
    """VROOM at exploration 5; ``seconds`` None: no time limit."""
    return engine.vroom_route(inst, exploration=5, timeout=seconds)


def ortools_route(inst: engine.Instance, seconds: float) -> list[int] | None:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    n = len(inst.travel)
    manager = pywrapcp.RoutingIndexManager(n, 1, [inst.start], [inst.end])
    model = pywrapcp.RoutingModel(manager)
    service = [round(s) for s in inst.service]

    def transit(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return round(inst.travel[a][b]) + service[a]

    callback = model.RegisterTransitCallback(transit)
    model.SetArcCostEvaluatorOfAllVehicles(callback)
    horizon = int(inst.day_end)
    model.AddDimension(callback, horizon, horizon, False, "time")
    time_dim = model.GetDimensionOrDie("time")
    time_dim.CumulVar(model.Start(0)).SetRange(int(inst.day_start), horizon)
    time_dim.CumulVar(model.End(0)).SetRange(int(inst.day_start), horizon)
    allowed = set(inst.candidates)
    for node in range(n):
        if node in (inst.start, inst.end):
            continue
        index = manager.NodeToIndex(node)
        if node not in allowed:
            model.solver().Add(model.ActiveVar(index) == 0)
            continue
        opens = int(inst.opens[node])
        closes = int(inst.closes[node]) if inst.closes[node] != engine.INFINITY else horizon
        time_dim.CumulVar(index).SetRange(max(opens, int(inst.day_start)), min(closes, horizon))
        if node not in inst.must:
            model.AddDisjunction([index], round(inst.score[node] * 1000))
    if inst.breaks:
        solver = model.solver()
        intervals = [
            solver.FixedDurationIntervalVar(
                int(b.opens), int(b.closes), int(b.duration), False, f"break{k}"
            )
            for k, b in enumerate(inst.breaks)
        ]
        visits = [service[manager.IndexToNode(i)] for i in range(model.Size())]
        time_dim.SetBreakIntervalsOfVehicle(intervals, 0, visits)
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategies = routing_enums_pb2.FirstSolutionStrategy
    # Insertion finds a first route with must-visits and breaks; cheapest-arc often none.
    params.first_solution_strategy = strategies.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.local_search_operators.use_extended_swap_active = pywrapcp.BOOL_TRUE
    params.time_limit.FromMilliseconds(max(1, round(seconds * 1000)))
    solution = model.SolveWithParameters(params)
    if solution is None:
        return None
    index, route = model.Start(0), []
    while not model.IsEnd(index):
        node = manager.IndexToNode(index)
        if node not in (inst.start, inst.end):
            route.append(node)
        index = solution.Value(model.NextVar(index))
    return route


def pyvrp_route(inst: engine.Instance, seconds: float) -> list[int] | None:
    try:
        import pyvrp
        from pyvrp.stop import MaxRuntime
    except ImportError:
        return None
    model = pyvrp.Model()
    early = round(inst.day_start)
    late = round(inst.day_end - sum(b.duration for b in inst.breaks))
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
        closes = min(inst.closes[node], inst.day_end)
        model.add_client(
            places[node],
            service_duration=round(inst.service[node]),
            tw_early=round(max(inst.opens[node], inst.day_start)),
            tw_late=round(closes),
            prize=round(inst.score[node] * 1000),
            required=node in inst.must,
        )
    for a in nodes:
        for b in nodes:
            if a != b:
                leg = round(inst.travel[a][b])
                model.add_edge(places[a], places[b], distance=leg, duration=leg)
    result = model.solve(stop=MaxRuntime(seconds), display=False)
    return [
        inst.candidates[step.idx]
        for r in result.best.routes()
        for step in r.schedule()
        if step.is_client()
    ]


PEERS = {"vroom": vroom_route, "ortools": ortools_route, "pyvrp": pyvrp_route}


def peer_score(name: str, inst: engine.Instance, seconds: float | None) -> float | None:
    """The score of a peer's route, if feasible by our rules; None if not installed."""
    route = PEERS[name](inst, seconds)
    if route is None:
        return None
    if not engine.simulate(inst, route).feasible or inst.must - set(route):
        return 0.0
    return engine.score_of(inst, route)


def installed() -> list[str]:
    """The peers that can run here (VROOM always can: the engine uses it)."""
    found = ["vroom"]
    for name, module in (("ortools", "ortools"), ("pyvrp", "pyvrp")):
        try:
            __import__(module)
        except ImportError:
            continue
        found.append(name)
    return found
