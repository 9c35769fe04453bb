"""Generated from /openapi.json: every documented error response of every operation is
provoked for real and must come back as the one problem+json shape (RFC 9457)."""

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.app import create_app
from sync.protocol import outbox
from sync.store import changes
from tests.conftest import assert_problem, new_officer
from tests.phone import Outbox, push

MISSING = {"int": 987654321, "str": "NO-SUCH-REF"}

# 403s need a caller who can see the target but whose role may not act on it, and a body
# that passes validation (validation runs first). Keyed by (METHOD, path template).
FORBIDDEN = {
    ("GET", "/users"): ("officer1", None),
    ("POST", "/users"): (
        "leader1",
        {"username": "x1", "display_name": "X", "role": "admin", "password": "long-enough-pw"},
    ),
    ("GET", "/users/{user_id}"): ("officer1", None),
    ("PATCH", "/users/{user_id}"): ("leader1", {"display_name": "X"}),
    ("POST", "/users/{user_id}/password"): ("officer1", {"password": "long-enough-pw"}),
    ("POST", "/teams"): ("officer1", {"name": "New team"}),
    ("POST", "/patches"): ("leader1", "patch-body"),
    ("GET", "/patches/coverage"): ("officer1", None),
    ("PATCH", "/patches/{patch_id}"): ("officer1", {"officer_id": None}),
    ("POST", "/patches/{patch_id}/covers"): (
        "officer1",
        {"officer_id": "officer1-id", "start_date": "2030-01-01", "end_date": "2030-01-02"},
    ),
    ("DELETE", "/patches/{patch_id}/covers/{cover_id}"): ("officer1", None),
    ("GET", "/patches/{patch_id}/priorities"): ("repairs1", None),
    ("GET", "/tenancies"): ("repairs1", "?arrears_above=100"),
    ("GET", "/tenancies/{tenancy_ref}/account-history"): ("repairs1", None),
    ("POST", "/imports"): ("leader1", "?kind=properties&format=csv"),
    ("GET", "/imports"): ("officer1", None),
    ("GET", "/imports/{run_id}"): ("officer1", None),
    ("GET", "/sync/conflicts"): ("officer1", None),
    ("POST", "/sync/conflicts/{conflict_id}/resolve"): ("officer1", {"choose": "other"}),
    ("GET", "/sync/rejections"): ("officer1", None),
    ("POST", "/sync/rejections/{rejection_id}/review"): ("officer1", None),
    ("GET", "/sync/flagged"): ("officer1", None),
    ("POST", "/sync/flagged/{flag_id}/review"): ("officer1", {"note": "Seen"}),
    ("GET", "/tenancies/{tenancy_ref}/evidence"): ("repairs1", None),
    ("GET", "/tenancies/{tenancy_ref}/bundle.pdf"): ("repairs1", None),
    ("GET", "/tenancies/{tenancy_ref}/statement"): ("repairs1", None),
    ("POST", "/repairs/{repair_id}/actions"): ("officer1", {"action": "acknowledged"}),
    ("GET", "/concerns"): ("repairs1", None),
    ("GET", "/concerns/{concern_id}"): ("repairs1", None),
    ("POST", "/concerns/flags/{uprn}/clear"): ("leader1", {"reason": "Referred"}),
    ("POST", "/concerns/{concern_id}/follow-ups"): ("repairs1", {"note": "Referred"}),
    ("GET", "/markers"): ("repairs1", None),
    ("POST", "/markers/{marker_ref}/decision"): ("officer1", {"approve": True}),
    ("GET", "/lone-working/alerts"): ("officer1", None),
    ("POST", "/lone-working/alerts/{checkin_id}/clear"): ("officer1", {"note": "Safe"}),
    ("GET", "/feed"): ("leader1", None),
    ("GET", "/deliveries"): ("leader1", None),
    ("POST", "/deliveries/{delivery_id}/replay"): ("leader1", None),
    ("GET", "/audit"): ("leader1", None),
    ("GET", "/tenants/{person_ref}/export"): ("leader1", None),
    ("GET", "/teams/{team_id}/dashboard"): ("officer1", None),
    ("GET", "/tenancies/{tenancy_ref}/priority"): ("repairs1", None),
    ("GET", "/plans"): ("repairs1", "?date=2030-01-01"),
    ("POST", "/plans"): ("repairs1", {"date": "2030-01-01", "officer_id": "officer1-id"}),
    ("GET", "/plans/{plan_id}"): ("repairs1", None),
    ("POST", "/plans/{plan_id}/replan"): ("repairs1", "replan-body"),
    ("POST", "/teams/{team_id}/week-plan"): ("officer1", {"start": "2030-01-07", "days": 1}),
    ("GET", "/absences"): ("officer1", None),
    ("POST", "/absences"): (
        "officer1",
        {"officer_id": "officer1-id", "kind": "training", "start_date": "2030-04-01"}
        | {"end_date": "2030-04-02"},
    ),
    ("GET", "/absences/{absence_id}"): ("officer1", None),
    ("DELETE", "/absences/{absence_id}"): ("repairs1", None),
}

