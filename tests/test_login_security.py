"""Login throttling with backoff, expiring tokens, rotation, and revocation at once."""

from datetime import UTC, datetime, timedelta

from sync import demo
from sync.access import throttle
from sync.access.devices import login
from tests.conftest import assert_problem, at_once


def _login(client, username, password, address="10.0.0.1"):
    return client.post(
        "/auth/login",
        json={"username": username, "password": password, "device_name": "phone"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_repeated_failures_are_throttled_whatever_the_password(client):
    for _ in range(throttle.USER_FREE):
        assert_problem(_login(client, "officer1", "wrong-password"), 401, "bad-credentials")
    locked = _login(client, "officer1", demo.DEMO_PASSWORD)
    assert_problem(locked, 429, "too-many-attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 31
    # Another user from another address is not held up; a different-case name is the same.
    assert _login(client, "officer2", demo.DEMO_PASSWORD, "10.0.0.2").status_code == 201
    assert_problem(_login(client, "OFFICER1", demo.DEMO_PASSWORD, "10.0.0.3"), 429)


def test_backoff_doubles_then_the_wait_ends(db):
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    for k in range(throttle.USER_FREE + 2):
        throttle.failed(db, "officer3", None, now=start + timedelta(seconds=k))
    last = start + timedelta(seconds=throttle.USER_FREE + 1)
    # Seven failures: the third past the free five waits 30 s x 2^2 = 2 minutes.
    assert throttle.wait_needed(db, "officer3", None, last) == timedelta(minutes=2)
    assert throttle.wait_needed(db, "officer3", None, last + timedelta(minutes=2)) == timedelta(0)
    throttle.succeeded(db, "officer3")
    assert throttle.wait_needed(db, "officer3", None, last) == timedelta(0)


def test_an_address_hammering_many_users_is_throttled(client):
    for n in range(throttle.ADDRESS_FREE):
        _login(client, f"nobody{n}", "wrong-password", "10.9.9.9")
    assert_problem(_login(client, "officer2", demo.DEMO_PASSWORD, "10.9.9.9"), 429)
    assert _login(client, "officer2", demo.DEMO_PASSWORD, "10.9.9.8").status_code == 201


def test_tokens_expire_and_rotate(client, db):
    expired = login(
        db, "officer1", demo.DEMO_PASSWORD, "old phone", lifetime=timedelta(seconds=-1)
    )["token"]
    assert_problem(
        client.get("/me", headers={"Authorization": f"Bearer {expired}"}), 401, "token-expired"
    )
    fresh = login(db, "officer1", demo.DEMO_PASSWORD, "phone")
    assert fresh["device"]["expires_at"] > datetime.now(UTC).isoformat()
    old = {"Authorization": f"Bearer {fresh['token']}"}
    rotated = client.post("/auth/rotate", headers=old)
    assert rotated.status_code == 201
    body = rotated.get_json()
    assert body["device"]["id"] == fresh["device"]["id"]
    # The answer may never have reached the phone: the old token works until the new one
    # is first used (and a second rotation with it hands over again).
    assert client.get("/me", headers=old).status_code == 200
    again = client.post("/auth/rotate", headers=old).get_json()
    assert client.get("/me", headers=old).status_code == 200
    lost = {"Authorization": f"Bearer {body['token']}"}
    new = {"Authorization": f"Bearer {again['token']}"}
    assert client.get("/me", headers=new).status_code == 200
    assert_problem(client.get("/me", headers=old), 401, "invalid-token")
    assert_problem(client.get("/me", headers=lost), 401, "invalid-token")
    # Revocation takes effect at once.
    client.post(f"/devices/{body['device']['id']}/revoke", json={}, headers=new)
    assert_problem(client.get("/me", headers=new), 401, "invalid-token")


def test_behind_a_proxy_each_client_is_throttled_by_its_own_address(db_path):
    from server.app import create_app

    client = create_app({"TESTING": True, "DATABASE": str(db_path), "PROXIES": 1}).test_client()

    def attempt(user, password, client_address):
        return client.post(
            "/auth/login",
            json={"username": user, "password": password, "device_name": "p"},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "10.0.0.254"},  # the proxy
        )

    for n in range(throttle.ADDRESS_FREE):
        attempt(f"nobody{n}", "wrong-password", "203.0.113.7")
    assert_problem(attempt("officer2", demo.DEMO_PASSWORD, "203.0.113.7"), 429)
    assert attempt("officer2", demo.DEMO_PASSWORD, "203.0.113.8").status_code == 201


def test_parallel_wrong_passwords_never_get_more_than_the_free_attempts(app):
    """Many threads guessing at once, each with its own connection to the same file: the
    check and the record are one step, so no more than USER_FREE guesses are tried."""
    attempts = throttle.USER_FREE * 3
    answers = at_once(
        app,
        attempts,
        lambda client, n: _login(client, "officer4", f"wrong-password-{n}", "10.4.4.4"),
    )
    statuses = [a.status_code for a in answers]
    assert sorted(set(statuses)) == [401, 429], statuses
    assert statuses.count(401) == throttle.USER_FREE, statuses
    # And the right password is refused too until the wait is over.
    assert_problem(_login(app.test_client(), "officer4", demo.DEMO_PASSWORD, "10.4.4.5"), 429)


def _change(client, headers, current, new="a-fresh-secret-9"):
    return client.post(
        "/me/password", headers=headers, json={"current_password": current, "new_password": new}
    )


def test_a_device_token_cannot_guess_the_current_password(client, as_user):
    """A stolen phone's token: wrong current passwords count with failed logins, so the
    thief gets the same few guesses as at the login screen, then waits."""
    headers = as_user("officer5")
    for n in range(throttle.USER_FREE):
        wrong = _change(client, headers, f"guess-number-{n}")
        assert_problem(wrong, 422, "wrong-password", "current_password")
    locked = _change(client, headers, demo.DEMO_PASSWORD)
    assert_problem(locked, 429, "too-many-attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 31
    # One counter for the user: logging in with the right password waits too.
    assert_problem(_login(client, "officer5", demo.DEMO_PASSWORD, "10.5.5.5"), 429)


def test_failed_logins_hold_up_a_password_change(client, as_user):
    for _ in range(throttle.USER_FREE):
        _login(client, "officer6", "wrong-password")
    locked = _change(client, as_user("officer6"), demo.DEMO_PASSWORD)
    assert_problem(locked, 429, "too-many-attempts")
    assert int(locked.headers["Retry-After"]) > 0
