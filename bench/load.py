"""The 5 pm reconnect storm: 60 phones sync a realistic day at once, against gunicorn.

    python -m bench.load            # 60 phones on the full demo landlord
    python -m bench.load --quick    # 6 phones on a small landlord: keeps this from rotting
    python -m bench.load --json     # one JSON object

Each phone bootstrapped in the morning and has recorded a day offline, about 60 records:
visits with check-ins and check-outs, arrangements and promises, repair referrals with
small photos, and a safeguarding concern. At once, every phone pushes its day, uploads
its photos, and pulls. Latency is one phone's whole sync. Afterwards the database is
checked: every record the server acknowledged is there exactly once.
"""

import argparse
import hashlib
import json
import random
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from datetime import time as clock
from pathlib import Path

from bench.gunicorn import Gunicorn
from sync import demo
from sync.access.devices import login
from sync.clock import LONDON, london_today
from sync.demo import field as demo_field
from sync.store.db import open_database

SECRET = "bench-secret-" + "x" * 20


def http(method, url, token, body=None, data=None, content_type="application/json"):
    payload = json.dumps(body).encode() if body is not None else data
    request = urllib.request.Request(url, data=payload, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if payload is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


def a_phones_day(db, username: str, seed: int) -> tuple[list[dict], dict[str, bytes]]:
    """About 60 records from one phone's day, and the photos its repairs name."""
    rng = random.Random(seed)
    phone = demo_field._Phone(rng)
    homes = db.execute(
        "SELECT t.uprn, t.tenancy_ref, s.balance FROM tenancies t "
        "JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id "
        "JOIN users u ON u.id = p.officer_id "
        "JOIN account_snapshots s ON s.id = t.current_snapshot_id "
        "WHERE u.username = ? AND t.end_date IS NULL ORDER BY s.balance DESC LIMIT 200",
        [username],
    ).fetchall()
    day = london_today()
    at = datetime.combine(day, clock(9, 0), LONDON)
    while len(phone.batch) < 52:
        left = demo_field._contact(phone, rng, rng.choice(homes), day, at)
        at = left + (left - at) / 2
    photos = {}
    for k in range(2):  # repair referrals with a photo each
        image = b"\xff\xd8\xff\xe0" + rng.randbytes(20_000)
        sha = hashlib.sha256(image).hexdigest()
        photos[sha] = image
        uprn, ref, _ = rng.choice(homes)
        repair = {
            "uprn": uprn,
            "tenancy_ref": ref,
            "location": "Bedroom",
            "category": "damp_mould",
            "hazard_class": "significant",
            "description": f"Mould behind the wardrobe ({k})",
            "photos": [sha],
        }
        phone.make("repair", repair, at)
    uprn, ref, _ = rng.choice(homes)
    concern = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "category": "adult_at_risk",
        "subjects": ["Tenant"],
        "immediate_danger": False,
        "seen": "No heating; tenant unwell.",
    }
    phone.make("concern", concern, at)
    return phone.batch, photos


def pull_to_end(base: str, token: str, cursor: str | None = None) -> str:
    """Pull every page after ``cursor``; returns the cursor at the end."""
    while True:
        url = f"{base}/sync/pull?limit=5000" + (f"&cursor={cursor}" if cursor else "")
        page = json.loads(http("GET", url, token)[1])
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor


def push_day(base: str, device: dict) -> list[dict]:
    """Push the phone's day; a 503 (busy) is retried after its Retry-After, as the
    protocol says. Returns the results."""
    while True:
        try:
            _, body = http(
                "POST", f"{base}/sync/push", device["token"], {"mutations": device["day"]}
            )
            return json.loads(body)["results"]
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                raise
            time.sleep(float(exc.headers.get("Retry-After", "1")))


