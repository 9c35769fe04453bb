"""The real thing: the ``doorstep`` command and a gunicorn server spoken to over HTTP."""

import os
import subprocess

import pytest

from bench.gunicorn import GUNICORN, Gunicorn, free_port
from tests.conftest import doorstep, http

pytestmark = pytest.mark.process


@pytest.fixture
def server(db_path, tmp_path):
    process = Gunicorn(db_path, tmp_path / "gunicorn.log", workers=2).start()
    yield process.base
    process.stop()


def test_gunicorn_serves_the_api_over_http(server, db):
    status, _, body = http(
        "POST",
        f"{server}/auth/login",
        {"username": "officer1", "password": "demo", "device_name": "x"},
    )
    assert status == 201
    token = body["token"]
    status, _, page = http("GET", f"{server}/properties?limit=1000", token=token)
    patch = db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer1'"
    ).fetchone()[0]
    expected = db.execute(
        "SELECT count(*) FROM patch_properties WHERE patch_id = ?", [patch]
    ).fetchone()[0]
    assert status == 200 and len(page["items"]) == expected
    status, headers, problem = http("GET", f"{server}/properties", token="revoked-or-unknown")
    assert status == 401 and headers["Content-Type"] == "application/problem+json"
    assert problem["code"] == "invalid-token"
    status, _, spec = http("GET", f"{server}/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.1")


def test_gunicorn_will_not_boot_without_a_secret(db_path):
    env = {k: v for k, v in os.environ.items() if k != "DOORSTEP_SECRET_KEY"}
    env["DOORSTEP_DATABASE"] = str(db_path)
    proc = subprocess.run(
        [str(GUNICORN), "--bind", f"127.0.0.1:{free_port()}", "server.app:create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "DOORSTEP_SECRET_KEY" in proc.stdout + proc.stderr


def test_cli_migrate_and_import_honour_doorstep_database(tmp_path):
    database = tmp_path / "cli.db"
    first = doorstep("migrate", database=database)
    assert first.returncode == 0 and "applied" in first.stdout
    assert doorstep("migrate", database=database).stdout.strip() == "up to date"
    csv = tmp_path / "properties-2026-11-25.csv"
    csv.write_text(
        "uprn,address_line_1,post_town,postcode,latitude,longitude,kind\n"
        "900000000001,1 Test Street,Trowbridge,BA14 8AA,51.32,-2.21,dwelling\n"
        "900000000002,2 Test Street,Trowbridge,BA14 8AA,51.32,-2.21,shed\n"
    )
    result = doorstep("import", str(csv), database=database)
    assert result.returncode == 1  # some rows were bad
    assert "inserted 1" in result.stdout and "rejected 1" in result.stdout
    assert "line 3: kind:" in result.stdout
    assert "homes in no patch: 1," in result.stdout  # no patches exist yet
    again = doorstep("import", str(csv), database=database)
    assert "inserted 0" in again.stdout and "unchanged 1" in again.stdout
    mystery = tmp_path / "mystery.txt"
    mystery.write_text("uprn\n1\n")
    unknown = doorstep("import", str(mystery), database=database)
    assert unknown.returncode == 2 and "--kind" in unknown.stderr
    # A file that is not there is a usage error said in a line, not a traceback.
    for named in (("nosuch.csv", "--kind", "accounts"), ("nosuch.txt",)):
        missing = doorstep("import", *named, database=database)
        assert missing.returncode == 2 and "Traceback" not in missing.stderr, missing.stderr
        assert missing.stderr == f"doorstep: {named[0]}: No such file or directory\n"
    # Not a backup, and no database to back up: said in a line, nothing made.
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file" * 100)
    refused = doorstep("restore", str(junk), database=database)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    nothing = tmp_path / "nothere.db"
    backup = doorstep("backup", str(tmp_path / "b.tar"), database=nothing)
    assert backup.returncode == 2 and "Traceback" not in backup.stderr, backup.stderr
    assert not nothing.exists() and not (tmp_path / "b.tar").exists()


def test_cli_create_user_then_log_in(tmp_path):
    database = tmp_path / "users.db"
    made = doorstep(
        "create-user",
        "root",
        "--role",
        "admin",
        database=database,
        DOORSTEP_NEW_PASSWORD="a-long-admin-password",
    )
    assert made.returncode == 0, made.stderr
    from sync.access.devices import login
    from sync.store.db import open_database

    assert login(open_database(database), "root", "a-long-admin-password", "cli")["token"]
    short = doorstep(
        "create-user", "x", "--role", "admin", database=database, DOORSTEP_NEW_PASSWORD="short"
    )
    assert short.returncode == 2
    common = doorstep(
        "create-user",
        "y",
        "--role",
        "admin",
        database=database,
        DOORSTEP_NEW_PASSWORD="Password123",
    )
    assert common.returncode == 2 and "commonly used" in common.stderr


def test_cli_new_epoch_makes_old_cursors_reset(db_path, tokens):
    from server.app import create_app

    client = create_app({"TESTING": True, "DATABASE": str(db_path)}).test_client()
    headers = {"Authorization": f"Bearer {tokens['officer1']}"}
    cursor = client.get("/sync/pull", headers=headers).get_json()["cursor"]
    result = doorstep("new-epoch", database=db_path)
    assert result.returncode == 0 and "epoch" in result.stdout
    response = client.get(f"/sync/pull?cursor={cursor}", headers=headers)
    assert response.status_code == 409 and response.get_json()["code"] == "reset-required"


def test_cli_demo_leaves_the_database_and_nothing_of_its_building(tmp_path):
    """The demo is built beside its target and moved into place; neither the partial
    database nor its lock files are left behind."""
    target = tmp_path / "var" / "demo.db"
    built = doorstep(
        "demo", "--homes-per-patch", "20", "--patches", "2", "--no-field-work", database=target
    )
    assert built.returncode == 0, built.stderr
    left = sorted(p.name for p in target.parent.iterdir() if "building" in p.name)
    assert target.exists() and left == []
