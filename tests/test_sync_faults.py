"""Faults, for real: a gunicorn killed with SIGKILL in the middle of pushes, and a database
restored from a backup made while serving. Either way, once the phone has retried, the
server holds exactly what an uninterrupted run holds."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bench.gunicorn import Gunicorn
from server.app import create_app
from sync.store.db import open_database

pytestmark = pytest.mark.process

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


def _run(*args, database, refused: bool = False) -> str:
    """``doorstep`` with these arguments: what it printed (its error, when ``refused``)."""
    env = {**os.environ, "DOORSTEP_DATABASE": str(database)}
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode != 0) == refused, done.stderr
    return done.stderr if refused else done.stdout


def _http(method, url, token, data=None, content_type="application/json"):
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_restored_backup_loses_nothing_acknowledged(landlord, tmp_path):
    """doorstep backup while gunicorn serves; more work acknowledged after it; the server
    is stopped and doorstep restore puts the backup back. The phone is told to reset,
    re-sends everything it kept, and the server ends with exactly what it had."""
    source, tokens = landlord
    live, archive = tmp_path / "live.db", tmp_path / "backups" / "nightly.tar"
    shutil.copyfile(source, live)
    token = tokens["officer1"]
    work = day_of_work(source, batches=2, size=50)
    photo = bytes.fromhex("ffd8ffe000104a464946000101") + b"photo of the damp" * 50
    sha = hashlib.sha256(photo).hexdigest()

    server = Gunicorn(live, tmp_path / "gunicorn.log", workers=2).start()
    try:
        status, body = _http("GET", f"{server.base}/sync/pull", token)
        cursor = json.loads(body)["cursor"]
        post(server.base, token, {"mutations": work[0]})
        assert _http("PUT", f"{server.base}/blobs/{sha}", token, photo, "image/jpeg")[0] == 200
        assert "1 photo(s)" in _run("backup", str(archive), database=live)  # while serving
        # Found by probing: a restore while serving swapped the file from under the
        # workers, who went on acknowledging work into the file replaced. It is refused.
        said = _run("restore", str(archive), database=live, refused=True)
        assert "open in another process" in said and "Traceback" not in said
        post(server.base, token, {"mutations": work[1]})
    finally:
        server.stop()
    before = state(live)

    # Disaster: the database is lost with its photos; the backup is put back.
    live.unlink()
    shutil.rmtree(tmp_path / "live-blobs")
    assert "sync epoch is now" in _run("restore", str(archive), database=live)
    server = Gunicorn(live, tmp_path / "gunicorn.log", workers=2).start()
    try:
        status, body = _http("GET", f"{server.base}/sync/pull?cursor={cursor}", token)
        assert status == 409 and json.loads(body)["code"] == "reset-required"
        # The phone re-sends everything in its retention window, then bootstraps.
        results = post(server.base, token, {"mutations": work[0] + work[1]})["results"]
        statuses = [r["status"] for r in results]
        assert statuses[:50] == ["duplicate"] * 50
        assert "duplicate" not in statuses[50:]
        assert _http("GET", f"{server.base}/blobs/{sha}", token) == (200, photo)
        assert _http("GET", f"{server.base}/sync/pull", token)[0] == 200
    finally:
        server.stop()
    assert state(live) == before
