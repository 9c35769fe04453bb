"""Push: every entry of the list gets its own answer, whatever JSON it is, and no answer
shows another user's mutation."""

import json
import uuid

import pytest

from tests.phone import Outbox, home_of, push, visit

MALFORMED = [
    None,
    5,
    1.5,
    True,
    "a visit",
    [],
    [{"mutation_id": str(uuid.uuid4())}],
    {},
    {"mutation_id": None, "entity_type": "visit"},
    {"mutation_id": "not-a-uuid", "entity_type": "visit", "op": "create", "payload": {}},
    {"mutation_id": "", "entity_type": "visit", "payload": {"uprn": False}},
]


def a_visit(db, username="officer1"):
    uprn, ref = home_of(db, username)
    return Outbox().make(
        "visit",
        str(uuid.uuid4()),
        "create",
        {"uprn": uprn, "tenancy_ref": ref, "outcome": "refused"},
    )


@pytest.mark.parametrize("entry", MALFORMED, ids=repr)
def test_a_malformed_entry_is_rejected_on_its_own(client, as_user, db, entry):
    """Found by probing: ``[<good visit>, null]`` answered 422 and lost the visit."""
    good = a_visit(db)
    body = push(client, as_user("officer1"), good, entry)
    first, second = body["results"]
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and second["code"] == "invalid-mutation", second
    assert second["errors"]
    given = entry.get("mutation_id") if isinstance(entry, dict) else None
    assert second["mutation_id"] == (given if isinstance(given, str) else None)
    assert (
        db.execute("SELECT count(*) FROM visits WHERE id = ?", [good["entity_id"]]).fetchone()[0]
        == 1
    )


@pytest.mark.parametrize(
    "uprn", [[1], {"uprn": 1}, "1", 1.5, None, 2**63, 10**30, -(10**29)], ids=repr
)
def test_a_visit_whose_uprn_is_not_a_number_is_refused_by_its_payload(client, as_user, db, uprn):
    """Found by review and by probing: a list or an object as a visit's ``uprn``, or a
    number past 64 bits, made the batch's prefetch fail, a 500 that lost the good visit
    beside it."""
    good = a_visit(db)
    bad = a_visit(db)
    bad["payload"]["uprn"] = uprn
    first, second = push(client, as_user("officer1"), good, bad)["results"]
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and second["code"] == "invalid-payload", second
    assert "payload.uprn" in second["errors"]


def test_entries_without_a_usable_id_are_never_duplicates(client, as_user, db):
    """Found by probing: such entries were keyed by their content hash, looked up across
    every user, so officer5 received officer4's rejection as its ``original``."""
    before = db.execute("SELECT count(*) FROM mutations WHERE status = 'rejected'").fetchone()[0]
    for username in ("officer4", "officer5", "officer5"):
        body = push(client, as_user(username), None, {"entity_type": "visit"}, None)
        assert [r["status"] for r in body["results"]] == ["rejected"] * 3
        assert {r["code"] for r in body["results"]} == {"invalid-mutation"}
        assert not any("original" in r for r in body["results"])
    after = db.execute("SELECT count(*) FROM mutations WHERE status = 'rejected'").fetchone()[0]
    assert after - before == 9  # each kept for review


def test_another_users_mutation_id_gets_nothing_of_theirs(client, as_user, db):
    """The same id and content from another user is not a duplicate of theirs: it is
    refused, and the answer says nothing of the first (its status, version or flags)."""
    mine = a_visit(db, "officer1")
    assert push(client, as_user("officer1"), mine)["results"][0]["status"] == "applied"
    for copy in (mine, {**mine, "payload": {**mine["payload"], "outcome": "no_access"}}):
        theirs = push(client, as_user("officer4"), copy)["results"][0]
        assert theirs == {
            "mutation_id": mine["mutation_id"],
            "status": "rejected",
            "code": "mutation-id-reused",
            "reason": "This mutation id was already used. Make a new one for each change.",
        }
    # The author's own resend is still its duplicate.
    again = push(client, as_user("officer1"), mine)["results"][0]
    assert again["status"] == "duplicate" and again["original"]["status"] == "applied"


@pytest.mark.parametrize("op", ["delete", "upsert", "remove", "DELETE"])
def test_an_op_no_kind_takes_is_invalid_op(client, as_user, db, op):
    mutation = a_visit(db) | {"op": op}
    result = push(client, as_user("officer1"), mutation)["results"][0]
    assert result["status"] == "rejected" and result["code"] == "invalid-op", result
    assert result["errors"] == {"op": ["One of: create."]}


def test_an_edit_outside_your_patches_is_answered_as_an_unknown_record(client, as_user, db):
    """Found by probing: a tenant edit out of scope answered "Home <uprn> is not in your
    patches", mapping sequential person refs to homes across the landlord."""
    uprn, ref = home_of(db, "officer1")
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()
    outbox = Outbox()
    theirs = outbox.make("tenant", person, "update", {"email": "x@example.com"}, version)
    missing = outbox.make("tenant", "P99999999", "update", {"email": "x@example.com"}, 1)
    first, second = push(client, as_user("officer4"), theirs, missing)["results"]
    assert first["code"] == second["code"] == "unknown-entity"
    assert str(uprn) not in first["reason"]
    assert first["reason"].replace(person, "X") == second["reason"].replace("P99999999", "X")