# Who asks for a missing record (default: an admin, who sees everything). Admins may not
# read safeguarding concerns at all, so a missing one is asked for by a lead.
# A body naming something missing, where the path alone names nothing.
NOT_FOUND_BODY = {("POST", "/plans"): {"date": "2030-01-01", "officer_id": 987654321}}
NOT_FOUND_AS = {
    ("GET", "/concerns/{concern_id}"): "safeguarding1",
    ("POST", "/concerns/flags/{uprn}/clear"): "safeguarding1",
    ("POST", "/concerns/{concern_id}/follow-ups"): "safeguarding1",
}


def review_items(client, as_user, db, uprn) -> dict:
    """Two conflicts (one already resolved) and a rejected mutation on officer1's home."""
    ref = db.execute("SELECT tenancy_ref FROM tenancies WHERE uprn = ?", [uprn]).fetchone()[0]
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ?", [ref]
    ).fetchone()

    def edit(user, seq, value):
        mutation = {
            "mutation_id": str(uuid.uuid4()),
            "device_seq": seq,
            "entity_type": "tenant",
            "entity_id": person,
            "op": "update",
            "base_version": version,
            "observed_at": "2026-11-25T10:00:00+00:00",
            "payload": {"mobile": value},
        }
        return client.post("/sync/push", json={"mutations": [mutation]}, headers=as_user(user))

    edit("officer1", 1, "07700 900001")
    edit("leader1", 1, "07700 900002")
    edit("admin", 1, "07700 900003")
    conflict_ids = [r[0] for r in db.execute("SELECT id FROM conflicts ORDER BY id")]
    client.post(
        f"/sync/conflicts/{conflict_ids[1]}/resolve",
        json={"choose": "kept"},
        headers=as_user("admin"),
    )
    client.post(
        "/sync/push", json={"mutations": [{"mutation_id": "bad"}]}, headers=as_user("officer1")
    )
    rejection = db.execute("SELECT id FROM mutations WHERE status = 'rejected'").fetchone()[0]
    return {
        "conflict_id": conflict_ids[0],
        "resolved_id": conflict_ids[1],
        "rejection_id": rejection,
        "flag_id": flagged_item(client, as_user, db),
    }


def flagged_item(client, as_user, db) -> int:
    """A visit asking for the frozen debt during a Breathing Space: flagged for review,
    and reviewed once (a second review is the 409)."""
    ref = db.execute(
        "SELECT t.tenancy_ref FROM tenancies t JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer1' AND t.end_date IS NULL ORDER BY t.uprn LIMIT 1"
    ).fetchone()[0]
    uprn = db.execute("SELECT uprn FROM tenancies WHERE tenancy_ref = ?", [ref]).fetchone()[0]
    today = datetime.now(UTC).date()
    space = {
        "benefit": "none",
        "breathing_space_type": "standard",
        "breathing_space_start": (today - timedelta(days=10)).isoformat(),
        "breathing_space_end": (today + timedelta(days=50)).isoformat(),
    }
    rows = [
        {"tenancy_ref": ref, "as_of": space["breathing_space_start"], "balance": 500.0},
        {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 650.0, **space},
    ]
    client.post(
        "/imports?kind=accounts&format=jsonl",
        data="\n".join(json.dumps({"benefit": "none"} | r) for r in rows),
        headers=as_user("admin"),
    )
    visit = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "outcome": "contact_made",
        "offers": ["arrangement"],
        "notes": "Asked for payment of arrears.",
    }
    mutation = Outbox().create("visit", visit, observed_at=datetime.now(UTC).isoformat())
    client.post("/sync/push", json={"mutations": [mutation]}, headers=as_user("officer1"))
    flag = db.execute("SELECT id FROM review_flags ORDER BY id LIMIT 1").fetchone()[0]
    client.post(f"/sync/flagged/{flag}/review", json={"note": "Seen"}, headers=as_user("admin"))
    return flag


