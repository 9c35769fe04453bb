"""The team leader's dashboard on the demo landlord with a week of field work.

    python -m bench.field            # full demo landlord (6 x 1,800 homes), 15 requests
    python -m bench.field --quick    # small landlord, few requests: keeps this from rotting
    python -m bench.field --json     # one JSON object

dashboard_ms: median server time of GET /teams/{id}/dashboard for one team's week
(in-process WSGI: server time, no network), with every officer's week of contacts,
check-ins, arrangements, repairs and concerns recorded through the real push.
Target: at most 200 ms.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sync import demo
from sync.access.devices import login
from sync.clock import london_today
from sync.demo import field as demo_field
from sync.store.db import open_database

SECRET = "bench-secret-" + "x" * 20


def main(argv=None) -> None:
    from server.app import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    homes_per_patch = 60 if args.quick else 1800
    runs = 3 if args.quick else 15
    today = london_today()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        db = open_database(path)
        demo.build(db, seed=1, homes_per_patch=homes_per_patch, as_of=today)
        start = time.perf_counter()
        counts = demo_field.record_week(db, seed=1, as_of=today)
        record_s = time.perf_counter() - start
        token = login(db, "leader1", demo.DEMO_PASSWORD, "bench")["token"]
        team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
        db.close()
        client = create_app(
            {"TESTING": True, "DATABASE": str(path), "SECRET_KEY": SECRET}
        ).test_client()
        monday = demo_field.working_days_before(today, 5)[0]
        url = f"/teams/{team_id}/dashboard?from={monday.isoformat()}"
        headers = {"Authorization": f"Bearer {token}"}
        times = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.get_json()
        body = response.get_json()
    contacts = sum(o["total"]["contacts"] for o in body["officers"])
    figures = {
        "homes_per_patch": homes_per_patch,
        "field_mutations": sum(counts.values()),
        "field_record_s": round(record_s, 2),
        "team_officers": len(body["officers"]),
        "team_contacts": contacts,
        "dashboard_ms": round(statistics.median(times[1:]) * 1000, 1),
        "dashboard_bytes": len(json.dumps(body)),
    }
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"Team dashboard on the demo landlord ({homes_per_patch} homes a patch); medians")
    print(
        f"  a week of field work   {f['field_mutations']:,} mutations pushed in "
        f"{f['field_record_s']} s"
    )
    print(
        f"  dashboard, one week    {f['dashboard_ms']:8.1f} ms  ({f['team_officers']} officers, "
        f"{f['team_contacts']} contacts, {f['dashboard_bytes'] / 1e3:.0f} KB)  target <= 200"
    )


if __name__ == "__main__":
    main()
