"""Fixtures: a small demo landlord built once per session, copied for each test."""

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from server.app import create_app
from sync import demo
from sync.access.devices import login
from sync.clock import london_today
from sync.store.db import connect, open_database
from sync.store.migrations import migrations

BIN = Path(sys.executable).parent
SMALL = {"seed": 7, "homes_per_patch": 60, "patches": 6}
USERNAMES = [u for u, _ in demo.demo_logins()]


@pytest.fixture(scope="session")
def today() -> date:
    return london_today()


@pytest.fixture(scope="session")
def landlord(tmp_path_factory, today):
    """(path, tokens): the small landlord, with one logged-in device per demo user."""
    path = tmp_path_factory.mktemp("landlord") / "landlord.db"
    db = open_database(path)
    demo.build(db, as_of=today, **SMALL)
    tokens = {u: login(db, u, demo.DEMO_PASSWORD, f"{u}'s phone")["token"] for u in USERNAMES}
    db.close()
    return path, tokens


@pytest.fixture
def db_path(landlord, tmp_path):
    """A private copy of the landlord for one test."""
    path = tmp_path / "doorstep.db"
    shutil.copyfile(landlord[0], path)
    return path


@pytest.fixture
def db(db_path):
    conn = open_database(db_path)
    yield conn
    conn.close()


@pytest.fixture
def app(db_path):
    return create_app({"TESTING": True, "DATABASE": str(db_path)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(landlord):
    return landlord[1]


@pytest.fixture
def as_user(tokens):
    """``as_user("officer1")`` -> request headers for that demo user."""

    def headers(username: str) -> dict:
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


def new_officer(client, as_user, username: str, password: str):
    """An admin creates an officer in the first team (must change password); the response."""
    team = client.get("/teams", headers=as_user("admin")).get_json()[0]
    return client.post(
        "/users",
        headers=as_user("admin"),
        json={
            "username": username,
            "display_name": username.title(),
            "role": "officer",
            "team_id": team["id"],
            "password": password,
        },
    )


def assert_problem(response, status: int, code: str | None = None, field: str | None = None):
    """One helper pins the error shape for the whole API (RFC 9457 + code + errors)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["errors"], dict)
    for name, messages in body["errors"].items():
        assert isinstance(name, str)
        assert messages and all(isinstance(m, str) for m in messages)
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body["errors"], body
    return body


def at_once(app, workers: int, request) -> list:
    """``request(client, n)`` for each of ``workers`` threads, each with its own client (so
    its own connection to the same file), all released together; their answers."""
    start = threading.Barrier(workers)

    def one(n):
        client = app.test_client()
        start.wait()
        return request(client, n)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(workers)))


def assert_one_wins(answers, status: int, code: str, field: str):
    """Exactly one answer is 200; every other is the problem ``status``/``code`` naming
    ``field``. Returns the winner's body."""
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [status] * (len(answers) - 1), [a.get_json() for a in answers]
    for answer in answers:
        if answer.status_code == status:
            assert_problem(answer, status, code, field=field)
    return next(a.get_json() for a in answers if a.status_code == 200)


def doorstep(*args, database, **env):
    """The ``doorstep`` command on ``database``; the completed process."""
    return subprocess.run(
        [str(BIN / "doorstep"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DOORSTEP_DATABASE": str(database), **env},
        timeout=120,
    )


def http(method, url, body=None, token=None):
    """One request to a real server: (status, headers, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, json.loads(err.read())


@pytest.fixture
def server(db_path, tmp_path):
    """A real gunicorn process on the test's database (the browser tests' server)."""
    from bench.gunicorn import Gunicorn

    process = Gunicorn(db_path, tmp_path / "gunicorn.log", workers=2).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per test module (tests/browser.py)."""
    from tests.browser import chromium

    with chromium() as launched:
        yield launched


def before_migration(path: Path, name: str, acknowledged=(0,)):
    """A database migrated up to migration ``name`` (not run), holding one team, one
    officer (id 1) and a device of theirs for each ``acknowledged`` sequence (ids from 1):
    what a migration's test adds its rows to."""
    db = connect(path)
    migrations.apply(db, stop_before=name)
    db.execute("INSERT INTO teams (id, name, created_at) VALUES (1, 't', 'now')")
    db.execute(
        "INSERT INTO users (id, username, display_name, role, team_id, password_hash, "
        "password_changed_at, created_at, updated_at) "
        "VALUES (1, 'o', 'O', 'officer', 1, 'x', 'now', 'now', 'now')"
    )
    for device, seq in enumerate(acknowledged, start=1):
        db.execute(
            "INSERT INTO devices (id, user_id, token_hash, name, created_at, acknowledged_seq) "
            "VALUES (?, 1, ?, 'phone', 'now', ?)",
            [device, f"h{device}", seq],
        )
    return db