@pytest.mark.parametrize("entity_id", ["\u0000", " ", "<script>", "2026-02-30", "a" * 100])
def test_a_new_record_whose_id_is_not_a_uuid_is_refused(client, as_user, db, entity_id):
    """Found by probing: a repair created with the id "\\u0000" was applied, then broke
    the repairs queue for everyone and was taken off its own phone at the next pull. A new
    record's id is the phone's UUID, as the protocol says."""
    good = a_visit(db)
    bad = a_visit(db)
    bad["entity_id"] = entity_id
    first, second = push(client, as_user("officer1"), good, bad)["results"]
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and second["code"] == "invalid-mutation", second
    assert list(second["errors"]) == ["entity_id"]
    assert client.get("/repairs", headers=as_user("repairs1")).status_code == 200


def test_a_note_cut_mid_emoji_is_kept_and_its_neighbours_applied(client, as_user, db):
    """Found by probing: half a character (a lone UTF-16 surrogate) anywhere in a push
    refused the whole request with 400, every neighbour with it. It is kept as U+FFFD,
    as a UTF-8 decoder shows a broken character."""
    good, cut = a_visit(db), a_visit(db)
    cut["payload"]["notes"] = "Left a card \U0001f600"[:-1] + "\ud83d"
    body = json.dumps({"mutations": [good, cut]})  # ASCII: the half character escaped
    response = client.post(
        "/sync/push", data=body, content_type="application/json", headers=as_user("officer1")
    )
    assert response.status_code == 200, response.get_json()
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "applied"]
    notes = db.execute("SELECT notes FROM visits WHERE id = ?", [cut["entity_id"]]).fetchone()
    assert notes == ("Left a card \ufffd",)


@pytest.mark.parametrize(
    ("kind", "field", "amount"),
    [
        ("visit", "promise_amount", 0.015),
        ("visit", "promise_amount", 20.001),
        ("arrangement", "amount", 12.505),
        ("arrangement", "income_expenditure.income_monthly", 1100.3333),
    ],
)
def test_money_is_to_the_penny(client, as_user, db, kind, field, amount):
    """Found by probing: a promise of £0.015 was accepted. An amount of money is pounds
    and pence; more decimals are refused, naming the field, not rounded."""
    uprn, ref = home_of(db, "officer1")
    if kind == "visit":
        payload = {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made"}
        payload |= {"promise_amount": amount, "promise_date": "2026-11-27"}
    else:
        money = {"income_monthly": 1100, "expenditure_monthly": 1020}
        payload = {"tenancy_ref": ref, "amount": 12.5, "frequency": "weekly"}
        payload |= {"start_date": "2026-11-30", "income_expenditure": money}
        if field == "amount":
            payload["amount"] = amount
        else:
            money["income_monthly"] = amount
    bad = Outbox().make(kind, str(uuid.uuid4()), "create", payload)
    [result] = push(client, as_user("officer1"), bad)["results"]
    assert result["status"] == "rejected" and result["code"] == "invalid-payload", result
    top = field.split(".")[0]
    assert f"payload.{top}" in result["errors"]
    assert "two decimal places" in json.dumps(result["errors"])
    fixed = json.loads(json.dumps(payload).replace(repr(amount), str(round(amount, 2))))
    good = Outbox().make(kind, str(uuid.uuid4()), "create", fixed)
    [result] = push(client, as_user("officer1"), good)["results"]
    assert result["status"] == "applied", result


def test_a_resend_is_a_duplicate_however_its_fields_are_ordered_or_its_null_sent(
    client, as_user, db
):
    """The content hash leaves out only ``device_seq``: the same create resent with its
    fields in another order, another ``device_seq``, and ``base_version`` left out rather
    than null, is the same mutation; with another value it is not."""
    sent = a_visit(db)
    assert sent["base_version"] is None
    (first,) = push(client, as_user("officer1"), sent)["results"]
    assert first["status"] == "applied"
    again = {k: sent[k] for k in reversed(sent) if k != "base_version"}
    again["device_seq"] = sent["device_seq"] + 7
    (second,) = push(client, as_user("officer1"), again)["results"]
    assert second["status"] == "duplicate" and second["original"] == first
    changed = again | {"payload": sent["payload"] | {"outcome": "no_access"}}
    (third,) = push(client, as_user("officer1"), changed)["results"]
    assert third["status"] == "rejected" and third["code"] == "mutation-id-reused"


def test_a_malformed_mutation_still_reaches_the_acknowledged_sequence(client, as_user, db):
    """A rejected envelope (no UTC offset, no mutation id) has arrived all the same: a phone
    that waited for acknowledged_seq to pass it would resend it for ever."""
    uprn, ref = home_of(db, "officer1")
    box = Outbox()
    m1, m2, m3, m4 = (visit(box, uprn, ref) for _ in range(4))
    m2["observed_at"] = "2026-11-25T10:00:00"
    m3["mutation_id"] = None
    first = push(client, as_user("officer1"), m1, m2, m3, m4)
    assert [r["status"] for r in first["results"]] == [
        "applied",
        "rejected",
        "rejected",
        "applied",
    ]
    assert first["acknowledged_seq"] == 4
    # What has no usable number of its own is stored, but moves nothing.
    m5, m6 = visit(box, uprn, ref), visit(box, uprn, ref)
    m5["device_seq"] = "5"
    assert push(client, as_user("officer1"), m5, m6)["acknowledged_seq"] == 4
    seqs = db.execute(
        "SELECT device_seq FROM mutations WHERE status = 'rejected' ORDER BY id"
    ).fetchall()
    assert [s[0] for s in seqs] == [2, 3, None]
