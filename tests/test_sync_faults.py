"""Faults, for real: a gunicorn killed with SIGKILL in the middle of pushes, and a database
restored from a backup. Either way, once the phone has retried, the server holds exactly
what an uninterrupted run holds."""

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
import uuid

from bench.gunicorn import Gunicorn
from server.app import create_app
from sync import changes
from sync.db import open_database

NOW = "2026-11-25T10:00:00+00:00"


def day_of_work(db_path, batches: int, size: int) -> list[list[dict]]:
    """Batches of visits and contact edits by officer1, as a phone would queue them."""
    db = open_database(db_path)
    homes = [
        r[0]
        for r in db.execute(
            "SELECT pp.uprn FROM patch_properties pp JOIN patches p ON p.id = pp.patch_id "
            "JOIN users u ON u.id = p.officer_id WHERE u.username = 'officer1' ORDER BY pp.uprn"
        )
    ]
    tenants = db.execute(
        "SELECT t.person_ref, t.version FROM tenants t JOIN tenancies y "
        "ON y.tenancy_ref = t.tenancy_ref JOIN patch_properties pp ON pp.uprn = y.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer1' ORDER BY t.person_ref"
    ).fetchall()
    db.close()
    out, seq = [], 0
    for b in range(batches):
        batch = []
        for i in range(size):
            seq += 1
            if i % 10 == 9:
                person, version = tenants[(seq // 10) % len(tenants)]
                entity, op = ("tenant", person), "update"
                payload = {"mobile": f"07700 9{seq:05d}"}
                base = version
            else:
                entity, op, base = ("visit", str(uuid.UUID(int=seq))), "create", None
                payload = {
                    "uprn": homes[seq % len(homes)],
                    "outcome": "no_access",
                    "notes": f"batch {b} item {i}",
                }
            batch.append(
                {
                    "mutation_id": str(uuid.UUID(int=10**9 + seq)),
                    "device_seq": seq,
                    "entity_type": entity[0],
                    "entity_id": entity[1],
                    "op": op,
                    "base_version": base,
                    "observed_at": NOW,
                    "payload": payload,
                }
            )
        out.append(batch)
    return out


def state(db_path) -> dict:
    """What the server holds, without receive times."""
    db = open_database(db_path)
    result = {
        "visits": db.execute(
            "SELECT id, uprn, outcome, notes, observed_at FROM visits ORDER BY id"
        ).fetchall(),
        "tenants": db.execute(
            "SELECT person_ref, mobile, version FROM tenants ORDER BY person_ref"
        ).fetchall(),
        "mutations": db.execute(
            "SELECT mutation_id, status, result FROM mutations "
            "WHERE duplicate_of IS NULL ORDER BY mutation_id"
        ).fetchall(),
        "conflicts": db.execute(
            "SELECT entity_id, field, kept_value, other_value FROM conflicts ORDER BY id"
        ).fetchall(),
    }
    db.close()
    return result


def post(base, token, body, timeout=30):
    request = urllib.request.Request(
        f"{base}/sync/push", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def test_sigkill_in_the_middle_of_pushes_loses_and_duplicates_nothing(landlord, tmp_path):
    source, tokens = landlord
    calm, killed = tmp_path / "calm.db", tmp_path / "killed.db"
    shutil.copyfile(source, calm)
    shutil.copyfile(source, killed)
    work = day_of_work(source, batches=8, size=400)
    token = tokens["officer1"]

    client = create_app({"TESTING": True, "DATABASE": str(calm)}).test_client()
    for batch in work:
        response = client.post(
            "/sync/push", json={"mutations": batch}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200

    server = Gunicorn(killed, tmp_path / "gunicorn.log")
    server.start()
    failures = []

    def phone():
        # Send every batch; on any failure retry the same batch unchanged until it lands.
        for batch in work:
            while True:
                try:
                    post(server.base, token, {"mutations": batch})
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                    failures.append(repr(exc))
                    time.sleep(0.2)

    sender = threading.Thread(target=phone)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db = open_database(killed)
            applied = db.execute("SELECT count(*) FROM mutations").fetchone()[0]
            db.close()
            if applied >= 800:  # a couple of batches in: kill during the next
                break
            time.sleep(0.01)
        time.sleep(0.05)
        server.kill()
        time.sleep(0.3)
        server.start()
        sender.join(timeout=120)
        assert not sender.is_alive()
    finally:
        server.stop()
    assert failures, "the kill did not interrupt a push; the test proved nothing"
    assert state(killed) == state(calm)


def test_a_restored_backup_loses_nothing_acknowledged(landlord, tmp_path, today):
    source, tokens = landlord
    live, backup = tmp_path / "live.db", tmp_path / "backup.db"
    shutil.copyfile(source, live)
    headers = {"Authorization": f"Bearer {tokens['officer1']}"}
    work = day_of_work(source, batches=2, size=50)

    def app_client():
        return create_app({"TESTING": True, "DATABASE": str(live)}).test_client()

    client = app_client()
    cursor = client.get("/sync/pull", headers=headers).get_json()["cursor"]
    assert (
        client.post("/sync/push", json={"mutations": work[0]}, headers=headers).status_code == 200
    )
    db = open_database(live)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copyfile(live, backup)  # the nightly backup
    client.post("/sync/push", json={"mutations": work[1]}, headers=headers)
    before = state(live)

    # Disaster: the server is restored from the backup, which changes the epoch.
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{live}{suffix}"):
            os.remove(f"{live}{suffix}")
    shutil.copyfile(backup, live)
    db = open_database(live)
    changes.new_epoch(db)
    db.close()
    client = app_client()
    reset = client.get(f"/sync/pull?cursor={cursor}", headers=headers)
    assert reset.status_code == 409 and reset.get_json()["code"] == "reset-required"

    # The phone re-sends everything in its retention window, then bootstraps.
    everything = work[0] + work[1]
    results = client.post(
        "/sync/push", json={"mutations": everything}, headers=headers
    ).get_json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses[:50] == ["duplicate"] * 50
    assert "duplicate" not in statuses[50:]
    assert state(live) == before
    assert client.get("/sync/pull", headers=headers).status_code == 200
