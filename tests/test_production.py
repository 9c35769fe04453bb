"""Production serving: request ids, JSON logs without secrets, security headers, CORS,
readiness, and what the database's refusals become (503, nothing half-written)."""

import json
import logging
import uuid

from server.app import create_app
from server.observability import JsonFormatter
from sync.store.db import connect
from tests.conftest import assert_problem
from tests.phone import Outbox, home_of


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(JsonFormatter().format(record))


def test_every_request_has_an_id_and_a_json_log_line_without_secrets(client, as_user, tokens):
    handler = Lines()
    logger = logging.getLogger("doorstep.request")
    logger.addHandler(handler)
    try:
        mine = client.get("/me", headers=as_user("officer1") | {"X-Request-Id": "abc-123"})
        made = client.get("/sync/pull?limit=1", headers=as_user("officer1"))
        odd = client.get("/healthz", headers={"X-Request-Id": "no spaces allowed!"})
    finally:
        logger.removeHandler(handler)
    assert mine.headers["X-Request-Id"] == "abc-123"
    assert len(made.headers["X-Request-Id"]) == 32
    assert odd.headers["X-Request-Id"] != "no spaces allowed!"
    entries = [json.loads(line) for line in handler.lines]
    assert [e["request_id"] for e in entries] == [
        "abc-123",
        made.headers["X-Request-Id"],
        odd.headers["X-Request-Id"],
    ]
    assert entries[1]["path"] == "/sync/pull" and entries[1]["status"] == 200
    assert entries[1]["user_id"] and entries[1]["device_id"]
    text = "\n".join(handler.lines)
    assert tokens["officer1"] not in text and "cursor" not in text


def test_security_headers_and_no_caching(client, as_user):
    response = client.get("/me", headers=as_user("officer1"))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" in response.headers


def test_cors_is_closed_unless_an_origin_is_configured(db_path, client, as_user):
    origin = {"Origin": "https://console.example.gov.uk"}
    closed = client.get("/me", headers=as_user("officer1") | origin)
    assert "Access-Control-Allow-Origin" not in closed.headers
    app = create_app({"TESTING": True, "DATABASE": str(db_path), "CORS_ORIGINS": origin["Origin"]})
    open_client = app.test_client()
    allowed = open_client.get("/me", headers=as_user("officer1") | origin)
    assert allowed.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    preflight = open_client.options(
        "/sync/push", headers=origin | {"Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = open_client.get("/me", headers=as_user("officer1") | {"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_readiness_checks_the_database(db_path, client):
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["schema"].startswith("m0")
    db_path.write_bytes(b"this is not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    assert_problem(client.get("/readyz"), 503)


def _big_day(db, count=300):
    uprn, ref = home_of(db, "officer1")
    phone = Outbox()
    return [
        phone.make(
            "visit",
            str(uuid.uuid4()),
            "create",
            {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access", "notes": "x" * 3000},
        )
        for _ in range(count)
    ]


def test_a_full_disk_is_a_503_with_nothing_half_written_and_the_retry_succeeds(
    db_path, db, as_user
):
    size_mb = db_path.stat().st_size / (1024 * 1024)
    before = db.execute("SELECT count(*) FROM mutations").fetchone()[0]
    day = _big_day(db)
    full = create_app(
        {"TESTING": True, "DATABASE": str(db_path), "MAX_DB_MB": int(size_mb) + 1}
    ).test_client()
    response = full.post("/sync/push", json={"mutations": day}, headers=as_user("officer1"))
    assert_problem(response, 503, "storage-full")
    assert response.headers["Retry-After"]
    assert db.execute("SELECT count(*) FROM mutations").fetchone()[0] == before
    roomy = create_app({"TESTING": True, "DATABASE": str(db_path)}).test_client()
    again = roomy.post("/sync/push", json={"mutations": day}, headers=as_user("officer1"))
    assert again.status_code == 200
    assert {r["status"] for r in again.get_json()["results"]} == {"applied"}


def test_a_busy_database_is_waited_for_then_a_503_never_a_500(db_path, db, as_user):
    app = create_app({"TESTING": True, "DATABASE": str(db_path), "BUSY_TIMEOUT_MS": 300})
    client = app.test_client()
    holder = connect(db_path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/sync/push", json={"mutations": _big_day(db, 1)}, headers=as_user("officer1")
        )
        assert_problem(response, 503, "database-busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    retried = client.post(
        "/sync/push", json={"mutations": _big_day(db, 1)}, headers=as_user("officer1")
    )
    assert retried.status_code == 200
