"""A safeguarding lead works a concern at a desk: the home's address, a referral and its
outcome recorded as follow-ups guarded by the concern's ETag, and every step audited."""

from datetime import UTC, datetime, timedelta

from tests.conftest import assert_problem
from tests.phone import Outbox, home_of, push


def _raised(client, as_user, db, **extra) -> tuple[str, int]:
    uprn, _ = home_of(db, "officer1")
    payload = {
        "uprn": uprn,
        "category": "child",
        "subjects": ["Child, about 6", "Mother"],
        "immediate_danger": True,
        "seen": "Child alone at home at 21:00, no heating.",
        **extra,
    }
    concern = Outbox().create("concern", payload, observed_at=datetime.now(UTC).isoformat())
    assert push(client, as_user("officer1"), concern)["results"][0]["status"] == "applied"
    return concern["entity_id"], uprn


def _audit(client, as_user, concern_id) -> list[tuple[str, str]]:
    url = f"/audit?entity_id={concern_id}"
    entries = client.get(url, headers=as_user("admin")).json["items"]
    return [(e["username"], e["action"]) for e in entries]


def test_a_lead_records_a_referral_and_its_outcome_guarded_by_the_etag(client, as_user, db):
    concern_id, uprn = _raised(client, as_user, db)
    lead = as_user("safeguarding1")
    read = client.get(f"/concerns/{concern_id}", headers=lead)
    assert read.status_code == 200
    street = db.execute("SELECT address_line_1 FROM properties WHERE uprn = ?", [uprn]).fetchone()
    assert read.json["address"].startswith(street[0]) and str(uprn) not in read.json["address"]
    first_etag = read.headers["ETag"]
    url = f"/concerns/{concern_id}/follow-ups"
    referral = {
        "note": "Phoned the MASH; strategy meeting tomorrow.",
        "referred_to": "Children's Services (MASH)",
        "referred_at": datetime.now(UTC).isoformat(),
        "referral_ref": "MASH-2041",
    }
    assert_problem(client.post(url, json=referral, headers=lead), 428, field="If-Match")
    made = client.post(url, json=referral, headers=lead | {"If-Match": first_etag})
    assert made.status_code == 201, made.json
    [follow] = made.json["follow_ups"]
    assert follow["referral_ref"] == "MASH-2041" and follow["follows"] == concern_id
    assert follow["subjects"] == ["Child, about 6", "Mother"] and follow["uprn"] == uprn
    assert follow["raised_by_username"] == "safeguarding1" and not follow["immediate_danger"]
    # A second lead who read the concern before the referral must read it again.
    again = client.post(url, json=referral, headers=lead | {"If-Match": first_etag})
    assert_problem(again, 412, "precondition-failed", field="If-Match")
    outcome = {"note": "Strategy meeting held.", "outcome": "Section 47 enquiry opened."}
    done = client.post(url, json=outcome, headers=lead | {"If-Match": made.headers["ETag"]})
    assert [f["outcome"] for f in done.json["follow_ups"]] == [None, "Section 47 enquiry opened."]
    # Clearing the flag changes the ETag too, and closes the concern and its follow-ups.
    cleared = client.post(
        f"/concerns/flags/{uprn}/clear", json={"reason": "Case open with CSC."}, headers=lead
    )
    assert sorted(cleared.json["cleared"]) == sorted(
        [concern_id, *(f["id"] for f in done.json["follow_ups"])]
    )
    stale = client.post(url, json=outcome, headers=lead | {"If-Match": done.headers["ETag"]})
    assert_problem(stale, 412)
    closed = client.get(f"/concerns/{concern_id}", headers=lead).json
    assert closed["cleared"] and closed["cleared_by_username"] == "safeguarding1"
    assert closed["cleared_at"]
    entries = _audit(client, as_user, concern_id)
    assert entries.count(("safeguarding1", "follow-up")) == 2
    assert ("safeguarding1", "read") in entries and ("safeguarding1", "clear-flag") in entries


def test_a_follow_up_keeps_to_the_concerns_audience(client, as_user, db):
    concern_id, _ = _raised(client, as_user, db, immediate_danger=False)
    url = f"/concerns/{concern_id}/follow-ups"
    body = {"note": "Spoke to the school."}
    etag = client.get(f"/concerns/{concern_id}", headers=as_user("safeguarding1")).headers["ETag"]
    for outsider in ("leader2", "officer2"):  # another team; another officer of the team
        answer = client.post(url, json=body, headers=as_user(outsider) | {"If-Match": etag})
        assert_problem(answer, 404)
    for refused in ("repairs1", "admin"):
        answer = client.post(url, json=body, headers=as_user(refused) | {"If-Match": etag})
        assert_problem(answer, 403)
    assert "Spoke to the school" not in str(_audit(client, as_user, concern_id))
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    lead = as_user("safeguarding1") | {"If-Match": etag}
    answer = client.post(url, json=body | {"referred_at": future}, headers=lead)
    assert_problem(answer, 422, field="referred_at")
    assert_problem(client.post(url, json={"note": ""}, headers=lead), 422, field="note")
    # The raising officer's team leader still reads the concern; the lead's follow-up is
    # the lead's own record, so it keeps the lead's audience (no team's leaders).
    made = client.post(url, json=body, headers=lead)
    assert made.status_code == 201
    leader = client.get(f"/concerns/{concern_id}", headers=as_user("leader1")).json
    assert leader["follow_ups"] == []
    assert client.get("/concerns", headers=as_user("leader2")).json["items"] == []


def test_a_referral_date_out_of_this_world_is_refused_naming_the_field(client, as_user, db):
    concern_id, _ = _raised(client, as_user, db)
    lead = as_user("safeguarding1")
    etag = client.get(f"/concerns/{concern_id}", headers=lead).headers["ETag"]
    url = f"/concerns/{concern_id}/follow-ups"
    for when in ("0001-01-01T00:00:00+14:00", "1000-01-01T00:00:00Z"):
        answer = client.post(
            url, json={"note": "x", "referred_at": when}, headers=lead | {"If-Match": etag}
        )
        assert_problem(answer, 422, field="referred_at")
