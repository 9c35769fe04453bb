"""Webhooks against a real local HTTP receiver that fails the first attempts: every event
is delivered once (as the receiver counts it) after retries, none is lost, and a delivery
that keeps failing goes dead until an admin replays it. A receiver that redirects is a
failure, never followed; a webhook URL must be https unless http is allowed explicitly."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.protocol import outbox
from tests.conftest import assert_problem
from tests.phone import Outbox, home_of, push

SECRET = "webhook-secret-for-tests"


class Receiver:
    """Fails the first ``failures`` attempts of each event, then accepts; keeps what it
    accepted (by idempotency key, as a real receiver deduplicates) and checks signatures."""

    def __init__(self, failures: int):
        self.failures = failures
        self.attempts: dict[tuple[str, str], int] = {}
        self.accepted: dict[tuple[str, str], dict] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = (self.path, self.headers["Idempotency-Key"])
                stamp, mac = (
                    p.split("=", 1)[1] for p in self.headers["Doorstep-Signature"].split(",")
                )
                expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
                if not hmac.compare_digest(mac, expected.hexdigest()):
                    receiver.bad_signatures += 1
                receiver.attempts[key] = receiver.attempts.get(key, 0) + 1
                if receiver.attempts[key] <= receiver.failures:
                    self.send_response(500)
                else:
                    receiver.accepted.setdefault(key, json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(failures=2)
    yield r
    r.close()


def _field_work(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    repair = {
        "uprn": uprn,
        "location": "Bathroom",
        "category": "damp_mould",
        "hazard_class": "significant",
        "description": "Black mould over the bath.",
    }
    visit = {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access"}
    phone = Outbox()
    made = [("repair", repair)] * 3 + [("visit", visit)] * 2
    mutations = [phone.make(kind, str(uuid.uuid4()), "create", dict(p)) for kind, p in made]
    results = push(client, as_user("officer1"), *mutations)["results"]
    assert all(r["status"] == "applied" for r in results)
    return mutations


def deliver_once(env: dict) -> subprocess.CompletedProcess:
    """One pass of the real ``doorstep deliver --once`` command, with ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "deliver", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.process
