"""The outbox events of field work, as the housing system reads them from the feed."""

from datetime import UTC, datetime, timedelta

from sync.retention import Periods, purge
from tests.phone import Outbox, ended_tenancy_of, home_of, push, visit


def test_a_visit_event_is_read_from_its_record_and_says_what_was_applied(client, as_user, db):
    """A visit's outbox event is stored without a body (the record never changes once
    made): the feed reads it from the visit record, with every field as applied, lists
    empty rather than null, and the officer's username."""
    uprn, ref = home_of(db, "officer1")
    mutation = visit(
        Outbox(),
        uprn,
        ref,
        channel="phone_call",
        present=["tenant"],
        offers=["arrangement"],
        notes="Called; agreed to pay Friday.",
        promise_amount=25.5,
        promise_date="2026-11-27",
        latitude=51.31,
        longitude=-2.21,
        gps_accuracy_m=7.5,
        arrived_at="2026-11-25T10:05:00+01:00",
        left_at="2026-11-25T10:14:00+00:00",
    )
    after = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    [result] = push(client, as_user("officer1"), mutation)["results"]
    assert result["status"] == "applied"
    stored = db.execute("SELECT event_id, body FROM outbox WHERE id > ?", [after]).fetchall()
    [(event_id, body)] = stored
    assert event_id.startswith(f"{mutation['mutation_id']}.") and body is None
    [event] = client.get(f"/feed?after={after}", headers=as_user("admin")).get_json()["items"]
    assert event["id"] == event_id and event["topic"] == "visit.recorded"
    assert event["data"] == {
        "id": mutation["entity_id"],
        "uprn": uprn,
        "tenancy_ref": ref,
        "channel": "phone_call",
        "outcome": "no_access",
        "present": ["tenant"],
        "offers": ["arrangement"],
        "promise_amount": 25.5,
        "promise_date": "2026-11-27",
        "notes": "Called; agreed to pay Friday.",
        "latitude": 51.31,
        "longitude": -2.21,
        "gps_accuracy_m": 7.5,
        "arrived_at": "2026-11-25T10:05:00+01:00",
        "left_at": "2026-11-25T10:14:00+00:00",
        "corrects": None,
        "photos": [],
        "observed_at": "2026-11-25T10:15:00.000000+00:00",
        "flags": [],
        "officer": "officer1",
    }
    received = db.execute("SELECT received_at FROM visits WHERE id = ?", [mutation["entity_id"]])
    assert event["occurred_at"] == received.fetchone()[0]


def test_a_visit_event_keeps_what_was_applied_when_retention_unlinks_the_visit(
    client, as_user, db
):
    """Retention purging a tenancy unlinks a kept visit from the purged one it corrected:
    the kept visit's event, read from it until then, keeps saying what was applied."""
    ref, uprn, ended = ended_tenancy_of(db, "officer1")
    box = Outbox()
    first = visit(box, uprn, ref)
    correction = visit(box, uprn, None, outcome="contact_made", corrects=first["entity_id"])
    after = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    results = push(client, as_user("officer1"), first, correction)["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]

    def events():
        page = client.get(f"/feed?after={after}", headers=as_user("admin")).get_json()
        return {e["data"]["id"]: e for e in page["items"]}

    before = events()[correction["entity_id"]]
    assert before["data"]["corrects"] == first["entity_id"]
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    purge(db, Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1), now=now)
    kept = db.execute("SELECT corrects FROM visits WHERE id = ?", [correction["entity_id"]])
    assert kept.fetchone() == (None,)  # the record no longer names the purged visit
    now_read = events()
    assert first["entity_id"] not in now_read  # purged with its record
    assert now_read[correction["entity_id"]] == before


def test_the_feed_is_for_admins_and_a_refusal_names_the_role(client, as_user):
    refused = client.get("/feed", headers=as_user("officer1"))
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "An officer may not read the outbox feed."
    refused = client.get("/feed", headers=as_user("leader1"))
    assert refused.get_json()["detail"] == "A team leader may not read the outbox feed."
    refused = client.get("/feed", headers=as_user("repairs1"))
    assert refused.get_json()["detail"] == "Maintenance staff may not read the outbox feed."
