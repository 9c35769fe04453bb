"""A mutation sent again: the same content from the same user is a duplicate, anything
else a mutation id reused (docs/sync-protocol.md, "Exactly once"). Many of these came from
a review of the push that stopped hashing every mutation (sync.protocol.resends)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from sync.protocol.resends import COMPARED_UP_TO, digest
from sync.retention import Periods, purge
from tests.conftest import assert_problem
from tests.phone import Outbox, ended_tenancy_of, home_of, push, visit


def _post(client, headers, text: str):
    """A push of exactly this text (the test client's json= would write it its own way)."""
    return client.post(
        "/sync/push", data=text, headers=headers | {"Content-Type": "application/json"}
    )


def _sent(client, headers, mutations):
    response = _post(client, headers, json.dumps({"mutations": mutations}))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


@pytest.mark.parametrize(
    "extra",
    [
        {"notes": "Card left \u00e9\u4e2d\U0001f600"},
        {"latitude": 1e-7, "longitude": -0.0},
        {"gps_accuracy_m": 1e16},
        {"gps_accuracy_m": 2**70},  # a refused payload: its resend is the same one all the same
        {"deep": [[[{"a": [1, {"b": None}]}]]]},
    ],
    ids=["unicode", "tiny-and-minus-zero", "1e16", "2**70", "nested"],
)
def test_the_same_content_sent_again_is_a_duplicate_and_other_content_is_not(
    db, client, as_user, extra
):
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref, **extra)
    first, again = (_sent(client, as_user("officer1"), [m])[0] for _ in range(2))
    assert again == {"mutation_id": m["mutation_id"], "status": "duplicate", "original": first}
    # Keys in another order, base_version left out (null and absent are the same content),
    # and another device_seq: the same mutation.
    reordered = dict(reversed(list(m.items())), device_seq=m["device_seq"] + 1)
    del reordered["base_version"]
    reordered["payload"] = dict(reversed(list(m["payload"].items())))
    [third] = _sent(client, as_user("officer1"), [reordered])
    assert third["status"] == "duplicate", third
    changed = dict(m, payload=m["payload"] | {"notes": "Other words"})
    [fourth] = _sent(client, as_user("officer1"), [changed])
    assert fourth.get("code") == "mutation-id-reused", fourth


def test_a_big_integer_and_its_neighbours_are_told_apart(db, client, as_user):
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref, gps_accuracy_m=2**70)
    _sent(client, as_user("officer1"), [m])
    for other in (2**70 + 1, float(2**70)):
        [answer] = _sent(
            client,
            as_user("officer1"),
            [dict(m, payload=m["payload"] | {"gps_accuracy_m": other})],
        )
        assert answer.get("code") == "mutation-id-reused", (other, answer)


def test_keys_that_look_like_retentions_are_content_like_any_other(db, client, as_user):
    """A malformed mutation is kept as sent, whatever keys it has: none of them can make
    other content count as the same (what a purged mutation is compared by is a column
    only retention writes)."""
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref) | {"redacted_at": "x", "content_hash": "0" * 64}
    first, again = (_sent(client, as_user("officer1"), [m])[0] for _ in range(2))
    assert first["code"] == "invalid-mutation" and again["status"] == "duplicate", again
    real = visit(Outbox(), uprn, ref)
    decoy = dict(real, redacted_at="x", content_hash=digest(real), payload={})
    _sent(client, as_user("officer1"), [decoy])
    [answer] = _sent(client, as_user("officer1"), [real])
    assert answer.get("code") == "mutation-id-reused", answer


def test_another_users_resend_learns_nothing(db, client, as_user):
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref)
    assert push(client, as_user("officer1"), m)["results"][0]["status"] == "applied"
    [theirs] = push(client, as_user("officer2"), m)["results"]
    assert theirs == {
        "mutation_id": m["mutation_id"],
        "status": "rejected",
        "code": "mutation-id-reused",
        "reason": "This mutation id was already used. Make a new one for each change.",
    }