def test_every_event_is_delivered_once_after_retries(client, as_user, db, db_path, receiver):
    mutations = _field_work(client, as_user, db)
    env = {
        **os.environ,
        "DOORSTEP_DATABASE": str(db_path),
        "DOORSTEP_REPAIRS_WEBHOOK_URL": f"{receiver.url}/repairs",
        "DOORSTEP_HMS_WEBHOOK_URL": f"{receiver.url}/hms",
        "DOORSTEP_WEBHOOK_SECRET": SECRET,
        "DOORSTEP_WEBHOOK_ALLOW_HTTP": "1",  # the local receiver has no TLS
    }
    targets = outbox.targets_from_env(env)
    # The first pass by the real command: every attempt fails (the receiver's first).
    run = deliver_once(env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["failed"] > 0
    # Later passes, each after the backoff has passed.
    now = datetime.now(UTC)
    for _ in range(6):
        now += timedelta(hours=7)
        outbox.deliver_due(db, targets, now=now)
    events = {r[0]: r[1] for r in db.execute("SELECT event_id, topic FROM outbox").fetchall()}
    repairs = {e for e, topic in events.items() if topic.startswith("repair.")}
    assert len(repairs) == 3 and len(events) >= 5
    assert {k for p, k in receiver.accepted if p == "/repairs"} == repairs
    assert {k for p, k in receiver.accepted if p == "/hms"} == set(events)
    # Each was tried three times (two failures, one success) and never again.
    assert set(receiver.attempts.values()) == {3}
    assert receiver.bad_signatures == 0
    statuses = db.execute("SELECT DISTINCT status FROM deliveries").fetchall()
    assert statuses == [("delivered",)]
    referral = next(
        body
        for (path, _), body in receiver.accepted.items()
        if path == "/repairs" and body["data"]["id"] == mutations[0]["entity_id"]
    )
    assert referral["topic"] == "repair.reported"
    assert referral["data"]["deadlines"][0]["name"] == "investigate"
    assert referral["data"]["photos"] == []  # a list, as pushed repairs with photos have
    # A visit's event is stored without a body: the command read it from the record.
    recorded = next(
        body
        for (path, _), body in receiver.accepted.items()
        if path == "/hms" and body["data"]["id"] == mutations[3]["entity_id"]
    )
    assert recorded["topic"] == "visit.recorded"
    assert recorded["data"]["officer"] == "officer1"
    assert recorded["data"]["outcome"] == "no_access" and recorded["data"]["present"] == []


def test_a_delivery_that_keeps_failing_goes_dead_until_replayed(client, as_user, db):
    _field_work(client, as_user, db)
    stubborn = Receiver(failures=10**6)
    try:
        target = outbox.Target("repairs", f"{stubborn.url}/repairs", ("repair.",), SECRET)
        now = datetime.now(UTC)
        for _ in range(4):
            now += timedelta(hours=7)
            outbox.deliver_due(db, [target], now=now, max_attempts=3)
        dead = client.get("/deliveries?status=dead", headers=as_user("admin")).get_json()
        assert len(dead["items"]) == 3
        assert all(d["attempts"] == 3 and d["last_error"] == "HTTP 500" for d in dead["items"])
        assert_problem(client.get("/deliveries", headers=as_user("leader1")), 403)

        first = dead["items"][0]["id"]
        replayed = client.post(f"/deliveries/{first}/replay", headers=as_user("admin"))
        assert replayed.get_json()["status"] == "pending"
        assert_problem(client.post(f"/deliveries/{first}/replay", headers=as_user("admin")), 409)
        stubborn.failures = 0
        outbox.deliver_due(db, [target], now=now + timedelta(hours=7), max_attempts=3)
        delivered = client.get("/deliveries?status=delivered", headers=as_user("admin"))
        assert [d["id"] for d in delivered.get_json()["items"]] == [first]
    finally:
        stubborn.close()


class Recorder:
    """A server that keeps every request it gets, whatever the method, and answers
    ``status`` (with ``Location: location`` when given)."""

    def __init__(self, status: int, location: str | None = None):
        self.requests: list[tuple[str, str, dict]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                recorder.requests.append((self.command, self.path, dict(self.headers)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.process
@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_a_redirect_is_a_failure_never_followed(client, as_user, db, db_path, status):
    """A receiver answering a redirect to an internal address: nothing (not the body, not
    the signature, not the idempotency key) reaches the address, and no event counts as
    delivered; each is retried, then dead, for an admin to see."""
    _field_work(client, as_user, db)
    internal = Recorder(200)
    redirecting = Recorder(status, location=f"{internal.url}/internal-admin")
    try:
        env = {
            **os.environ,
            "DOORSTEP_DATABASE": str(db_path),
            "DOORSTEP_REPAIRS_WEBHOOK_URL": f"{redirecting.url}/repairs",
            "DOORSTEP_WEBHOOK_SECRET": SECRET,
            "DOORSTEP_WEBHOOK_ALLOW_HTTP": "1",
        }
        run = deliver_once(env)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout.splitlines()[-1]) == {"delivered": 0, "failed": 3, "dead": 0}
        targets = outbox.targets_from_env(env)
        now = datetime.now(UTC)
        for _ in range(outbox.MAX_ATTEMPTS):
            now += timedelta(hours=7)
            outbox.deliver_due(db, targets, now=now)
        assert len(redirecting.requests) == 3 * outbox.MAX_ATTEMPTS
        assert internal.requests == []
        delivered = client.get("/deliveries?status=delivered", headers=as_user("admin"))
        assert delivered.get_json()["items"] == []
        dead = client.get("/deliveries?status=dead", headers=as_user("admin")).get_json()
        assert len(dead["items"]) == 3
        for delivery in dead["items"]:
            assert delivery["attempts"] == outbox.MAX_ATTEMPTS
            assert delivery["last_error"].startswith(f"HTTP {status}")
            assert "not followed" in delivery["last_error"]
    finally:
        internal.close()
        redirecting.close()


@pytest.mark.process
@pytest.mark.parametrize(
    "url", ["http://hooks.example.gov.uk/doorstep", "ftp://hooks.example.gov.uk/", "hooks"]
)
def test_a_webhook_url_must_be_https(db_path, url):
    env = {
        "DOORSTEP_DATABASE": str(db_path),
        "DOORSTEP_REPAIRS_WEBHOOK_URL": url,
        "DOORSTEP_WEBHOOK_SECRET": SECRET,
    }
    with pytest.raises(ValueError, match="DOORSTEP_REPAIRS_WEBHOOK_URL") as refused:
        outbox.targets_from_env(env)
    assert "https://" in str(refused.value)
    run = deliver_once({**os.environ, **env})
    assert run.returncode == 2 and "DOORSTEP_REPAIRS_WEBHOOK_URL" in run.stderr
    if url.startswith("http:"):
        assert "DOORSTEP_WEBHOOK_ALLOW_HTTP=1" in str(refused.value)
        allowed = outbox.targets_from_env({**env, "DOORSTEP_WEBHOOK_ALLOW_HTTP": "1"})
        assert [t.url for t in allowed] == [url]
    else:  # the allowance is for http, not for anything else
        with pytest.raises(ValueError, match="DOORSTEP_REPAIRS_WEBHOOK_URL"):
            outbox.targets_from_env({**env, "DOORSTEP_WEBHOOK_ALLOW_HTTP": "1"})
    https = {**env, "DOORSTEP_REPAIRS_WEBHOOK_URL": "https://hooks.example.gov.uk/doorstep"}
    assert [t.name for t in outbox.targets_from_env(https)] == ["repairs"]


def test_backoff_doubles_up_to_a_ceiling():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff(30) == timedelta(hours=6)


@pytest.mark.parametrize(
    "url",
    [" https://hooks.example.gov.uk/doorstep", "https://user:pw@hooks.example.gov.uk/h"],
)
def test_a_webhook_url_with_spaces_or_sign_in_details_is_refused(url):
    """Found by probing: a URL with a user name and password crashed `doorstep deliver`,
    and one with a leading space was taken."""
    env = {"DOORSTEP_HMS_WEBHOOK_URL": url, "DOORSTEP_WEBHOOK_SECRET": SECRET}
    with pytest.raises(ValueError, match="DOORSTEP_HMS_WEBHOOK_URL"):
        outbox.targets_from_env(env)


def test_a_target_no_longer_configured_never_holds_up_the_others(client, as_user, db):
    """Found by probing: deliver_due took the 100 oldest due deliveries of any target and
    skipped those of a target no longer configured, so 100 of them starved the rest."""
    _field_work(client, as_user, db)
    gone = outbox.Target("hms", "https://old.example.gov.uk/", ("",), SECRET)
    outbox.enqueue(db, [gone])  # queued for a target since removed from the settings
    receiver = Receiver(failures=0)
    try:
        target = outbox.Target("repairs", f"{receiver.url}/repairs", ("repair.",), SECRET)
        counts = outbox.deliver_due(db, [target], limit=1)
        assert counts["delivered"] == 1
    finally:
        receiver.close()
