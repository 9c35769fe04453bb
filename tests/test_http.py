"""HTTP at its edges: how long a URL and how big a body each route takes, refused before
anything is read; gunicorn's own refusals; 405's Allow; caching of personal files."""

import hashlib
import io
import json
import math
import shutil
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from bench.gunicorn import Gunicorn
from server.app import create_app
from tests.conftest import assert_problem, http
from tests.phone import Outbox, home_of, push
from tests.test_field_records import PNG

LOGIN = {"username": "officer1", "password": "demo", "device_name": "x"}


class Counted(io.RawIOBase):
    """A request body without Content-Length (chunked), counting what is read of it."""

    def __init__(self, size: int):
        self.left, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.read_bytes += n
        return n


def test_a_json_body_over_64_kib_is_refused_naming_the_limit(client):
    body = json.dumps(LOGIN | {"device_name": "x" * 70_000})
    response = client.post("/auth/login", data=body, content_type="application/json")
    problem = assert_problem(response, 413, "payload-too-large")
    assert "65536 bytes" in problem["detail"]


def test_a_chunked_body_is_read_no_further_than_the_limit(client):
    stream = Counted(1024 * 1024)
    response = client.post(
        "/auth/login",
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        # gunicorn decodes the chunks and says so with wsgi.input_terminated
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    assert_problem(response, 413, "payload-too-large")
    assert stream.read_bytes <= 2 * 64 * 1024


def test_routes_that_need_more_keep_their_own_limits(client, as_user, db):
    admin = as_user("admin")
    # An import takes DOORSTEP_MAX_IMPORT_BYTES (64 MB by default), not 64 KiB.
    csv = b"uprn\n" + b"100000000001\n" * 20_000
    response = client.post("/imports?kind=properties&format=csv", data=csv, headers=admin)
    assert response.status_code == 201, response.get_json()
    # A push takes 2 MB.
    uprn, ref = home_of(db, "officer1")
    phone = Outbox()
    visits = [
        phone.make(
            "visit",
            f"00000000-0000-4000-8000-{i:012d}",
            "create",
            {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access", "notes": "x" * 1000},
        )
        for i in range(200)
    ]
    results = push(client, as_user("officer1"), *visits)["results"]
    assert {r["status"] for r in results} == {"applied"}
    # A patch's boundary traced at full detail: some 4,000 points.
    team_id = db.execute("SELECT id FROM teams LIMIT 1").fetchone()[0]
    ring = [
        [
            -2.0 + 0.001 * math.cos(2 * math.pi * i / 4000),
            51.0 + 0.001 * math.sin(2 * math.pi * i / 4000),
        ]
        for i in range(4000)
    ]
    boundary = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    body = {"name": "Traced", "team_id": team_id, "boundary": boundary}
    assert len(json.dumps(body)) > 64 * 1024
    response = client.post("/patches", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    big = {"name": "Too big", "team_id": team_id, "boundary": {"pad": "x" * (2 * 1024 * 1024)}}
    assert_problem(client.post("/patches", json=big, headers=admin), 413, "payload-too-large")


def test_the_import_limit_is_configured_for_imports_only(db_path, db, as_user):
    small = create_app({"TESTING": True, "DATABASE": str(db_path), "MAX_IMPORT_BYTES": 1000})
    client = small.test_client()
    response = client.post(
        "/imports?kind=properties&format=csv", data=b"uprn\n" * 300, headers=as_user("admin")
    )
    problem = assert_problem(response, 413, "payload-too-large")
    assert "1000 bytes" in problem["detail"]
    # Chunked, the same file is refused too, not imported cut short at the limit.
    runs = db.execute("SELECT count(*) FROM import_runs").fetchone()[0]
    response = client.post(
        "/imports?kind=properties&format=csv",
        headers=as_user("admin") | {"Transfer-Encoding": "chunked"},
        environ_overrides={
            "wsgi.input": io.BytesIO(b"uprn\n" * 300),
            "wsgi.input_terminated": True,
        },
    )
    assert_problem(response, 413, "payload-too-large")
    assert db.execute("SELECT count(*) FROM import_runs").fetchone()[0] == runs


def test_a_url_over_the_limit_is_a_414_problem(client, as_user):
    response = client.get("/sync/pull?cursor=" + "x" * 8000, headers=as_user("officer1"))
    problem = assert_problem(response, 414, "uri-too-long")
    assert "8000 bytes" in problem["detail"]


def test_a_405_names_the_methods_allowed(client):
    response = client.delete("/auth/login")
    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_a_photo_is_cached_privately_never_by_a_shared_cache(client, as_user):
    sha = hashlib.sha256(PNG).hexdigest()
    officer = as_user("officer1")
    assert client.put(f"/blobs/{sha}", data=PNG, headers=officer).status_code == 200
    with client.get(f"/blobs/{sha}", headers=officer) as response:
        assert response.status_code == 200
        cache = response.cache_control
    assert cache.private and not cache.public and cache.max_age == 86400


# --- through gunicorn ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, landlord):
    db_path = tmp_path_factory.mktemp("gunicorn") / "doorstep.db"
    shutil.copyfile(landlord[0], db_path)
    process = Gunicorn(db_path, db_path.with_name("gunicorn.log")).start()
    yield process.base
    process.stop()


def raw(base: str, method: str, target: str, headers=None, body: bytes = b""):
    """One request as sent, answered within 5 s: (status, headers, parsed body)."""
    conn = HTTPConnection(urlsplit(base).netloc, timeout=5)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        conn.close()


def assert_problem_over_http(answer, status: int, code: str) -> dict:
    """A problem+json answer over HTTP, as ``assert_problem`` checks one in process."""
    got, headers, body = answer
    assert got == status and headers["Content-Type"] == "application/problem+json", answer
    assert body["status"] == status and body["code"] == code and body["errors"] == {}
    assert body["title"] and body["detail"]
    return body


@pytest.mark.process
def test_gunicorn_answers_every_error_as_a_problem(server):
    # Longer than gunicorn's request line: gunicorn itself refuses it.
    answer = raw(server, "GET", "/sync/pull?cursor=" + "x" * 9000)
    assert_problem_over_http(answer, 414, "uri-too-long")
    # Within gunicorn's, over Doorstep's own.
    answer = raw(server, "GET", "/sync/pull?cursor=" + "x" * 8100)
    assert "8000 bytes" in assert_problem_over_http(answer, 414, "uri-too-long")["detail"]
    # A long cursor, past gunicorn's default of 4094, still reaches the app.
    status, _, _ = raw(server, "GET", "/sync/pull?cursor=" + "x" * 6000)
    assert status == 401
    answer = raw(server, "GET", "/healthz", {"X-Big": "x" * 9000})
    assert_problem_over_http(answer, 431, "headers-too-large")
    answer = raw(server, "DELETE", "/auth/login")
    assert_problem_over_http(answer, 405, "method-not-allowed")
    assert set(answer[1]["Allow"].split(", ")) == {"POST", "OPTIONS"}


@pytest.mark.process
def test_a_body_claimed_too_big_is_refused_at_once_unread(server):
    started = time.monotonic()
    body = json.dumps(LOGIN).encode()
    answer = raw(
        server,
        "POST",
        "/auth/login",
        {"Content-Type": "application/json", "Content-Length": str(62 * 1024 * 1024)},
        body,
    )
    assert_problem_over_http(answer, 413, "payload-too-large")
    assert time.monotonic() - started < 2
    status, _, _ = http("POST", f"{server}/auth/login", LOGIN)
    assert status == 201  # the worker is free


@pytest.mark.process
def test_a_broken_chunked_body_is_a_bad_request(server):
    """Found by probing: a chunk size of ``zz`` raised gunicorn's InvalidChunkSize inside
    the app, answered 500."""
    answer = raw(
        server,
        "POST",
        "/auth/login",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        b"zz\r\n{}\r\n0\r\n\r\n",
    )
    assert_problem_over_http(answer, 400, "bad-request")


def test_a_json_body_sent_as_another_type_is_415(client, as_user):
    """Found by probing: a valid push sent as text/plain was answered 422 "Missing data for
    required field", as if it had no body."""
    body = json.dumps({"mutations": []})
    for content_type in ("text/plain", "application/xml", None):
        response = client.post(
            "/sync/push", data=body, headers=as_user("officer1"), content_type=content_type
        )
        problem = assert_problem(response, 415, "unsupported-media-type")
        assert "application/json" in problem["detail"] and "_body" in problem["errors"]
    sent = client.post(
        "/sync/push", data=body, headers=as_user("officer1"), content_type="application/json"
    )
    assert sent.status_code == 200