def field_items(client, as_user, db, uprn) -> dict:
    """A repair, a concern (its flag cleared), a decided marker, a cleared alert, a photo
    and a replayed delivery, made through the API as a phone and a team leader would."""
    phone = Outbox()
    now = datetime.now(UTC)
    review = (now.date() + timedelta(days=30)).isoformat()
    payloads = {
        "repair": {
            "uprn": uprn,
            "location": "Hall",
            "category": "gas",
            "hazard_class": "emergency",
            "description": "Smell of gas.",
        },
        "concern": {
            "uprn": uprn,
            "category": "adult_at_risk",
            "subjects": ["Tenant"],
            "immediate_danger": False,
            "seen": "No food in the home.",
        },
        "marker": {
            "uprn": uprn,
            "code": "dangerous_animals",
            "description": "Dog",
            "source_incident": "Bitten 2026-11",
            "review_date": review,
        },
        "checkin": {
            "uprn": uprn,
            "checked_in_at": (now - timedelta(hours=3)).isoformat(),
            "expected_out_at": (now - timedelta(hours=2)).isoformat(),
        },
    }
    made = {
        kind: phone.make(kind, str(uuid.uuid4()), "create", payload)
        for kind, payload in payloads.items()
    }
    results = push(client, as_user("officer1"), *made.values())["results"]
    assert all(r["status"] == "applied" for r in results), results
    leader = as_user("leader1")
    client.post(
        f"/markers/{made['marker']['entity_id']}/decision", json={"approve": True}, headers=leader
    )
    client.post(
        f"/lone-working/alerts/{made['checkin']['entity_id']}/clear",
        json={"note": "Safe"},
        headers=leader,
    )
    client.post(
        f"/concerns/flags/{uprn}/clear",
        json={"reason": "Referred"},
        headers=as_user("safeguarding1"),
    )
    photo = bytes.fromhex("ffd8ffe000104a46494600")
    sha = hashlib.sha256(photo).hexdigest()
    client.put(f"/blobs/{sha}", data=photo, headers=as_user("officer1"))
    dead = outbox.Target("repairs", "http://127.0.0.1:9/", ("repair.",), "x" * 16)
    outbox.deliver_due(db, [dead], max_attempts=1)
    delivery = db.execute("SELECT id FROM deliveries WHERE status = 'dead'").fetchone()[0]
    client.post(f"/deliveries/{delivery}/replay", headers=as_user("admin"))  # now pending
    repair_id = made["repair"]["entity_id"]
    etag = client.get(f"/repairs/{repair_id}", headers=as_user("admin")).headers["ETag"]
    return {
        "repair_id": repair_id,
        "etag": etag,
        "concern_id": made["concern"]["entity_id"],
        "marker_ref": made["marker"]["entity_id"],
        "checkin_id": made["checkin"]["entity_id"],
        "sha256": sha,
        "delivery_id": delivery,
    }


def superseded_plan(client, as_user, officer_id) -> int:
    """A plan for officer1 tomorrow, already replaced by a second."""
    body = {"date": (datetime.now(UTC).date() + timedelta(days=1)).isoformat()}
    first = client.post("/plans", json=body, headers=as_user("officer1")).get_json()
    client.post("/plans", json=body, headers=as_user("officer1"))
    return first["id"]


