"""Times the demo build and the nightly import of the whole demo landlord.

    python -m bench.build            # full demo landlord (6 patches x 1,800 homes), 3 runs
    python -m bench.build --quick    # small landlord, 1 run: keeps this script from rotting
    python -m bench.build --json     # one JSON object instead of the summary

Figures are medians over the runs; the machines here are small and noisy.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sync import demo
from sync.clock import london_today
from sync.demo import landlord as demo_data
from sync.intake.formats import guess_format, guess_kind
from sync.intake.run import import_file
from sync.store.db import open_database


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def import_files(db, files: list[Path]) -> dict[str, dict]:
    """Each nightly file through the real import (as ``doorstep import`` runs it), in
    order: its run by kind, with the seconds it took."""
    runs = {}
    for path in files:
        seconds, run = timed(
            lambda path=path: import_file(
                db,
                path.read_bytes(),
                kind=guess_kind(path.name),
                fmt=guess_format(path.name),
                source=path.name,
            )
        )
        runs[run["kind"]] = run | {"seconds": seconds}
    return runs


def one_run(workdir: Path, homes_per_patch: int, seed: int) -> dict:
    as_of = london_today()
    gen_s, landlord = timed(
        lambda: demo_data.generate(seed=seed, homes_per_patch=homes_per_patch, as_of=as_of)
    )
    build_db = open_database(workdir / "build.db")
    build_s, _ = timed(
        lambda: demo.build(build_db, seed=seed, homes_per_patch=homes_per_patch, as_of=as_of)
    )
    build_db.close()

    files = demo.export(landlord, workdir / "nightly")
    target = open_database(workdir / "import.db")
    demo.create_organisation(target, landlord)

    first_s, first = timed(lambda: import_files(target, files))
    again_s, again = timed(lambda: import_files(target, files))
    rows = sum(r["rows_read"] for r in first.values())
    assert all(r["rejected"] == 0 for r in first.values())
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in again.values())
    size = sum(p.stat().st_size for p in files)
    target.close()
    return {
        "generate_s": gen_s,
        "build_s": build_s,
        "import_s": first_s,
        "reimport_s": again_s,
        "rows": rows,
        "file_bytes": size,
        "homes": len(landlord.properties),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    homes_per_patch = 60 if args.quick else 1800
    runs = args.runs or (1 if args.quick else 3)
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(one_run(Path(tmp), homes_per_patch, args.seed))

    def med(key):
        return statistics.median(r[key] for r in results)

    figures = {
        "runs": runs,
        "homes": results[0]["homes"],
        "rows": results[0]["rows"],
        "file_bytes": results[0]["file_bytes"],
        "demo_generate_s": round(med("generate_s"), 3),
        "demo_build_s": round(med("build_s"), 3),
        "import_s": round(med("import_s"), 3),
        "reimport_noop_s": round(med("reimport_s"), 3),
        "import_us_per_row": round(med("import_s") / results[0]["rows"] * 1e6, 1),
        "import_spread_s": [
            round(min(r["import_s"] for r in results), 3),
            round(max(r["import_s"] for r in results), 3),
        ],
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"Demo landlord: {figures['homes']:,} homes, {figures['rows']:,} import rows "
        f"({figures['file_bytes'] / 1e6:.1f} MB of files); median of {runs} run(s)"
    )
    print(f"  demo generate        {figures['demo_generate_s']:8.2f} s")
    print(f"  demo build (total)   {figures['demo_build_s']:8.2f} s")
    print(
        f"  nightly import       {figures['import_s']:8.2f} s "
        f"({figures['import_us_per_row']} us/row; spread {figures['import_spread_s']})"
    )
    print(f"  re-import (no-op)    {figures['reimport_noop_s']:8.2f} s")


if __name__ == "__main__":
    main()
