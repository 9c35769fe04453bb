"""Field records end to end over HTTP: each kind is made offline, pushed twice (the second
is a duplicate), pulled by the right people only, and refused to the wrong roles."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import assert_one_wins, assert_problem, at_once
from tests.phone import Outbox, Phone, home_of, push

# A tiny valid PNG (1 x 1 pixel).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2215bc50000000049454e44ae426082"
)


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def twice(client, headers, *mutations):
    """Push, then push the same again: the second answers duplicate, with the first result."""
    first = push(client, headers, *mutations)["results"]
    second = push(client, headers, *mutations)["results"]
    assert [r["status"] for r in second] == ["duplicate"] * len(mutations)
    for again, original in zip(second, first, strict=True):
        assert again["original"] == original
    return first


def held(client, tokens, username) -> dict:
    return Phone.synced(client, tokens[username])


def cover(client, as_user, db, officer, patch_owner):
    """``officer`` covers ``patch_owner``'s patch from today."""
    patch_id = db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id WHERE u.username = ?",
        [patch_owner],
    ).fetchone()[0]
    officer_id = db.execute("SELECT id FROM users WHERE username = ?", [officer]).fetchone()[0]
    today = datetime.now(UTC).date()
    response = client.post(
        f"/patches/{patch_id}/covers",
        headers=as_user("admin"),
        json={
            "officer_id": officer_id,
            "start_date": (today - timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 201, response.get_json()


def test_a_visit_with_offers_a_promise_and_a_photo(client, as_user, tokens, db):
    uprn, ref = home_of(db, "officer1")
    phone = Outbox()
    sha = hashlib.sha256(PNG).hexdigest()
    visit_id = str(uuid.uuid4())
    due = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    record = phone.make(
        "visit",
        visit_id,
        "create",
        {
            "uprn": uprn,
            "tenancy_ref": ref,
            "channel": "home_visit",
            "outcome": "contact_made",
            "present": ["tenant", "tenant's adult son"],
            "offers": ["arrangement", "dhp", "dhp"],
            "promise_amount": 40,
            "promise_date": due,
            "notes": "Discussed arrears; DHP form left.",
            "arrived_at": ago(minutes=30),
            "left_at": ago(minutes=10),
            "photos": [sha],
        },
        observed_at=ago(minutes=10),
    )
    (result,) = twice(client, as_user("officer1"), record)
    assert result["status"] == "applied" and result["missing_photos"] == [sha]
    assert client.get("/blobs/missing", headers=as_user("officer1")).get_json() == [
        {"entity_type": "visit", "entity_id": visit_id, "sha256": sha}
    ]

    # The photo arrives later; a second upload changes nothing.
    put = client.put(f"/blobs/{sha}", data=PNG, headers=as_user("officer1"))
    assert put.status_code == 200 and put.get_json()["created"] is True
    again = client.put(f"/blobs/{sha}", data=PNG, headers=as_user("officer1"))
    assert again.get_json()["created"] is False
    assert client.get("/blobs/missing", headers=as_user("officer1")).get_json() == []
    photo = client.get(f"/blobs/{sha}", headers=as_user("leader1"))
    assert photo.status_code == 200 and photo.data == PNG and photo.mimetype == "image/png"
    photo.close()
    assert_problem(client.get(f"/blobs/{sha}", headers=as_user("officer4")), 404)

    # Pulled by the team leader, and by officer1 on a fresh phone; not by maintenance.
    leader = held(client, tokens, "leader1")
    assert leader[("visit", visit_id)]["offers"] == ["arrangement", "dhp"]
    assert leader[("visit", visit_id)]["present"] == ["tenant", "tenant's adult son"]
    assert leader[("promise", visit_id)]["status"] == "pending"
    assert ("visit", visit_id) in held(client, tokens, "officer1")
    maintenance = held(client, tokens, "repairs1")
    assert ("visit", visit_id) not in maintenance and ("promise", visit_id) not in maintenance

    # A correction is a new record naming the first; the evidence shows both in order.
    correction = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "outcome": "contact_made",
        "corrects": visit_id,
        "notes": "Correction: DHP form posted, not left.",
    }
    fix = phone.create("visit", correction, observed_at=ago(minutes=5))
    assert twice(client, as_user("officer1"), fix)[0]["status"] == "applied"
    evidence = client.get(f"/tenancies/{ref}/evidence", headers=as_user("officer1")).get_json()
    mine = [e for e in evidence["entries"] if e["record"]["id"] in (visit_id, fix["entity_id"])]
    assert [e["kind"] for e in mine] == ["contact", "promise", "contact"]
    assert mine[0]["record"]["corrected_by"] == [fix["entity_id"]]
    assert [e["at"] for e in evidence["entries"]] == sorted(e["at"] for e in evidence["entries"])
    assert_problem(client.get(f"/tenancies/{ref}/evidence", headers=as_user("repairs1")), 403)
    assert_problem(client.get(f"/tenancies/{ref}/evidence", headers=as_user("officer4")), 404)

    # A correction must name a visit at the same home; a promise needs a date.
    stray = phone.create(
        "visit", {"uprn": uprn, "outcome": "no_access", "corrects": str(uuid.uuid4())}
    )
    bad_promise = phone.create(
        "visit", {"uprn": uprn, "outcome": "contact_made", "promise_amount": 5}
    )
    results = push(client, as_user("officer1"), stray, bad_promise)["results"]
    assert results[0]["code"] == "unknown-entity" and "payload.corrects" in results[0]["errors"]
    assert results[1]["code"] == "invalid-payload"
    assert "payload.promise_date" in results[1]["errors"]


def test_uploads_are_checked_by_hash_type_and_size(client, as_user):
    text = b"not an image at all"
    sha = hashlib.sha256(text).hexdigest()
    assert_problem(client.put(f"/blobs/{sha}", data=text, headers=as_user("officer1")), 415)
    wrong = hashlib.sha256(b"other").hexdigest()
    assert_problem(
        client.put(f"/blobs/{wrong}", data=PNG, headers=as_user("officer1")),
        422,
        "hash-mismatch",
        field="sha256",
    )
    assert_problem(client.put("/blobs/" + "Z" * 64, data=PNG, headers=as_user("officer1")), 422)
    big = PNG + b"\0" * (10 * 1024 * 1024)
    url = f"/blobs/{hashlib.sha256(big).hexdigest()}"
    assert_problem(client.put(url, data=big, headers=as_user("officer1")), 413)


def _account(ref, as_of, balance, **extra) -> dict:
    """An account row of the nightly import, on no benefit unless ``extra`` says so."""
    return {"tenancy_ref": ref, "as_of": as_of, "balance": balance, "benefit": "none", **extra}


def _accounts(client, as_user, rows):
    body = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post(
        "/imports?kind=accounts&format=jsonl", data=body, headers=as_user("admin")
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rejected"] == 0, response.get_json()


def test_doorstep_arrangements_are_checked_against_the_next_import(client, as_user, tokens, db):
    _, ref = home_of(db, "officer1")
    today = datetime.now(UTC).date()
    _accounts(client, as_user, [_account(ref, today.isoformat(), 600.0)])
    phone = Outbox()

    def agree(amount, **extra):
        terms = {"amount": amount, "frequency": "weekly", "start_date": today.isoformat()}
        payload = {"tenancy_ref": ref, **terms, **extra}
        return phone.create("arrangement", payload, observed_at=ago())

    first = agree(10)
    second = agree(20, income_expenditure={"income_monthly": 1200, "expenditure_monthly": 1050})
    results = twice(client, as_user("officer1"), first, second)
    assert [r["status"] for r in results] == ["applied", "applied"]
    officer = held(client, tokens, "officer1")
    agreed = officer[("arrangement", second["entity_id"])]
    assert agreed["status"] == "live" and agreed["starting_balance"] == 600.0
    assert agreed["income_expenditure"]["income_monthly"] == 1200
    replaced = officer[("arrangement", first["entity_id"])]
    assert replaced["status"] == "cancelled" and second["entity_id"] in replaced["status_reason"]
    assert ("arrangement", second["entity_id"]) not in held(client, tokens, "repairs1")

    # Kept so far: two weeks on, two instalments due, the balance fell by £40. A phone
    # that already held the arrangement sees it checked, as a fresh one does.
    officer1 = Phone(client, tokens["officer1"])
    officer1.sync()
    later = today + timedelta(days=14)
    _accounts(client, as_user, [_account(ref, later.isoformat(), 560.0)])
    kept = held(client, tokens, "officer1")[("arrangement", second["entity_id"])]
    assert kept["status"] == "live" and kept["checked_at"] is not None
    officer1.sync()
    assert officer1.store[("arrangement", second["entity_id"])] == kept
    # Five weeks on, five instalments due (with 5 days' grace): at most £500, but £560.
    later = today + timedelta(days=35)
    _accounts(client, as_user, [_account(ref, later.isoformat(), 560.0)])
    breached = held(client, tokens, "officer1")[("arrangement", second["entity_id"])]
    assert breached["status"] == "breached"
    assert "£560.00" in breached["status_reason"] and "£500.00" in breached["status_reason"]
    feed = client.get("/feed?topic=arrangement.changed", headers=as_user("admin")).get_json()
    assert any(e["data"]["status"] == "breached" for e in feed["items"])
    assert_problem(client.get("/feed", headers=as_user("leader1")), 403)


def test_promises_are_kept_or_broken_by_payments(client, as_user, tokens, db):
    uprn, ref = home_of(db, "officer1")
    today = datetime.now(UTC).date()
    phone = Outbox()

    def promise(amount, days_ago, due_days_ago):
        due = (today - timedelta(days=due_days_ago)).isoformat()
        visit = {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made"}
        payload = visit | {"promise_amount": amount, "promise_date": due}
        return phone.create("visit", payload, observed_at=ago(days=days_ago))

    kept, broken = promise(50, 20, 14), promise(500, 20, 12)
    twice(client, as_user("officer1"), kept, broken)
    paid = {
        "last_payment_date": (today - timedelta(days=15)).isoformat(),
        "last_payment_amount": 50.0,
    }
    earlier = (today - timedelta(days=13)).isoformat()
    _accounts(
        client,
        as_user,
        [_account(ref, earlier, 900.0, **paid), _account(ref, today.isoformat(), 850.0, **paid)],
    )
    store = held(client, tokens, "leader1")
    assert store[("promise", kept["entity_id"])]["status"] == "kept"
    assert store[("promise", broken["entity_id"])]["status"] == "broken"
    assert store[("promise", broken["entity_id"])]["paid"] == 50.0


def _repair(phone, uprn, hazard="emergency", observed_at=None):
    payload = {
        "uprn": uprn,
        "location": "Kitchen ceiling",
        "category": "electrical",
        "hazard_class": hazard,
        "description": "Water dripping through the light fitting.",
    }
    return phone.create("repair", payload, observed_at=observed_at or ago(hours=2))


def test_a_repair_referral_reaches_maintenance_with_its_deadlines(client, as_user, tokens, db):
    uprn, _ = home_of(db, "officer1")
    phone = Outbox()
    seen = "2026-11-20T16:30:00+00:00"  # a Friday afternoon
    emergency = _repair(phone, uprn, observed_at=ago(hours=30))
    significant = _repair(phone, uprn, "significant", observed_at=seen)
    assert [r["status"] for r in twice(client, as_user("officer1"), emergency, significant)] == [
        "applied",
        "applied",
    ]
    response = client.get(f"/repairs/{emergency['entity_id']}", headers=as_user("repairs1"))
    repair, tag = response.get_json(), response.headers["ETag"]
    assert repair["status"] == "reported" and repair["overdue"] is True
    investigate = next(d for d in repair["deadlines"] if d["name"] == "investigate")
    due = datetime.fromisoformat(emergency["observed_at"]) + timedelta(hours=24)
    assert datetime.fromisoformat(investigate["due_at"]) == due
    slow = client.get(f"/repairs/{significant['entity_id']}", headers=as_user("repairs1"))
    first = next(d for d in slow.get_json()["deadlines"] if d["name"] == "investigate")
    assert first["due_at"] == "2026-12-05T00:00:00+00:00"  # 10 working days from Mon 23rd

    queue = client.get("/repairs?due=overdue", headers=as_user("repairs1")).get_json()
    assert emergency["entity_id"] in [r["id"] for r in queue["items"]]
    assert queue["items"][0]["hazard_class"] == "emergency"

    url = f"/repairs/{emergency['entity_id']}/actions"
    step = {"action": "acknowledged"}
    assert_problem(client.post(url, json=step, headers=as_user("repairs1")), 428)
    stale = as_user("repairs1") | {"If-Match": '"stale"'}
    assert_problem(client.post(url, json=step, headers=stale), 412, field="If-Match")
    done = client.post(url, json=step, headers=as_user("repairs1") | {"If-Match": tag})
    assert done.status_code == 200 and done.get_json()["status"] == "acknowledged"

    # The old ETag no longer matches: two workers cannot both record a step unseen.
    def record(username, action, tag):
        headers = as_user(username) | {"If-Match": tag}
        return client.post(url, json={"action": action}, headers=headers)

    assert_problem(record("repairs1", "investigated", tag), 412)
    tag = done.headers["ETag"]
    assert_problem(record("repairs1", "completed", tag), 409, "invalid-transition")
    assert_problem(record("officer1", "acknowledged", tag), 403)
    elsewhere = client.get(f"/repairs/{emergency['entity_id']}", headers=as_user("officer4"))
    assert_problem(elsewhere, 404)

    # Officers see the status on their phones; the repairs system gets every step.
    store = held(client, tokens, "officer1")
    assert store[("repair", emergency["entity_id"])]["status"] == "acknowledged"
    feed = client.get("/feed", headers=as_user("admin")).get_json()["items"]
    topics = [(e["topic"], e["data"]["id"]) for e in feed if "repair" in e["topic"]]
    assert ("repair.reported", emergency["entity_id"]) in topics
    assert ("repair.updated", emergency["entity_id"]) in topics


def test_concurrent_steps_with_one_etag_one_wins_the_others_get_412(app, as_user, db):
    """Workers recording a step at once from the same ETag, each request on its own
    connection to the same file: one step is recorded, every other answer is 412 (never
    503 because the database was busy, nor 500)."""
    uprn, _ = home_of(db, "officer1")
    client = app.test_client()
    repairs = [_repair(Outbox(), uprn) for _ in range(3)]
    assert {r["status"] for r in push(client, as_user("officer1"), *repairs)["results"]} == {
        "applied"
    }
    workers = 6
    for repair in repairs:
        url = f"/repairs/{repair['entity_id']}"
        tag = client.get(url, headers=as_user("repairs1")).headers["ETag"]
        answers = at_once(
            app,
            workers,
            lambda worker, n, url=url, tag=tag: worker.post(
                f"{url}/actions",
                json={"action": "acknowledged", "note": f"{n}"},
                headers=as_user("repairs1") | {"If-Match": tag},
            ),
        )
        assert_one_wins(answers, 412, "precondition-failed", "If-Match")
        events = db.execute(
            "SELECT count(*) FROM repair_events WHERE repair_id = ? AND action = 'acknowledged'",
            [repair["entity_id"]],
        ).fetchone()[0]
        assert events == 1


def test_a_repairs_photo_uploaded_later_reaches_phones_holding_it(client, as_user, tokens, db):
    """Phones show which of a repair's photos are missing: the upload changes that (found
    in review: it never reached them)."""
    uprn, _ = home_of(db, "officer1")
    phone, sha = Phone(client, tokens["officer1"]), hashlib.sha256(PNG).hexdigest()
    phone.sync()
    payload = {
        "uprn": uprn,
        "location": "Kitchen",
        "category": "damp_mould",
        "hazard_class": "routine",
        "description": "Mould.",
        "photos": [sha],
    }
    repair = Outbox().create("repair", payload)
    result = push(client, as_user("officer1"), repair, cursor=phone.cursor)["results"][0]
    assert result["missing_photos"] == [sha]
    phone.sync()
    key = ("repair", repair["entity_id"])
    assert phone.store[key]["missing_photos"] == [sha]
    assert client.put(f"/blobs/{sha}", data=PNG, headers=as_user("officer1")).status_code in (
        200,
        201,
    )
    assert phone.sync() == 1
    assert phone.store[key]["missing_photos"] == []


def test_a_repair_outside_the_calendar_is_the_phones_clock(client, as_user, db):
    """A time before the bank holiday calendar (1872) is a year and more before receipt:
    the phone's clock, kept at the time of receipt (test_clock_sanity)."""
    uprn, _ = home_of(db, "officer1")
    old = _repair(Outbox(), uprn, "significant", observed_at="1860-12-20T10:00:00+00:00")
    (result,) = push(client, as_user("officer1"), old)["results"]
    assert result["status"] == "applied" and "clock-behind" in result["flags"]
    # A time past the calendar is a phone's clock running fast: kept, at the time of receipt.
    far = _repair(Outbox(), uprn, "significant", observed_at="2100-12-20T10:00:00+00:00")
    (result,) = push(client, as_user("officer1"), far)["results"]
    assert result["status"] == "applied" and "clock-ahead" in result["flags"]


@pytest.mark.parametrize(
    ("entity_type", "payload", "field"),
    [
        (
            "repair",
            {
                "uprn": 1,
                "location": "x",
                "category": "gas",
                "hazard_class": "urgent",
                "description": "x",
            },
            "payload.hazard_class",
        ),
        (
            "concern",
            {
                "uprn": 1,
                "category": "child",
                "subjects": [],
                "immediate_danger": False,
                "seen": "x",
            },
            "payload.subjects",
        ),
        (
            "marker",
            {"uprn": 1, "code": "no_lone_visits", "description": "x", "source_incident": "x"},
            "payload.review_date",
        ),
        (
            "checkin",
            {
                "uprn": 1,
                "checked_in_at": "2026-11-25T10:00:00+00:00",
                "expected_out_at": "2026-11-25T09:00:00+00:00",
            },
            "payload.expected_out_at",
        ),
        (
            "arrangement",
            {"tenancy_ref": "T1", "amount": 0, "frequency": "weekly", "start_date": "2026-11-25"},
            "payload.amount",
        ),
    ],
)
def test_bad_field_records_are_rejected_naming_the_field(
    client, as_user, entity_type, payload, field
):
    mutation = Outbox().create(entity_type, payload)
    (result,) = push(client, as_user("officer1"), mutation)["results"]
    assert result["status"] == "rejected" and result["code"] == "invalid-payload"
    assert field in result["errors"], result