CONFLICT = {
    ("POST", "/users"): {
        "username": "officer1",
        "display_name": "Dup",
        "role": "maintenance",
        "password": "long-enough-pw",
    },
    ("POST", "/teams"): {"name": "Income Team West"},
    ("POST", "/patches"): "patch-body-duplicate",
    ("PATCH", "/patches/{patch_id}"): "rename-to-other-patch",
    ("GET", "/sync/pull"): "?cursor=old-epoch-cursor",
    ("POST", "/sync/conflicts/{conflict_id}/resolve"): {"choose": "kept"},  # resolved already
    ("POST", "/sync/flagged/{flag_id}/review"): {"note": "again"},  # reviewed already
    ("POST", "/repairs/{repair_id}/actions"): {"action": "completed"},  # from reported
    ("POST", "/markers/{marker_ref}/decision"): {"approve": False},  # decided already
    ("POST", "/lone-working/alerts/{checkin_id}/clear"): {"note": "again"},  # cleared already
    ("POST", "/concerns/flags/{uprn}/clear"): {"reason": "again"},  # cleared already
    ("POST", "/deliveries/{delivery_id}/replay"): None,  # pending, not dead
    ("POST", "/plans/{plan_id}/replan"): "replan-body",  # the plan was superseded
    ("POST", "/absences"): {  # overlaps the absence recorded for the test
        "officer_id": "officer1-id",
        "kind": "sickness",
        "start_date": "2030-03-01",
        "end_date": "2030-03-05",
    },
}


@pytest.fixture
def big_app(db_path):
    return create_app({"TESTING": True, "DATABASE": str(db_path), "MAX_IMPORT_BYTES": 4096})


