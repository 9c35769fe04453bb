"""The outbox events of field work, as the housing system reads them from the feed."""

import uuid

from tests.phone import NOW, Outbox, home_of, push


def visit(outbox, uprn, ref, **extra):
    return outbox.make(
        "visit",
        str(uuid.uuid4()),
        "create",
        {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access", **extra},
        observed_at=NOW,
    )


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
