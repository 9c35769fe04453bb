"""The authorisation matrix, generated from /openapi.json: every operation x every role x
a record in the caller's own patch or team versus someone else's, against the rule
written here for it. An operation without a rule fails the test.

Outcomes: ``ok`` (the request got past access control: any status but 401, 403 and 404),
``403`` (in scope, but the role may not), ``404`` (out of scope: existence is private).
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from server.app import create_app
from sync import demo
from sync.access.devices import login
from sync.protocol import outbox
from tests.phone import Outbox, push

ROLES = {
    "officer": "officer1",
    "team_leader": "leader1",
    "maintenance": "repairs1",
    "safeguarding_lead": "safeguarding1",
    "admin": "admin",
}
EVERYONE = tuple(ROLES)
WIDE = ("maintenance", "safeguarding_lead", "admin")  # see every patch


@dataclass(frozen=True)
class Rule:
    """``allow``: the roles that may. ``scope``: what the path names, and so who sees
    it: ``patch`` (officers their patches, team leaders their team's, WIDE roles all),
    ``team`` (team leaders their own team, admins all), ``own`` (records of the caller's
    own, or their team's), or ``none`` (nothing in the path)."""

    allow: tuple[str, ...]
    scope: str = "none"
    body: dict | str | None = None
    query: str = ""
    overrides: dict = field(default_factory=dict)  # (role, side) -> outcome
    skip: str = ""  # why the matrix cannot run it (it would end the caller's session)


TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
PATCH_BODY = "patch-body"
LEADERS = ("team_leader", "admin")
ADMIN = ("admin",)
CASEWORK = ("officer", "team_leader", "admin")  # arrears casework: accounts, plans, markers
CONCERNS = ("officer", "team_leader", "safeguarding_lead")
OTHERS_403 = {("officer", "other"): "403"}
RULES = {
    "POST /auth/rotate": Rule(EVERYONE, skip="rotating ends the token used here"),
    "POST /auth/logout": Rule(EVERYONE, skip="logging out ends the token used here"),
    "GET /me": Rule(EVERYONE),
    "POST /me/password": Rule(
        EVERYONE, body={"current_password": "wrong-one-x", "new_password": "long-enough-pw"}
    ),
    "GET /users": Rule(LEADERS),
    "POST /users": Rule(
        ADMIN,
        body={
            "username": "{fresh}",
            "display_name": "X",
            "role": "maintenance",
            "password": "long-enough-pw",
        },
    ),
    # The staff directory is not private: another team's member is a 403, not a 404.
    "GET /users/{user_id}": Rule(LEADERS, overrides={("team_leader", "other"): "403"}),
    "PATCH /users/{user_id}": Rule(ADMIN, body={"display_name": "X"}),
    "POST /users/{user_id}/password": Rule(ADMIN, body={"password": "long-enough-pw"}),
    "GET /teams": Rule(EVERYONE),
    "POST /teams": Rule(ADMIN, body={"name": "{fresh}"}),
    "GET /devices": Rule(EVERYONE),
    # A device is seen by its user, their team leader and admins only.
    "POST /devices/{device_id}/revoke": Rule(
        LEADERS,
        scope="own",
        body={},
        overrides={
            (r, s): "404"
            for r in ("officer", "maintenance", "safeguarding_lead")
            for s in ("own", "other")
        },
    ),
    "GET /patches": Rule(EVERYONE),
    "POST /patches": Rule(ADMIN, body=PATCH_BODY),
    "GET /patches/coverage": Rule(LEADERS),
    "GET /patches/{patch_id}": Rule(EVERYONE, scope="patch"),
    "PATCH /patches/{patch_id}": Rule(LEADERS, scope="patch", body={"officer_id": "{officer}"}),
    "GET /patches/{patch_id}/covers": Rule(EVERYONE, scope="patch"),
    "GET /patches/{patch_id}/priorities": Rule(CASEWORK, scope="patch"),
    "POST /patches/{patch_id}/covers": Rule(
        LEADERS,
        scope="patch",
        body={"officer_id": "{colleague}", "start_date": "2031-01-01", "end_date": "2031-01-02"},
    ),
    "DELETE /patches/{patch_id}/covers/{cover_id}": Rule(LEADERS, scope="patch"),
    "GET /absences": Rule(LEADERS),
    "POST /absences": Rule(
        LEADERS,
        body={"officer_id": "{officer}", "kind": "training"}
        | {"start_date": "2031-02-01", "end_date": "2031-02-02"},
    ),
    # An absence is seen by the officer's team leader and admins; other roles are refused
    # by role alone, whatever the id.
    "GET /absences/{absence_id}": Rule(LEADERS, scope="own", overrides=OTHERS_403),
    "DELETE /absences/{absence_id}": Rule(LEADERS, scope="own", overrides=OTHERS_403),
    "GET /properties": Rule(EVERYONE),
    "GET /properties/{uprn}": Rule(EVERYONE, scope="patch"),
    "GET /tenancies": Rule(EVERYONE),
    "GET /tenancies/{tenancy_ref}": Rule(EVERYONE, scope="patch"),
    "GET /tenancies/{tenancy_ref}/account-history": Rule(CASEWORK, scope="patch"),
    "GET /tenancies/{tenancy_ref}/markers": Rule(EVERYONE, scope="patch"),
    "GET /tenancies/{tenancy_ref}/evidence": Rule(CASEWORK, scope="patch"),
    "GET /tenancies/{tenancy_ref}/breathing-spaces": Rule(CASEWORK, scope="patch"),
    "GET /tenancies/{tenancy_ref}/bundle.pdf": Rule(CASEWORK, scope="patch"),
    "GET /tenancies/{tenancy_ref}/statement": Rule(CASEWORK, scope="patch"),
    "GET /tenancies/{tenancy_ref}/priority": Rule(CASEWORK, scope="patch"),
    "GET /imports": Rule(ADMIN),
    "POST /imports": Rule(ADMIN, query="?kind=properties&format=csv"),
    "GET /imports/{run_id}": Rule(ADMIN),
    "GET /sync/pull": Rule(EVERYONE),
    "POST /sync/push": Rule(EVERYONE, body={"mutations": []}),
    "GET /sync/conflicts": Rule(LEADERS),
    "POST /sync/conflicts/{conflict_id}/resolve": Rule(
        LEADERS, scope="patch", body={"choose": "kept"}
    ),
    "GET /sync/rejections": Rule(LEADERS),
    "GET /sync/flagged": Rule(LEADERS),
    "POST /sync/flagged/{flag_id}/review": Rule(
        LEADERS, scope="own", body={"note": "Seen"}, overrides=OTHERS_403
    ),
    # Where the role alone rules a caller out, any id gets 403 (so none is revealed).
    "POST /sync/rejections/{rejection_id}/review": Rule(
        LEADERS, scope="own", overrides=OTHERS_403
    ),
    "GET /plans": Rule(CASEWORK, query=f"?date={TOMORROW}"),
    "POST /plans": Rule(CASEWORK, scope="own", body={"date": TOMORROW, "officer_id": "{officer}"}),
    "GET /plans/{plan_id}": Rule(CASEWORK, scope="own"),
    "POST /plans/{plan_id}/replan": Rule(
        CASEWORK,
        scope="own",
        body={
            "position": {"latitude": 51.3, "longitude": -2.2},
            "at": datetime.now(UTC).isoformat(),
        },
    ),
    "GET /repairs": Rule(EVERYONE),
    "GET /repairs/{repair_id}": Rule(EVERYONE, scope="patch"),
    "POST /repairs/{repair_id}/actions": Rule(
        ("maintenance", "admin"), scope="patch", body={"action": "acknowledged"}
    ),
    "GET /concerns": Rule(CONCERNS),
    # A concern's audience is its raiser, their team leaders and the leads: admins and
    # maintenance are refused outright, and others' concerns do not exist for an officer.
    "GET /concerns/{concern_id}": Rule(CONCERNS, scope="patch"),
    "POST /concerns/{concern_id}/follow-ups": Rule(
        CONCERNS, scope="patch", body={"note": "Referred to CSC"}
    ),
    "POST /concerns/flags/{uprn}/clear": Rule(
        ("safeguarding_lead",),
        scope="patch",
        body={"reason": "Referred to CSC"},
        overrides=OTHERS_403 | {("team_leader", "other"): "403"},
    ),
    "GET /markers": Rule(CASEWORK),
    "POST /markers/{marker_ref}/decision": Rule(LEADERS, scope="patch", body={"approve": True}),
    "GET /lone-working/alerts": Rule(LEADERS),
    "POST /lone-working/alerts/{checkin_id}/clear": Rule(
        LEADERS, scope="own", body={"note": "Safe"}, overrides=OTHERS_403
    ),
    "GET /blobs/{sha256}": Rule(EVERYONE, scope="patch"),
    "PUT /blobs/{sha256}": Rule(EVERYONE, body="photo"),
    "GET /blobs/missing": Rule(EVERYONE),
    "GET /teams/{team_id}/dashboard": Rule(LEADERS, scope="team"),
    "POST /teams/{team_id}/week-plan": Rule(
        LEADERS, scope="team", body={"start": TOMORROW, "days": 1}
    ),
    "GET /feed": Rule(ADMIN),
    "GET /deliveries": Rule(ADMIN),
    "POST /deliveries/{delivery_id}/replay": Rule(ADMIN),
    "GET /audit": Rule(ADMIN),
    "GET /tenants/{person_ref}/export": Rule(("admin", "safeguarding_lead")),
}


def expected(rule: Rule, role: str, side: str) -> str:
    if (role, side) in rule.overrides:
        return rule.overrides[(role, side)]
    allowed = role in rule.allow
    visible = True
    if side == "other":
        if rule.scope == "patch":
            visible = role in WIDE
        elif rule.scope == "team":
            visible = role == "admin" or (role not in ("team_leader",) and not allowed)
        elif rule.scope == "own":
            visible = role == "admin" or (not allowed and role in WIDE)
    if rule.scope == "team" and role == "team_leader" and side == "other":
        return "404"
    if not visible:
        return "404"
    return "ok" if allowed else "403"


def outcome(status: int) -> str:
    return str(status) if status in (401, 403, 404) else "ok"


def _make(client, headers, officer, uprn, ref, db) -> dict:
    """One of everything, in the given officer's patch (as their phone and team would)."""
    phone = Outbox()
    now = datetime.now(UTC)
    review = (now.date() + timedelta(days=30)).isoformat()
    photo = bytes.fromhex("ffd8ffe000104a464946") + officer.encode()
    sha = hashlib.sha256(photo).hexdigest()
    payloads = {
        "repair": {
            "uprn": uprn,
            "location": "Hall",
            "category": "gas",
            "hazard_class": "emergency",
            "description": "Gas smell",
            "photos": [sha],
        },
        "concern": {
            "uprn": uprn,
            "category": "child",
            "subjects": ["Child"],
            "immediate_danger": False,
            "seen": "Alone",
        },
        "marker": {
            "uprn": uprn,
            "code": "dangerous_animals",
            "description": "Dog",
            "source_incident": "Bitten",
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
    push(client, headers[officer], *made.values())
    client.put(f"/blobs/{sha}", data=photo, headers=headers[officer])
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ?", [ref]
    ).fetchone()
    for n, who in enumerate((officer, "admin")):  # two edits of one field: a conflict
        edit = Outbox().make("tenant", person, "update", {"mobile": f"07700 90070{n}"}, version)
        push(client, headers[who], edit)
    push(client, headers[officer], {"mutation_id": f"malformed-{officer}"})
    plan = client.post("/plans", json={"date": TOMORROW}, headers=headers[officer]).get_json()
    return {
        "uprn": uprn,
        "tenancy_ref": ref,
        "repair_id": made["repair"]["entity_id"],
        "concern_id": made["concern"]["entity_id"],
        "marker_ref": made["marker"]["entity_id"],
        "checkin_id": made["checkin"]["entity_id"],
        "sha256": sha,
        "plan_id": plan["id"],
        "person_ref": person,
        "flag_id": _flagged(client, headers, officer, uprn, ref, db),
    }


def _flagged(client, headers, officer, uprn, ref, db) -> int:
    """A visit asking for the frozen debt in a Breathing Space: an item for review."""
    today = datetime.now(UTC).date()
    start = (today - timedelta(days=10)).isoformat()
    space = {
        "breathing_space_type": "standard",
        "breathing_space_start": start,
        "breathing_space_end": (today + timedelta(days=50)).isoformat(),
    }
    rows = [
        {"tenancy_ref": ref, "as_of": start, "balance": 500.0, "benefit": "none"},
        {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 650.0, "benefit": "none"}
        | space,
    ]
    client.post(
        "/imports?kind=accounts&format=jsonl",
        data="\n".join(json.dumps(r) for r in rows),
        headers=headers["admin"],
    )
    visit = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "outcome": "contact_made",
        "offers": ["arrangement"],
    }
    mutation = Outbox().create("visit", visit, observed_at=datetime.now(UTC).isoformat())
    push(client, headers[officer], mutation)
    return db.execute(
        "SELECT id FROM review_flags WHERE entity_id = ?", [mutation["entity_id"]]
    ).fetchone()[0]


@pytest.fixture
def world(db_path, tokens, db):
    """Records in officer1's patch and team (own) and in officer4's (other)."""
    client = create_app({"TESTING": True, "DATABASE": str(db_path)}).test_client()
    headers = {u: {"Authorization": f"Bearer {t}"} for u, t in tokens.items()}
    sides = {}
    pairs = {"own": ("officer1", "officer2"), "other": ("officer4", "officer5")}
    for side, (officer, colleague) in pairs.items():
        officer_id, team_id = db.execute(
            "SELECT id, team_id FROM users WHERE username = ?", [officer]
        ).fetchone()
        patch_id = db.execute(
            "SELECT id FROM patches WHERE officer_id = ?", [officer_id]
        ).fetchone()[0]
        uprn, ref = db.execute(
            "SELECT t.uprn, t.tenancy_ref FROM tenancies t JOIN patch_properties pp "
            "ON pp.uprn = t.uprn WHERE pp.patch_id = ? AND t.end_date IS NULL "
            "ORDER BY t.uprn LIMIT 1",
            [patch_id],
        ).fetchone()
        values = _make(client, headers, officer, uprn, ref, db)
        colleague_id = db.execute(
            "SELECT id FROM users WHERE username = ?", [colleague]
        ).fetchone()[0]
        cover = client.post(  # lent to a colleague: a patch is never covered by its own
            f"/patches/{patch_id}/covers",
            json={
                "officer_id": colleague_id,
                "start_date": "2030-01-01",
                "end_date": "2030-01-02",
            },
            headers=headers["admin"],
        ).get_json()
        absence = client.post(
            "/absences",
            json={"officer_id": officer_id, "kind": "training"}
            | {"start_date": "2030-03-01", "end_date": "2030-03-02"},
            headers=headers["admin"],
        ).get_json()
        # Accounts and devices changed by the matrix belong to a colleague, so the
        # callers' own tokens survive it.
        spare = login(db, colleague, demo.DEMO_PASSWORD, "spare phone")["device"]["id"]
        values.update(
            officer=officer_id,
            colleague=colleague_id,
            user_id=colleague_id,
            team_id=team_id,
            patch_id=patch_id,
            cover_id=cover["id"],
            absence_id=absence["id"],
            device_id=spare,
            conflict_id=db.execute(
                "SELECT max(id) FROM conflicts WHERE uprn = ?", [uprn]
            ).fetchone()[0],
            rejection_id=db.execute(
                "SELECT max(id) FROM mutations WHERE status = 'rejected' AND user_id = ?",
                [officer_id],
            ).fetchone()[0],
        )
        sides[side] = values
    dead = outbox.Target("repairs", "http://127.0.0.1:9/", ("repair.",), "x" * 16)
    outbox.deliver_due(db, [dead], max_attempts=1)
    shared = {
        "run_id": db.execute("SELECT max(id) FROM import_runs").fetchone()[0],
        "delivery_id": db.execute("SELECT min(id) FROM deliveries").fetchone()[0],
    }
    for values in sides.values():
        values.update({k: v for k, v in shared.items() if k not in values})
    return db_path, headers, sides


def request(client, headers, rule, method, template, values, username) -> tuple[str, dict]:
    """The URL and ``client.open`` arguments that call ``method template`` as ``username``
    on the records of one side (``values``), with a body the operation would accept."""
    url = re.sub(r"{(\w+)}", lambda m, v=values: str(v[m.group(1)]), template)
    body = rule.body
    kwargs = {"method": method.upper(), "headers": headers[username]}
    if body == PATCH_BODY:
        body = patch_body(client, headers, values)
    if body == "photo":
        photo = b"\xff\xd8\xff" + uuid.uuid4().bytes
        url = f"/blobs/{hashlib.sha256(photo).hexdigest()}"
        kwargs["data"] = photo
    elif rule.query and method.upper() == "POST":
        url += rule.query
        kwargs["data"] = b"uprn\n"
    else:
        url += rule.query
        if isinstance(body, dict):
            kwargs["json"] = {k: filled(v, values) for k, v in body.items()}
    if template == "/repairs/{repair_id}/actions":
        got = client.get(f"/repairs/{values['repair_id']}", headers=headers["admin"])
        kwargs["headers"] = kwargs["headers"] | {"If-Match": got.headers["ETag"]}
    if template == "/concerns/{concern_id}/follow-ups":
        got = client.get(f"/concerns/{values['concern_id']}", headers=headers["safeguarding1"])
        kwargs["headers"] = kwargs["headers"] | {"If-Match": got.headers["ETag"]}
    return url, kwargs


def patch_body(client, headers, values) -> dict:
    """A new patch drawn like the side's own, under a new name (names are unique)."""
    patch = client.get(f"/patches/{values['patch_id']}", headers=headers["admin"]).get_json()
    name = f"P{uuid.uuid4().hex[:8]}"
    return {"name": name, "team_id": values["team_id"], "boundary": patch["boundary"]}


def filled(value, values):
    """A rule's body value with its placeholder filled: ``{officer}`` is the side's
    officer, ``{colleague}`` another of their team, ``{fresh}`` a name not yet taken."""
    if value in ("{officer}", "{colleague}"):
        return values[value[1:-1]]
    return uuid.uuid4().hex[:12] if value == "{fresh}" else value


@pytest.mark.slow
def test_every_operation_has_a_rule_and_every_role_gets_it(world, tmp_path):
    db_path, headers, sides = world
    client = create_app({"TESTING": True, "DATABASE": str(db_path)}).test_client()
    spec = client.get("/openapi.json").get_json()

    missing, wrong, checked = [], [], 0
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters" or op.get("security") == []:
                continue
            rule = RULES.get(f"{method.upper()} {template}")
            if rule is None:
                missing.append(f"{method.upper()} {template}")
                continue
            if rule.skip:
                continue
            scoped = bool(re.search(r"{(\w+)}", template)) or rule.scope == "own"
            for side in ("own", "other") if scoped else ("own",):
                values = sides[side]
                for role, username in ROLES.items():
                    url, kwargs = request(
                        client, headers, rule, method, template, values, username
                    )
                    response = client.open(url, **kwargs)
                    status = response.status_code
                    response.close()  # a photo is streamed from its file
                    checked += 1
                    want = expected(rule, role, side)
                    if outcome(status) != want:
                        wrong.append(
                            f"{method.upper()} {template} as {role} ({side}): "
                            f"got {status}, rule says {want}"
                        )
    assert not missing, "operations without a rule:\n" + "\n".join(missing)
    assert not wrong, "\n".join(wrong)
    assert checked > 400