def test_every_documented_error_response_is_a_problem(big_app, as_user, db, db_path, tmp_path):
    client = big_app.test_client()
    # 503s come from a server whose database has become unreadable.
    broken_path = tmp_path / "broken.db"
    broken_path.write_bytes(db_path.read_bytes())
    broken = create_app({"TESTING": True, "DATABASE": str(broken_path)}).test_client()
    broken_path.write_bytes(b"not a database" * 512)
    spec = client.get("/openapi.json").get_json()
    officer1 = db.execute("SELECT id FROM users WHERE username = 'officer1'").fetchone()[0]
    officer2 = db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0]
    patch1 = db.execute(
        "SELECT id, boundary FROM patches WHERE officer_id = ?", [officer1]
    ).fetchone()
    other_patch = db.execute(
        "SELECT name FROM patches WHERE id != ? LIMIT 1", [patch1[0]]
    ).fetchone()[0]
    uprn = db.execute(
        "SELECT uprn FROM patch_properties WHERE patch_id = ? LIMIT 1", [patch1[0]]
    ).fetchone()[0]
    cover = client.post(
        f"/patches/{patch1[0]}/covers",
        headers=as_user("leader1"),
        json={"officer_id": officer2, "start_date": "2030-01-01", "end_date": "2030-01-02"},
    ).get_json()
    absence = client.post(
        "/absences",
        headers=as_user("leader1"),
        json={"officer_id": officer1, "kind": "training"}
        | {"start_date": "2030-03-02", "end_date": "2030-03-03"},
    ).get_json()
    values = {
        "patch_id": patch1[0],
        "cover_id": cover["id"],
        "absence_id": absence["id"],
        "user_id": db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0],
        "device_id": db.execute(
            "SELECT d.id FROM devices d JOIN users u ON u.id = d.user_id "
            "WHERE u.username = 'officer2'"
        ).fetchone()[0],
        "uprn": uprn,
        "tenancy_ref": db.execute(
            "SELECT tenancy_ref FROM tenancies WHERE uprn = ?", [uprn]
        ).fetchone()[0],
        "run_id": db.execute("SELECT max(id) FROM import_runs").fetchone()[0],
        **review_items(client, as_user, db, uprn),
        **field_items(client, as_user, db, uprn),
        "plan_id": superseded_plan(client, as_user, officer1),
        "person_ref": db.execute("SELECT min(person_ref) FROM tenants").fetchone()[0],
        "team_id": db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[
            0
        ],
    }
    team_id = db.execute("SELECT team_id FROM patches WHERE id = ?", [patch1[0]]).fetchone()[0]
    new_officer(client, as_user, "newcomer", "first-password")
    newcomer = client.post(
        "/auth/login",
        json={"username": "newcomer", "password": "first-password", "device_name": "x"},
    ).get_json()["token"]
    old_cursor = client.get("/sync/pull?limit=1", headers=as_user("admin")).get_json()["cursor"]
    changes.new_epoch(db)
    boundary = json.loads(patch1[1])
    specials = {
        "patch-body": {"name": "Brand new", "team_id": team_id, "boundary": boundary},
        "patch-body-duplicate": {"name": other_patch, "team_id": team_id, "boundary": boundary},
        "rename-to-other-patch": {"name": other_patch},
        "officer1-id": officer1,
        "replan-body": {
            "position": {"latitude": 51.3, "longitude": -2.2},
            "at": datetime.now(UTC).isoformat(),
        },
    }

    def resolve(body):
        if isinstance(body, str) and body in specials:
            return specials[body]
        if isinstance(body, dict):
            return {k: resolve(v) for k, v in body.items()}
        return body

    def url_for(template, params, missing=False):
        def sub(match):
            name = match.group(1)
            if missing:
                kind = next(p["schema"]["type"] for p in params if p["name"] == name)
                return str(MISSING["int" if kind == "integer" else "str"])
            return str(values[name])

        return re.sub(r"{(\w+)}", sub, template)

    covered, failures = [], []
    for template, item in spec["paths"].items():
        path_params = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            method = method.upper()
            documented = sorted(int(s) for s in op["responses"] if s.isdigit() and int(s) >= 400)
            for status in documented:
                call = client.open
                headers = as_user("admin")
                url, body, data = url_for(template, path_params), None, None
                if status == 401:
                    headers = {}
                    if template == "/auth/login":
                        body = {"username": "officer1", "password": "wrong", "device_name": "x"}
                elif status == 404:
                    headers = as_user(NOT_FOUND_AS.get((method, template), "admin"))
                    url = url_for(template, path_params, missing=True)
                    if (method, template) in NOT_FOUND_BODY:
                        body = NOT_FOUND_BODY[(method, template)]
                    elif method in ("POST", "PATCH"):
                        body = resolve(FORBIDDEN.get((method, template), (None, {}))[1]) or {}
                        if not isinstance(body, dict):
                            body = {}
                elif status == 422:
                    if template.startswith("/blobs/"):
                        data = b"\xff\xd8\xff other bytes than the address names"
                    elif "requestBody" in op:
                        body = []
                    else:
                        query = [p for p in op.get("parameters", []) if p["in"] == "query"]
                        bad = {"integer": "abc", "number": "abc", "boolean": "maybe"}
                        name, value = next(
                            (p["name"], bad.get(p["schema"].get("type"), "zz" * 30)) for p in query
                        )
                        url += f"?{name}={value}"
                elif status == 403 and (method, template) not in FORBIDDEN:
                    # Any operation refuses a user who must still change their password.
                    headers = {"Authorization": f"Bearer {newcomer}"}
                elif status == 403:
                    user, extra = FORBIDDEN[(method, template)]
                    headers = as_user(user)
                    if isinstance(extra, str) and extra.startswith("?"):
                        url += extra
                        data = b"uprn\n1\n"
                    else:
                        body = resolve(extra)
                elif status == 409:
                    if (method, template) not in CONFLICT:
                        failures.append(f"{method} {template}: documents 409, no trigger here")
                        continue
                    trigger = CONFLICT[(method, template)]
                    if template == "/repairs/{repair_id}/actions":
                        headers = headers | {"If-Match": values["etag"]}
                        body = trigger
                    elif template == "/concerns/flags/{uprn}/clear":
                        headers = as_user("safeguarding1")
                        body = trigger
                    elif template.endswith("/resolve"):
                        url = template.replace("{conflict_id}", str(values["resolved_id"]))
                        body = trigger
                    elif isinstance(trigger, str) and trigger.startswith("?"):
                        url += trigger.replace("old-epoch-cursor", old_cursor)
                    else:
                        body = resolve(trigger)
                elif status == 413 and template == "/sync/push":
                    body = {"mutations": [{}] * 501}  # over the batch limit
                elif status == 413 and template.startswith("/patches"):
                    data = b" " * (2 * 1024 * 1024 + 1)  # over a boundary's 2 MB
                elif status == 413 and template.startswith("/blobs/"):
                    data = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024)  # over 10 MB
                elif status == 415:
                    data = b"plain text, not an image"
                elif status == 503:
                    call = broken.open
                elif status == 429 and template == "/me/password":  # guessing, with a token
                    headers = as_user("officer2")
                    body = {"current_password": "wrong", "new_password": "a-fresh-secret-9"}
                    for _ in range(5):
                        client.post(url, json=body, headers=headers)
                elif status == 429:  # a login after too many failures
                    body = {"username": "locked-out", "password": "wrong", "device_name": "x"}
                    for _ in range(5):
                        client.post(url, json=body)
                elif status in (412, 428) and template.startswith("/concerns/"):
                    headers = as_user("safeguarding1")
                    body = {"note": "Referred"}  # without If-Match, or a stale one
                    if status == 412:
                        headers = headers | {"If-Match": '"not-the-etag"'}
                elif status == 412:
                    headers = headers | {"If-Match": '"not-the-etag"'}
                    body = {"action": "acknowledged"}
                elif status == 428:
                    body = {"action": "acknowledged"}  # without If-Match
                elif status == 413:
                    url += "?kind=properties&format=csv"
                    data = b"uprn\n" + b"1\n" * 5000  # over the app's body limit
                else:
                    failures.append(f"{method} {template}: no trigger for {status}")
                    continue
                kwargs = {"method": method, "headers": headers}
                if body is not None:
                    kwargs["json"] = body
                elif data is not None:
                    kwargs["data"] = data
                response = call(url, **kwargs)
                try:
                    assert_problem(response, status)
                except AssertionError as exc:
                    failures.append(f"{method} {url} expected {status}: {exc}")
                covered.append((method, template, status))
    assert not failures, "\n".join(failures)
    assert len(covered) > 60