def test_copies_in_one_push(db, client, as_user):
    uprn, ref = home_of(db, "officer1")
    outbox = Outbox()
    m = visit(outbox, uprn, ref)
    copy = dict(m, device_seq=m["device_seq"] + 5)
    changed = dict(m, device_seq=m["device_seq"] + 6, payload=m["payload"] | {"notes": "x"})
    bad = dict(visit(outbox, uprn, ref), payload={"uprn": "no"})
    results = push(client, as_user("officer1"), m, copy, changed, bad, dict(bad))["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["applied", "duplicate", "rejected", "rejected", "duplicate"], results
    assert results[2]["code"] == "mutation-id-reused"


def test_a_long_mutation_keeps_its_hash_and_short_resends_are_answered_by_it(db, client, as_user):
    """A resend is compared with the stored copy only when the copy is short: a long one
    keeps its content's hash, so a small push naming it is answered without reading it."""
    uprn, ref = home_of(db, "officer1")
    long = visit(Outbox(), uprn, ref, junk=[0] * COMPARED_UP_TO)
    [stored] = _sent(client, as_user("officer1"), [long])
    assert stored["code"] == "invalid-payload"  # kept for review, as sent
    kept = db.execute(
        "SELECT content_hash FROM mutations WHERE mutation_id = ?", [long["mutation_id"]]
    ).fetchone()[0]
    assert kept == digest(long)
    short = [dict(long, device_seq=n, payload={}) for n in range(100, 300)]
    answers = _sent(client, as_user("officer1"), [*short, dict(long, device_seq=300)])
    assert {a.get("code") for a in answers[:-1]} == {"mutation-id-reused"}
    assert answers[-1]["status"] == "duplicate"
    short_one = visit(Outbox(), uprn, ref)
    push(client, as_user("officer1"), short_one)
    assert db.execute(
        "SELECT content_hash FROM mutations WHERE mutation_id = ?", [short_one["mutation_id"]]
    ).fetchone() == (None,)


def test_a_record_purged_twice_keeps_its_mutations_hash(db, client, as_user):
    """A tenant's person_ref can come back in a later tenancy (a transfer, a re-import);
    purged again, the mutations about it keep the hash of what was first sent."""
    officer = "officer1"
    ref, _, ended = ended_tenancy_of(db, officer)
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()
    m = Outbox().make("tenant", person, "update", {"email": "x@example.com"}, base_version=version)
    assert push(client, as_user(officer), m)["results"][0]["status"] == "applied"
    tenancy = next(db.query("SELECT * FROM tenancies WHERE tenancy_ref = ?", [ref]))
    tenant = next(db.query("SELECT * FROM tenants WHERE person_ref = ?", [person]))
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    periods = Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1, outbox_days=90)
    purge(db, periods, now=now)
    assert push(client, as_user(officer), m)["results"][0]["status"] == "duplicate"
    db["tenancies"].insert(tenancy | {"tenancy_ref": f"{ref}-B", "current_snapshot_id": None})
    db["tenants"].insert(tenant | {"tenancy_ref": f"{ref}-B"})
    db.conn.commit()
    purge(db, periods, now=now + timedelta(days=1))
    assert push(client, as_user(officer), m)["results"][0]["status"] == "duplicate"


def test_nan_and_infinity_are_not_json(db, client, as_user):
    """Python reads them (and a number too large for a float as infinity), JSON has no such
    values, and SQLite's JSON functions (which the purge reads stored mutations with)
    refuse text holding them."""
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref)
    before = db.execute("SELECT count(*) FROM mutations").fetchone()[0]
    for word in ("NaN", "Infinity", "-Infinity", "1e999", "-1e400"):
        text = json.dumps({"mutations": [m]}).replace('"no_access"', word)
        problem = assert_problem(_post(client, as_user("officer1"), text), 400)
        assert word in json.dumps(problem), problem
    assert db.execute("SELECT count(*) FROM mutations").fetchone()[0] == before


def test_a_copy_stored_with_nan_before_it_was_refused_does_not_stop_the_purge(db, client, as_user):
    """Older code stored such a copy (a payload with NaN and an integer orjson refuses):
    the purge reads it all the same, and takes its payload out."""
    officer = "officer1"
    ref, uprn, ended = ended_tenancy_of(db, officer)
    m = visit(Outbox(), uprn, ref, notes="Said to call back")
    assert push(client, as_user(officer), m)["results"][0]["status"] == "applied"
    odd = json.dumps(m | {"payload": m["payload"] | {"odd": float("nan"), "big": 2**70}})
    db.execute("UPDATE mutations SET body = ? WHERE mutation_id = ?", [odd, m["mutation_id"]])
    db.conn.commit()
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    periods = Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1, outbox_days=90)
    purge(db, periods, now=now)
    body, kept = db.execute(
        "SELECT body, content_hash FROM mutations WHERE mutation_id = ?", [m["mutation_id"]]
    ).fetchone()
    assert "Said to call back" not in body and kept is not None


@pytest.mark.parametrize("depth", [201, 300, 935])
def test_nesting_deeper_than_any_request_needs_is_refused(db, client, as_user, depth):
    """Found in review: a payload some 935 levels deep was read, then could not be written
    again (the standard library's writer ran out of stack), and the push answered 500."""
    uprn, ref = home_of(db, "officer1")
    m = visit(Outbox(), uprn, ref)
    deep = "[" * depth + "]" * depth
    text = json.dumps({"mutations": [m]}).replace('"no_access"', deep)
    problem = assert_problem(_post(client, as_user("officer1"), text), 400)
    assert "nested" in json.dumps(problem), problem
    # What a phone sends, with more than that many brackets in all, is read as ever.
    many = [visit(Outbox(), uprn, ref, present=["Tenant"]) for _ in range(120)]
    results = push(client, as_user("officer1"), *many)["results"]
    assert {r["status"] for r in results} == {"applied"}
