"""The sync protocol's figures on the demo landlord.

    python -m bench.sync            # full demo landlord (6 x 1,800 homes)
    python -m bench.sync --quick    # small landlord, few runs: keeps this script from rotting
    python -m bench.sync --json     # one JSON object

bootstrap: one officer's whole first pull, all pages, server time (in-process WSGI).
push200: a push of 200 mutations over HTTP to gunicorn on loopback.
storm: 30 phones at once against gunicorn, each pushing 200 then pulling.
apply: our per-mutation apply cost (push.push, in process: checks, apply, store, commit);
  floor: the principled floor, the exact rows a push of the same mix writes (read by
  bench.floor from a push rolled back, not hand-listed), replayed into the same tables by
  plain executemany in one BEGIN IMMEDIATE at synchronous=FULL; insert: one plain row as
  wide per mutation. Medians of 5 batches of 1,000 (visits, one contact edit in ten), each
  side starting from an empty WAL, whose bytes after the commit are reported too.
grown: the same on the demo grown by --grow logged mutations (a million by default) and
  their records, built by bulk SQL from each officer's pushes (bench.floor.grow).
Figures are medians; the machines here are small (2 cores) and noisy.
"""

import argparse
import gzip
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.floor import grow, written
from bench.gunicorn import Gunicorn
from server.app import create_app
from sync import demo, push
from sync.access.devices import login
from sync.access.scope import Caller
from sync.clock import london_today
from sync.ids import uuid7
from sync.store.db import open_database

NOW = "2026-11-25T17:00:00+00:00"
SECRET = "bench-secret-" + "x" * 20


