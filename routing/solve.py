"""Solve a public benchmark instance and print JSON.

    python -m routing.solve --format op|optw-solomon|optw-cordeau FILE [--time-limit SECONDS]

The format is named, never guessed: the two OPTW variants share a layout but truncate
travel times to different precisions (routing.formats).

Prints ``score``, ``route`` (visited vertex ids in order, without start and end),
``cost`` (travel distance for OP, return time for OPTW) and ``feasible``.
"""

import argparse
import json
import sys
import time

from routing.engine import solve
from routing.formats import READERS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=sorted(READERS), required=True)
    parser.add_argument("file")
    parser.add_argument("--time-limit", type=float, default=1.0)
    args = parser.parse_args(argv)
    try:
        inst = READERS[args.format](args.file)
    except (OSError, ValueError, IndexError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    found = solve(inst, time_limit=args.time_limit)
    cost = found.cost if args.format == "op" else found.end_arrival
    print(
        json.dumps(
            {
                "score": found.score,
                "route": found.route,
                "cost": round(cost, 6),
                "feasible": found.feasible,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