def storm(db_path: Path, phones: int, workers: int) -> dict:
    db = open_database(db_path)
    query = "SELECT username FROM users WHERE role = 'officer' ORDER BY username"
    officers = [r[0] for r in db.execute(query)]
    devices = []
    for i in range(phones):
        username = officers[i % len(officers)]
        token = login(db, username, demo.DEMO_PASSWORD, f"storm phone {i}")["token"]
        day, photos = a_phones_day(db, username, seed=i)
        devices.append({"token": token, "day": day, "photos": photos})
    db.close()
    log = db_path.with_suffix(".load.log")
    server = Gunicorn(db_path, log, workers=workers, secret=SECRET).start()
    # Each phone bootstrapped earlier in the day: the storm's pulls are incremental.
    for device in devices:
        device["cursor"] = pull_to_end(server.base, device["token"])
    latencies, errors, acked = [], [], {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(devices))

    def phone(device):
        barrier.wait()
        started = time.perf_counter()
        try:
            results = push_day(server.base, device)
            for sha, image in device["photos"].items():
                url = f"{server.base}/blobs/{sha}"
                http("PUT", url, device["token"], data=image, content_type="image/jpeg")
            pull_to_end(server.base, device["token"], device["cursor"])
            with lock:
                latencies.append(time.perf_counter() - started)
                for mutation, result in zip(device["day"], results, strict=True):
                    acked[mutation["mutation_id"]] = (mutation, result["status"])
        except Exception as exc:  # every failure is counted
            with lock:
                errors.append(repr(exc)[:300])

    threads = [threading.Thread(target=phone, args=(d,)) for d in devices]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - wall
    server.stop()
    records = sum(len(d["day"]) for d in devices)
    return check(db_path, latencies, errors, acked, wall, records, len(devices))


def check(db_path, latencies, errors, acked, wall, records, phones) -> dict:
    db = open_database(db_path)
    stored = dict(
        db.execute("SELECT mutation_id, status FROM mutations WHERE duplicate_of IS NULL")
    )
    kept = ("applied", "conflict")
    lost = sum(
        1 for mid, (_, status) in acked.items() if status in kept and stored.get(mid) not in kept
    )
    duplicated = 0
    tables = {
        "visits": "visit",
        "repairs": "repair",
        "concerns": "concern",
        "checkins": "checkin",
        "arrangements": "arrangement",
    }
    for table, kind in tables.items():
        ids = [
            m["entity_id"]
            for m, s in acked.values()
            if m["entity_type"] == kind and m["op"] == "create" and s == "applied"
        ]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = db.execute(
                f"SELECT count(*), count(DISTINCT id) FROM {table} "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchone()
            lost += len(chunk) - found[1]
            duplicated += found[0] - found[1]
    db.close()
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000)

    return {
        "phones": phones,
        "records": records,
        "storm_p50_ms": pct(0.50) if latencies else None,
        "storm_p95_ms": pct(0.95) if latencies else None,
        "storm_p99_ms": pct(0.99) if latencies else None,
        "storm_errors": len(errors),
        "storm_lost": lost,
        "storm_duplicated": duplicated,
        "records_per_s": round(records / wall, 1),
        "wall_s": round(wall, 2),
        "error_samples": errors[:3],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--phones", type=int)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    homes_per_patch = 60 if args.quick else 1800
    phones = args.phones or (6 if args.quick else 60)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.db"
        db = open_database(path)
        demo.build(db, seed=1, homes_per_patch=homes_per_patch, as_of=london_today())
        db.close()
        figures = storm(path, phones, args.workers)
    if args.json:
        print(json.dumps({k: v for k, v in figures.items() if k != "error_samples"}))
        return
    f = figures
    print(
        f"Reconnect storm: {f['phones']} phones at once, {f['records']:,} records "
        f"({homes_per_patch} homes a patch), gunicorn with {args.workers} workers"
    )
    print(
        f"  one phone's sync   p50 {f['storm_p50_ms']} ms, p95 {f['storm_p95_ms']} ms, "
        f"p99 {f['storm_p99_ms']} ms  (target p95 <= 3,000)"
    )
    print(f"  throughput         {f['records_per_s']:,} records/s over {f['wall_s']} s")
    print(
        f"  errors {f['storm_errors']}, lost {f['storm_lost']}, duplicated {f['storm_duplicated']}"
    )
    for sample in f["error_samples"]:
        print(f"    {sample}")


if __name__ == "__main__":
    main()