def http(method, url, token, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def homes_and_tenants(db, username):
    homes = [
        r[0]
        for r in db.execute(
            "SELECT pp.uprn FROM patch_properties pp JOIN patches p ON p.id = pp.patch_id "
            "JOIN users u ON u.id = p.officer_id WHERE u.username = ? ORDER BY pp.uprn",
            [username],
        )
    ]
    tenants = db.execute(
        "SELECT t.person_ref, t.version FROM tenants t JOIN tenancies y "
        "ON y.tenancy_ref = t.tenancy_ref JOIN patch_properties pp ON pp.uprn = y.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = ? ORDER BY t.person_ref",
        [username],
    ).fetchall()
    return homes, tenants


def a_day(homes, tenants, count, start_seq=1, tag=""):
    """An officer's day: mostly visits, one contact edit in ten, on distinct tenants."""
    out = []
    for i in range(count):
        seq = start_seq + i
        if i % 10 == 9 and tenants:
            person, version = tenants[(i // 10) % len(tenants)]
            m = ("tenant", person, "update", version, {"mobile": f"07700 9{seq % 100000:05d}"})
        else:
            m = (
                "visit",
                uuid7(),
                "create",
                None,
                {
                    "uprn": homes[(seq * 7) % len(homes)],
                    "outcome": "no_access",
                    "notes": f"Card left {tag} {seq}",
                    "latitude": 51.3,
                    "longitude": -2.2,
                    "gps_accuracy_m": 8.0,
                    "arrived_at": NOW,
                    "left_at": NOW,
                },
            )
        out.append(
            {
                "mutation_id": uuid7(),
                "device_seq": seq,
                "entity_type": m[0],
                "entity_id": m[1],
                "op": m[2],
                "base_version": m[3],
                "observed_at": NOW,
                "payload": m[4],
            }
        )
    return out


def bench_bootstrap(db_path, token, runs):
    client = create_app(
        {"TESTING": True, "DATABASE": str(db_path), "SECRET_KEY": SECRET}
    ).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    times, raw, zipped, records = [], 0, 0, 0
    for _ in range(runs):
        served = 0.0  # server time only: the phone's parsing is not counted
        cursor, bodies = None, []
        while True:
            url = "/sync/pull?limit=2000" + (f"&cursor={cursor}" if cursor else "")
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            bodies.append(response.get_data())
            served += time.perf_counter() - start
            page = json.loads(bodies[-1])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        times.append(served)
        raw = sum(len(b) for b in bodies)
        zipped = sum(len(gzip.compress(b)) for b in bodies)
        records = sum(len(json.loads(b)["changes"]) for b in bodies)
    return {
        "bootstrap_ms": round(statistics.median(times) * 1000, 1),
        "bootstrap_bytes": raw,
        "bootstrap_gzip_bytes": zipped,
        "bootstrap_records": records,
    }


def bench_push200(db_path, token, homes, tenants, runs):
    server = Gunicorn(
        db_path, Path(db_path).with_suffix(".push.log"), workers=2, secret=SECRET
    ).start()
    try:
        times, seq = [], 1
        for run in range(runs + 1):
            batch = a_day(homes, tenants[run * 20 :], 200, start_seq=seq, tag=f"p{run}")
            seq += 200
            start = time.perf_counter()
            status, body = http("POST", f"{server.base}/sync/push", token, {"mutations": batch})
            elapsed = time.perf_counter() - start
            assert status == 200 and all(r["status"] == "applied" for r in body["results"]), [
                r for r in body["results"] if r["status"] != "applied"
            ][:2]
            if run:  # the first warms the worker up
                times.append(elapsed)
    finally:
        server.stop()
    return {"push200_ms": round(statistics.median(times) * 1000, 1)}


def bench_storm(db_path, phones, per_phone):
    db = open_database(db_path)
    officers = [
        r[0]
        for r in db.execute("SELECT username FROM users WHERE role = 'officer' ORDER BY username")
    ]
    devices = []
    for i in range(phones):
        username = officers[i % len(officers)]
        homes, tenants = homes_and_tenants(db, username)
        token = login(db, username, demo.DEMO_PASSWORD, f"storm phone {i}")["token"]
        slice_ = tenants[(i // len(officers)) * 25 :]
        devices.append({"token": token, "work": a_day(homes, slice_, per_phone, tag=f"s{i}")})
    db.close()
    # Each phone has bootstrapped earlier in the day: the storm's pulls are incremental.
    client = create_app(
        {"TESTING": True, "DATABASE": str(db_path), "SECRET_KEY": SECRET}
    ).test_client()
    for device in devices:
        cursor = None
        while True:
            url = "/sync/pull?limit=5000" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url, headers={"Authorization": f"Bearer {device['token']}"})
            body = page.get_json()
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        device["cursor"] = cursor
    server = Gunicorn(
        db_path, Path(db_path).with_suffix(".storm.log"), workers=4, secret=SECRET
    ).start()
    latencies, errors, acked = [], [], {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(devices))

    def phone(device):
        barrier.wait()
        start = time.perf_counter()
        try:
            _, body = http(
                "POST", f"{server.base}/sync/push", device["token"], {"mutations": device["work"]}
            )
            ok = {
                m["mutation_id"]: r["status"]
                for m, r in zip(device["work"], body["results"], strict=True)
            }
            cursor = device["cursor"]
            while True:
                _, page = http("GET", f"{server.base}/sync/pull?cursor={cursor}", device["token"])
                cursor = page["cursor"]
                if not page["has_more"]:
                    break
            with lock:
                latencies.append(time.perf_counter() - start)
                acked.update(ok)
        except Exception as exc:  # every failure is counted, none hidden
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=phone, args=(d,)) for d in devices]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    wall = time.perf_counter() - wall
    server.stop()
    db = open_database(db_path)
    stored = dict(
        db.execute(
            "SELECT mutation_id, status FROM mutations WHERE duplicate_of IS NULL"
        ).fetchall()
    )
    lost = sum(
        1
        for mid, status in acked.items()
        if stored.get(mid) not in ("applied", "conflict") and status != "rejected"
    )
    visits = db.execute("SELECT count(*), count(DISTINCT id) FROM visits").fetchone()
    applied_visits = db.execute(
        "SELECT count(*) FROM mutations WHERE entity_type = 'visit' AND status = 'applied'"
    ).fetchone()[0]
    db.close()
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    return {
        "storm_phones": len(devices),
        "storm_p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "storm_p95_ms": round(p95 * 1000),
        "storm_errors": len(errors),
        "storm_lost": lost,
        "storm_duplicated": visits[0] - visits[1] + max(0, visits[0] - applied_visits),
        "storm_wall_s": round(wall, 2),
        "storm_rejected": sum(1 for s in acked.values() if s == "rejected"),
    }


def _caller(db, username) -> Caller:
    row = db.execute(
        "SELECT d.id, u.id, u.team_id, u.role FROM devices d JOIN users u "
        "ON u.id = d.user_id WHERE u.username = ? ORDER BY d.id DESC LIMIT 1",
        [username],
    ).fetchone()
    return Caller(user_id=row[1], username=username, role=row[3], team_id=row[2], device_id=row[0])


def _wal_bytes(db_path) -> int:
    wal = Path(f"{db_path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _from_empty_wal(db) -> None:
    """Each side starts from an empty WAL, so neither pays to checkpoint the other's pages
    (SQLite checkpoints in whichever commit takes the WAL past 1,000 pages)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def bench_apply(db_path, username, homes, count, runs, size, insert=False):
    """Per mutation, medians over ``runs`` batches of ``count``: our apply (push.push in
    process: checks, apply, store, commit), its principled floor (what a push of the same
    mix writes, replayed: bench.floor), and with ``insert`` one plain row as wide per
    mutation. Each batch's floor is captured from a push of it that is rolled back, then
    replayed and committed; the push timed is another batch of the same mix. ``size``
    names the figures (``""`` for the fresh demo, ``"_1m"`` for a million mutations)."""
    db = open_database(db_path)
    caller = _caller(db, username)
    seq = db.execute(
        "SELECT coalesce(max(device_seq), 0) + 1 FROM mutations WHERE device_id = ?",
        [caller.device_id],
    ).fetchone()[0]
    if insert:
        # A plain table in the same database, so the floor pays what our writes pay: the
        # WAL, and a durable commit (synchronous=FULL). A TEMP table would skip both.
        db.execute(f"CREATE TABLE bench_insert ({', '.join(f'c{i}' for i in range(15))})")
    applies, floors, inserts, wal_apply, wal_floor, rows = [], [], [], [], [], []
    for run in range(runs):
        # Contact edits on tenants as they stand now (earlier runs edited some).
        _, edits = homes_and_tenants(db, username)
        floor_batch = a_day(homes, edits, count, start_seq=seq, tag=f"floor{size}{run}")
        seq += count
        batch = a_day(homes, edits[count // 10 :], count, start_seq=seq, tag=f"apply{size}{run}")
        seq += count
        floor = written(db, lambda b=floor_batch: push.push(db, caller, b))
        rows.append(floor.rows / count)
        _from_empty_wal(db)
        start = time.perf_counter()
        floor.replay(db)
        floors.append((time.perf_counter() - start) / count * 1e6)
        wal_floor.append(_wal_bytes(db_path) / count)
        _from_empty_wal(db)
        start = time.perf_counter()
        result = push.push(db, caller, batch)
        applies.append((time.perf_counter() - start) / count * 1e6)
        wal_apply.append(_wal_bytes(db_path) / count)
        assert all(r["status"] == "applied" for r in result["results"]), result["results"][:2]
        if insert:  # the one-row floor: as many rows, as wide as the log's row was when
            # the target was set (with its content hash): a fixed yardstick, in one executemany
            plain = [
                (
                    *(m["mutation_id"], m["entity_id"], 1, 2, m["device_seq"]),
                    *(m["entity_type"], m["op"], NOW, None, NOW, "hash" * 16),
                    *(json.dumps(m), "applied", "{}", "x"),
                )
                for m in batch
            ]
            _from_empty_wal(db)
            start = time.perf_counter()
            with db.atomic():
                db.conn.executemany(f"INSERT INTO bench_insert VALUES ({'?, ' * 14}?)", plain)
            inserts.append((time.perf_counter() - start) / count * 1e6)
    if insert:
        db.execute("DROP TABLE bench_insert")
    db.close()
    apply_us, floor_us = statistics.median(applies), statistics.median(floors)
    figures = {
        f"apply_us{size}": round(apply_us, 1),
        f"floor_us{size}": round(floor_us, 1),
        f"apply_vs_floor{size}": round(apply_us / floor_us, 2),
        f"wal_bytes_per_mutation{size}": round(statistics.median(wal_apply)),
        f"floor_wal_bytes_per_mutation{size}": round(statistics.median(wal_floor)),
        f"rows_per_mutation{size}": round(statistics.median(rows), 2),
    }
    if insert:
        insert_us = statistics.median(inserts)
        figures["sqlite_insert_us"] = round(insert_us, 2)
        figures["floor_vs_insert"] = round(floor_us / insert_us, 2)
        figures["apply_vs_insert"] = round(apply_us / insert_us, 1)
    return figures


def grow_database(db_path, mutations, per_template) -> tuple[float, float]:
    """Log ``mutations`` more mutations and their records, by bulk SQL (bench.floor.grow),
    copied from one day's push of each officer, as their phones would have sent them.
    Returns the seconds it took, and the bytes of database a mutation added."""
    start, before = time.perf_counter(), Path(db_path).stat().st_size
    db = open_database(db_path)
    officers = [
        r[0]
        for r in db.execute("SELECT username FROM users WHERE role = 'officer' ORDER BY username")
    ]
    templates = []
    for username in officers:
        login(db, username, demo.DEMO_PASSWORD, "grown phone")
        caller = _caller(db, username)
        homes, tenants = homes_and_tenants(db, username)
        work = a_day(homes, tenants, per_template, start_seq=1, tag="grown")
        templates.append(written(db, lambda w=work, c=caller: push.push(db, c, w)))
    grow(db, templates, mutations, per_template)
    db.close()
    return time.perf_counter() - start, (Path(db_path).stat().st_size - before) / mutations


def _size_name(mutations: int) -> str:
    return f"_{mutations // 10**6}m" if mutations % 10**6 == 0 else f"_{mutations // 1000}k"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--grow",
        type=int,
        help="mutations to log before measuring apply again (default: 1,000,000; 20,000 "
        "with --quick; 0: none)",
    )
    args = parser.parse_args(argv)
    homes_per_patch = 60 if args.quick else 1800
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        db = open_database(path)
        demo.build(db, seed=1, homes_per_patch=homes_per_patch, as_of=london_today())
        token = login(db, "officer1", demo.DEMO_PASSWORD, "bench phone")["token"]
        homes, tenants = homes_and_tenants(db, "officer1")
        db.close()
        figures = {"homes_per_patch": homes_per_patch}
        figures.update(bench_bootstrap(path, token, runs=2 if args.quick else 7))
        count, runs = (200, 2) if args.quick else (1000, 5)
        figures.update(bench_apply(path, "officer1", homes, count, runs, "", True))
        db = open_database(path)
        homes, tenants = homes_and_tenants(db, "officer1")  # as the apply left them
        db.close()
        figures.update(bench_push200(path, token, homes, tenants, runs=3 if args.quick else 15))
        figures.update(
            bench_storm(path, phones=6 if args.quick else 30, per_phone=50 if args.quick else 200)
        )
        # Last: the grown database serves nothing else.
        grown = args.grow if args.grow is not None else (20_000 if args.quick else 10**6)
        if grown:
            size = _size_name(grown)
            took, per_mutation = grow_database(path, grown, count)
            figures[f"grow_s{size}"] = round(took, 1)
            figures[f"db_bytes_per_mutation{size}"] = round(per_mutation)
            figures.update(bench_apply(path, "officer1", homes, count, runs, size))
            figures[f"apply_growth{size}"] = round(
                figures[f"apply_us{size}"] / figures["apply_us"], 2
            )
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"Sync on the demo landlord ({homes_per_patch} homes a patch); medians")
    print(
        f"  bootstrap of one patch   {f['bootstrap_ms']:8.1f} ms  {f['bootstrap_records']:,} "
        f"records, {f['bootstrap_bytes'] / 1e3:,.0f} KB raw, "
        f"{f['bootstrap_gzip_bytes'] / 1e3:,.0f} KB gzipped"
    )
    print(f"  push of 200 over HTTP    {f['push200_ms']:8.1f} ms")
    print(
        f"  apply per mutation       {f['apply_us']:8.1f} us  floor {f['floor_us']} us "
        f"(x{f['apply_vs_floor']}), {f['rows_per_mutation']} rows; one plain row "
        f"{f['sqlite_insert_us']} us (floor x{f['floor_vs_insert']}, apply "
        f"x{f['apply_vs_insert']}); WAL {f['wal_bytes_per_mutation']:,} B a mutation "
        f"(floor {f['floor_wal_bytes_per_mutation']:,})"
    )
    for size in sorted(k[len("grow_s") :] for k in f if k.startswith("grow_s")):
        print(
            f"  apply, {size[1:]} logged     {f['apply_us' + size]:8.1f} us  floor "
            f"{f['floor_us' + size]} us (x{f['apply_vs_floor' + size]}); growth "
            f"x{f['apply_growth' + size]}; WAL {f['wal_bytes_per_mutation' + size]:,} B a "
            f"mutation (floor {f['floor_wal_bytes_per_mutation' + size]:,}); built in "
            f"{f['grow_s' + size]} s, {f['db_bytes_per_mutation' + size]:,} B a mutation"
        )
    print(
        f"  storm: {f['storm_phones']} phones x push+pull: p50 {f['storm_p50_ms']} ms, "
        f"p95 {f['storm_p95_ms']} ms, wall {f['storm_wall_s']} s; errors "
        f"{f['storm_errors']}, lost {f['storm_lost']}, duplicated {f['storm_duplicated']}, "
        f"rejected {f['storm_rejected']}"
    )


if __name__ == "__main__":
    main()