def test_spec_documents_errors_as_problem_json(client):
    spec = client.get("/openapi.json").get_json()
    responses = spec["components"]["responses"]
    for name in ("UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "DEFAULT_ERROR"):
        content = responses[name]["content"]
        assert list(content) == ["application/problem+json"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op.get("summary"), f"{method} {template} has no summary"
            if op.get("security", spec["security"]):
                assert "401" in op["responses"], f"{method} {template} lacks 401"
            if re.search(r"{\w+}", template):
                assert "404" in op["responses"], f"{method} {template} lacks 404"


def test_unknown_routes_and_methods_are_problems(client, as_user):
    assert_problem(client.get("/nowhere"), 404, "not-found")
    assert_problem(client.put("/healthz"), 405, "method-not-allowed")
    response = client.post("/auth/login", data="{not json", content_type="application/json")
    assert_problem(response, 400, "malformed-json")
    assert_problem(client.get("/properties?limit=0", headers=as_user("admin")), 422, field="limit")


def test_hostile_input_is_refused_by_name_never_a_500(client, as_user):
    admin = as_user("admin")
    deep = "[" * 30_000 + "]" * 30_000  # within the 64 KiB a JSON body may have
    assert_problem(
        client.post("/auth/login", data=deep, content_type="application/json"),
        400,
        "malformed-json",
    )
    long_number = '{"username": ' + "9" * 5001 + "}"
    assert_problem(
        client.post("/auth/login", data=long_number, content_type="application/json"),
        400,
        "malformed-json",
    )
    # Half a character is kept as U+FFFD (sync: a note cut mid-emoji is not refused).
    surrogate = '{"username": "\\ud800", "password": "x", "device_name": "y"}'
    assert_problem(
        client.post("/auth/login", data=surrogate, content_type="application/json"),
        401,
    )
    assert_problem(
        client.post("/auth/login", data=b"\xff\xfe{}", content_type="application/json"),
        400,
        "malformed-json",
    )
    huge = "9" * 25
    assert_problem(client.get(f"/properties/{huge}", headers=admin), 404)
    assert_problem(client.post(f"/devices/{huge}/revoke", json={}, headers=admin), 404)
    assert_problem(client.get(f"/tenancies?patch_id={huge}", headers=admin), 422, field="patch_id")
    assert_problem(client.get(f"/properties?after={huge}", headers=admin), 422, field="after")
    patch = client.get("/patches", headers=admin).get_json()[0]
    assert_problem(
        client.post(
            f"/patches/{patch['id']}/covers",
            headers=admin,
            json={"officer_id": int(huge), "start_date": "2030-01-01", "end_date": "2030-01-02"},
        ),
        422,
        field="officer_id",
    )
    assert_problem(
        client.post(
            "/users",
            headers=admin,
            json={
                "username": "big",
                "display_name": "B",
                "role": "officer",
                "team_id": int(huge),
                "password": "long-enough-pw",
            },
        ),
        422,
        field="team_id",
    )
    # a mistyped query parameter is refused, not ignored
    assert_problem(
        client.post("/imports?kind=properties&format=csv&dryrun=1", data=b"uprn\n", headers=admin),
        422,
        field="dryrun",
    )
    assert_problem(
        client.get("/tenancies?arrears_above=inf", headers=admin), 422, field="arrears_above"
    )
