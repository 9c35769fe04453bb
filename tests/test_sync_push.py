"""Push: one final result per mutation, exactly once, conflicts kept, nothing blocked."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sync.store import changes
from sync.store.db import write_transaction
from tests.conftest import assert_problem
from tests.phone import NOW, Outbox, Phone, home_of, push, server_view, synced, visit


def a_tenant(db, username):
    _, ref = home_of(db, username)
    return db.execute(
        "SELECT person_ref, version, mobile, email FROM tenants "
        "WHERE tenancy_ref = ? ORDER BY person_ref LIMIT 1",
        [ref],
    ).fetchone()


def a_live_arrangement(db, username):
    """(id, version, tenancy_ref) of a live arrangement in ``username``'s patch."""
    return db.execute(
        "SELECT a.id, a.version, a.tenancy_ref FROM arrangements a JOIN tenancies t "
        "ON t.tenancy_ref = a.tenancy_ref JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = ? AND a.status = 'live' LIMIT 1",
        [username],
    ).fetchone()


def test_a_visit_is_applied_once_however_often_it_is_sent(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    mutation = visit(
        Outbox(),
        uprn,
        ref,
        notes="Card left",
        gps_accuracy_m=12.5,
        latitude=51.3,
        longitude=-2.2,
        arrived_at=NOW,
        left_at="2026-11-25T10:20:00+00:00",
    )
    first = push(client, as_user("officer1"), mutation)["results"][0]
    assert first["status"] == "applied"
    again = push(client, as_user("officer1"), mutation, mutation)["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert again[0]["original"]["status"] == "applied"
    assert (
        db.execute("SELECT count(*) FROM visits WHERE id = ?", [mutation["entity_id"]]).fetchone()[
            0
        ]
        == 1
    )
    row = db.execute(
        "SELECT observed_at, received_at, notes FROM visits WHERE id = ?", [mutation["entity_id"]]
    ).fetchone()
    # Stored as a UTC instant to the microsecond, so stored instants sort as text.
    assert datetime.fromisoformat(row[0]) == datetime.fromisoformat(NOW)
    assert row[0].endswith("+00:00") and row[1] and row[2] == "Card left"


def test_same_id_other_content_is_rejected_and_kept(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    mutation = visit(Outbox(), uprn, ref)
    push(client, as_user("officer1"), mutation)
    changed = {**mutation, "payload": {**mutation["payload"], "outcome": "refused"}}
    result = push(client, as_user("officer1"), changed)["results"][0]
    assert result["status"] == "rejected" and result["code"] == "mutation-id-reused"
    assert (
        db.execute(
            "SELECT count(*) FROM mutations WHERE mutation_id = ?", [mutation["mutation_id"]]
        ).fetchone()[0]
        == 2
    )
    assert (
        db.execute("SELECT outcome FROM visits WHERE id = ?", [mutation["entity_id"]]).fetchone()[
            0
        ]
        == "no_access"
    )


def test_a_bad_mutation_never_blocks_the_ones_behind_it(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    other_uprn, other_ref = home_of(db, "officer2")
    box = Outbox()
    good1 = visit(box, uprn, ref)
    bad_payload = box.make(
        "visit", str(uuid.uuid4()), "create", {"uprn": uprn, "outcome": "danced"}
    )
    no_offset = box.make(
        "visit",
        str(uuid.uuid4()),
        "create",
        {"uprn": uprn, "outcome": "no_access"},
        observed_at="2026-11-25T10:00",
    )
    not_mine = visit(box, other_uprn, other_ref)
    unknown = box.make("spaceship", "x", "create", {})
    good2 = visit(box, uprn, ref)
    results = push(
        client,
        as_user("officer1"),
        good1,
        bad_payload,
        no_offset,
        "not an object",
        not_mine,
        unknown,
        good2,
    )["results"]
    assert [r["status"] for r in results] == [
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert results[1]["code"] == "invalid-payload" and "payload.outcome" in results[1]["errors"]
    assert results[2]["code"] == "invalid-mutation" and "observed_at" in results[2]["errors"]
    assert results[4]["code"] == "out-of-scope"
    assert results[5]["code"] == "unknown-entity-type"
    stored = db.execute("SELECT count(*) FROM mutations WHERE status = 'rejected'").fetchone()[0]
    assert stored == 5


def test_a_visit_to_no_home_or_a_home_in_no_patch_is_refused_as_such(client, as_user, db):
    db.execute(
        "INSERT INTO properties (uprn, address_line_1, post_town, postcode, latitude, "
        "longitude, kind, imported_at, updated_at) VALUES (990000000001, '1 Far Lane', "
        "'Nowhere', 'ZZ1 1ZZ', 60.0, -1.0, 'dwelling', '2026-01-01', '2026-01-01')"
    )
    db.conn.commit()
    box = Outbox()
    results = push(
        client,
        as_user("officer1"),
        visit(box, 990000000002, None),
        visit(box, 990000000001, None),
    )["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "unknown-home"),
        ("rejected", "out-of-scope"),
    ]
    assert results[1]["reason"] == "Home 990000000001 is in no patch."


def test_a_created_record_comes_back_as_stored_and_reaches_the_team(client, as_user, tokens, db):
    """Every create comes back to its author, as the server stored it (a visit was the
    one kind that did not, unless flagged: found by probing)."""
    officer1, leader1 = synced(client, tokens, "officer1", "leader1")
    uprn, ref = home_of(db, "officer1")
    mutation = visit(Outbox(), uprn, ref)
    push(client, as_user("officer1"), mutation)
    assert officer1.sync() == 1
    held = officer1.store[("visit", mutation["entity_id"])]
    assert held["received_at"] and held["flags"] == [] and held["outcome"] == "no_access"
    assert leader1.sync() == 1
    assert leader1.store[("visit", mutation["entity_id"])]["outcome"] == "no_access"
    repairs = Phone(client, tokens["repairs1"])
    repairs.sync()
    assert not any(k[0] == "visit" for k in repairs.store)


def test_edits_to_different_fields_merge(client, as_user, tokens, db, db_path, today):
    person, version, _, _ = a_tenant(db, "officer1")
    officer1, leader1 = synced(client, tokens, "officer1", "leader1")
    a = push(
        client,
        as_user("officer1"),
        Outbox().make("tenant", person, "update", {"mobile": "07700 900123"}, version),
    )["results"][0]
    b = push(
        client,
        as_user("leader1"),
        Outbox().make("tenant", person, "update", {"email": "new@example.com"}, version),
    )["results"][0]
    assert a["status"] == b["status"] == "applied"
    assert (a["version"], b["version"]) == (version + 1, version + 2)
    row = db.execute(
        "SELECT mobile, email, version FROM tenants WHERE person_ref = ?", [person]
    ).fetchone()
    assert row == ("07700 900123", "new@example.com", version + 2)
    officer1.sync()
    leader1.sync()
    assert officer1.store == server_view(db_path, "officer1", today)
    assert leader1.store == server_view(db_path, "leader1", today)
    assert officer1.store[("tenant", person)]["email"] == "new@example.com"
    assert leader1.store[("tenant", person)]["mobile"] == "07700 900123"


def test_an_edit_that_changes_nothing_on_an_old_base_brings_the_record_back(
    client, as_user, tokens, db
):
    """Found by the state machine: a phone edits a tenant's mobile and, in the same push,
    repeats the email it already set, both from the same base. The repeat changes nothing
    but answers with the new version; a phone reading that answer first would think it held
    that version without the mobile. So the record comes back on its next pull."""
    person, version, _, _ = a_tenant(db, "officer1")
    phone, outbox = Phone(client, tokens["officer1"]), Outbox()
    phone.sync()
    first = push(
        client,
        as_user("officer1"),
        outbox.make("tenant", person, "update", {"email": "same@example.com"}, version),
        cursor=phone.cursor,
    )["results"][0]
    assert first["version"] == version + 1
    assert phone.sync() == 0  # exactly as written: not echoed
    mobile, repeat = push(
        client,
        as_user("officer1"),
        outbox.make("tenant", person, "update", {"mobile": "07700 900321"}, version + 1),
        outbox.make("tenant", person, "update", {"email": "same@example.com"}, version + 1),
        cursor=phone.cursor,
    )["results"]
    assert (mobile["version"], repeat["version"]) == (version + 2, version + 2)
    assert phone.sync() == 1
    held = phone.store[("tenant", person)]
    assert (held["mobile"], held["email"], held["version"]) == (
        "07700 900321",
        "same@example.com",
        version + 2,
    )


def test_an_edit_based_on_a_version_only_an_answer_named_brings_the_record_back(
    client, as_user, tokens, db
):
    """A phone's edit merged with someone else's: its answer names the new version, which
    the phone does not hold whole until it pulls. Its next edit, based on that version
    before any pull, must not stop the merged record coming back to it. Once it has
    pulled, its exact edits are not sent back."""
    person, version, _, _ = a_tenant(db, "officer1")
    officer1, leader1 = synced(client, tokens, "officer1", "leader1")
    mobile = Outbox().make("tenant", person, "update", {"mobile": "07700 900123"}, version)
    push(client, as_user("officer1"), mobile, cursor=officer1.cursor)
    outbox = Outbox()

    def edit(email, base):
        return push(
            client,
            as_user("leader1"),
            outbox.make("tenant", person, "update", {"email": email}, base),
            cursor=leader1.cursor,
        )["results"][0]

    merged = edit("a@example.com", version)
    assert (merged["status"], merged["version"]) == ("applied", version + 2)
    again = edit("b@example.com", version + 2)
    assert (again["status"], again["version"]) == ("applied", version + 3)
    assert leader1.sync() == 1
    held = leader1.store[("tenant", person)]
    assert (held["mobile"], held["email"], held["version"]) == (
        "07700 900123",
        "b@example.com",
        version + 3,
    )
    echoed = []
    for n in range(3):
        result = edit(f"c{n}@example.com", held["version"] + n)
        assert result["version"] == held["version"] + n + 1
        echoed.append(leader1.sync())
    assert echoed == [0, 0, 0]


def test_a_home_renumbered_after_the_answer_still_brings_the_merge_back(
    client, as_user, tokens, db
):
    """Found in review: the server renumbering the home (a paired visit booked there)
    between the merged answer and the next edit must not make that edit count as held."""
    person, version, _, _ = a_tenant(db, "officer1")
    officer1, leader1 = synced(client, tokens, "officer1", "leader1")
    mobile = Outbox().make("tenant", person, "update", {"mobile": "07700 900123"}, version)
    push(client, as_user("officer1"), mobile, cursor=officer1.cursor)
    outbox = Outbox()
    email = outbox.make("tenant", person, "update", {"email": "a@example.com"}, version)
    assert push(client, as_user("leader1"), email, cursor=leader1.cursor)["results"][0][
        "version"
    ] == (version + 2)
    uprn = db.execute(
        "SELECT y.uprn FROM tenants t JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref "
        "WHERE t.person_ref = ?",
        [person],
    ).fetchone()[0]
    with write_transaction(db):
        changes.touch_homes(db, [uprn])
    again = outbox.make("tenant", person, "update", {"email": "b@example.com"}, version + 2)
    push(client, as_user("leader1"), again, cursor=leader1.cursor)
    leader1.sync()
    held = leader1.store[("tenant", person)]
    assert (held["mobile"], held["email"]) == ("07700 900123", "b@example.com")


def test_the_cursor_sent_with_a_push_says_what_the_phone_holds(client, as_user, tokens, db):
    """Without a cursor the server cannot tell which versions a phone holds, so an edit of
    a record comes back to it; with one, an exact edit does not. A cursor it cannot read,
    or one from before a restore (a phone resetting uploads first), is ignored: an upload
    is never refused for its cursor."""
    person, version, _, _ = a_tenant(db, "officer1")
    phone, outbox = Phone(client, tokens["officer1"]), Outbox()
    phone.sync()

    def edit(fields, base, cursor):
        mutation = outbox.make("tenant", person, "update", fields, base)
        return push(client, as_user("officer1"), mutation, cursor=cursor)["results"][0]

    assert edit({"mobile": "07700 900777"}, version, None)["version"] == version + 1
    assert phone.sync() == 1
    assert edit({"mobile": "07700 900778"}, version + 1, phone.cursor)["version"] == version + 2
    assert phone.sync() == 0
    forged = phone.cursor[:-2] + ("AA" if not phone.cursor.endswith("AA") else "BB")
    assert edit({"mobile": "07700 900779"}, version + 2, forged)["version"] == version + 3
    assert phone.sync() == 0  # based on its own exact write: held, with or without a cursor
    stale = phone.cursor
    changes.new_epoch(db)
    result = edit({"email": "late@example.com"}, version + 3, stale)
    assert (result["status"], result["version"]) == ("applied", version + 4)


@pytest.mark.parametrize("cursor", [None, "", "x" * 20000, 12345, {"a": 1}, ["x"], "a.b"])
def test_an_upload_is_never_refused_for_its_cursor(client, as_user, db, cursor):
    uprn, ref = home_of(db, "officer1")
    response = client.post(
        "/sync/push",
        json={"mutations": [visit(Outbox(), uprn, ref)], "cursor": cursor},
        headers=as_user("officer1"),
    )
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "applied"


def test_another_devices_cursor_counts_as_none(client, as_user, tokens, db):
    """A cursor says what the phone it was issued to holds; another's proves nothing."""
    person, version, _, _ = a_tenant(db, "officer1")
    officer1, leader1 = synced(client, tokens, "officer1", "leader1")
    edit = Outbox().make("tenant", person, "update", {"mobile": "07700 900555"}, version)
    push(client, as_user("officer1"), edit, cursor=leader1.cursor)
    assert officer1.sync() == 1  # with its own cursor: 0 (the test above)


def test_edits_to_the_same_field_keep_the_first_and_record_both(client, as_user, db):
    person, version, _, _ = a_tenant(db, "officer1")
    first = push(
        client,
        as_user("officer1"),
        Outbox().make("tenant", person, "update", {"mobile": "07700 900111"}, version),
    )["results"][0]
    second = push(
        client,
        as_user("leader1"),
        Outbox().make("tenant", person, "update", {"mobile": "07700 900222"}, version),
    )["results"][0]
    assert first["status"] == "applied" and second["status"] == "conflict"
    assert second["conflicts"] == [
        {"field": "mobile", "kept": "07700 900111", "yours": "07700 900222"}
    ]
    conflict = db.execute(
        "SELECT rule, kept_value, other_value, kept_by, other_by "
        "FROM conflicts WHERE entity_id = ?",
        [person],
    ).fetchone()
    ids = dict(db.execute("SELECT username, id FROM users").fetchall())
    assert conflict == (
        "first-write-kept",
        '"07700 900111"',
        '"07700 900222"',
        ids["officer1"],
        ids["leader1"],
    )


def test_the_import_never_silently_overwrites_a_phone_edit(client, as_user, db):
    person, version, mobile, _ = a_tenant(db, "officer1")
    push(
        client,
        as_user("officer1"),
        Outbox().make("tenant", person, "update", {"mobile": "07700 900333"}, version),
    )
    row = dict(next(db.query("SELECT * FROM tenants WHERE person_ref = ?", [person])))
    keys = (
        "person_ref",
        "tenancy_ref",
        "first_name",
        "last_name",
        "preferred_contact",
        "mobile",
        "phone",
        "email",
    )
    stale = {k: row[k] for k in keys} | {"mobile": mobile}
    if stale["preferred_contact"] == "sms" and not stale["mobile"]:
        stale["preferred_contact"] = "letter"

    def nightly(record):
        return client.post(
            "/imports?kind=tenants&format=jsonl", data=json.dumps(record), headers=as_user("admin")
        ).get_json()

    nightly(stale)  # the housing system has not seen the edit yet
    assert (
        db.execute("SELECT mobile FROM tenants WHERE person_ref = ?", [person]).fetchone()[0]
        == "07700 900333"
    )
    conflicts = db.execute(
        "SELECT rule, kept_value, other_value FROM conflicts WHERE entity_id = ?", [person]
    ).fetchall()
    assert conflicts == [("import-kept-phone-edit", '"07700 900333"', json.dumps(mobile))]
    nightly(stale)  # the same clash the next night is not recorded twice
    assert (
        db.execute("SELECT count(*) FROM conflicts WHERE entity_id = ?", [person]).fetchone()[0]
        == 1
    )
    nightly(stale | {"mobile": "07700 900333"})  # the housing system caught up
    assert (
        db.execute(
            "SELECT pending_hms FROM field_versions WHERE entity_id = ? AND field = 'mobile'",
            [person],
        ).fetchone()[0]
        == 0
    )
    nightly(stale | {"mobile": "07700 900444"})  # and later changes it: the import wins
    assert (
        db.execute("SELECT mobile FROM tenants WHERE person_ref = ?", [person]).fetchone()[0]
        == "07700 900444"
    )


def test_a_batch_applies_in_device_sequence_order(client, as_user, db):
    person, version, _, _ = a_tenant(db, "officer1")
    box = Outbox()
    first = box.make("tenant", person, "update", {"mobile": "07700 900555"}, version)
    second = box.make("tenant", person, "update", {"email": "x@example.com"}, version + 1)
    results = push(client, as_user("officer1"), second, first)["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert [r["version"] for r in results] == [version + 2, version + 1]


def test_an_update_before_its_record_exists_is_rejected_and_kept(client, as_user, db):
    result = push(
        client,
        as_user("admin"),
        Outbox().make("tenant", "P-NOT-YET", "update", {"mobile": "07700 900666"}, 1),
    )["results"][0]
    assert result["status"] == "rejected" and result["code"] == "unknown-entity"


def test_gaps_in_the_device_sequence_do_not_block(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    box = Outbox()
    m1, m2, m3, m4 = (visit(box, uprn, ref) for _ in range(4))
    assert push(client, as_user("officer1"), m1, m2, m4)["acknowledged_seq"] == 2
    assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == 3
    assert push(client, as_user("officer1"), m3)["acknowledged_seq"] == 4


def test_limits_answer_413(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    box = Outbox()
    many = [visit(box, uprn, ref) for _ in range(501)]
    response = client.post("/sync/push", json={"mutations": many}, headers=as_user("officer1"))
    assert_problem(response, 413, "payload-too-large", "mutations")
    huge = visit(box, uprn, ref, notes="x" * 3000)
    response = client.post(
        "/sync/push", json={"mutations": [huge] * 800}, headers=as_user("officer1")
    )
    assert_problem(response, 413, "payload-too-large")
    assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_records_queued_before_a_reassignment_are_accepted_and_flagged(
    client, as_user, tokens, db
):
    uprn, ref = home_of(db, "officer1")
    patch = db.execute("SELECT patch_id FROM patch_properties WHERE uprn = ?", [uprn]).fetchone()[
        0
    ]
    officer2 = db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0]
    phone2 = Phone(client, tokens["officer2"])
    client.patch(f"/patches/{patch}", json={"officer_id": officer2}, headers=as_user("leader1"))
    phone2.sync()
    late = visit(Outbox(), uprn, ref, observed_at="2026-01-01T09:00:00+00:00")
    result = push(client, as_user("officer1"), late)["results"][0]
    assert result["status"] == "applied", result
    assert result["flags"] == ["after-reassignment"]
    phone2.sync()
    assert phone2.store[("visit", late["entity_id"])]["flags"] == ["after-reassignment"]
    # past the grace period (by server time), the same home is refused
    past = (datetime.now(UTC) - timedelta(days=15)).isoformat()
    db.execute("UPDATE patch_assignments SET ended_at = ? WHERE ended_at IS NOT NULL", [past])
    db.conn.commit()
    too_late = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert too_late["status"] == "rejected" and too_late["code"] == "out-of-scope"


def test_a_patch_that_comes_back_brings_the_phones_own_writes_over_many_pages(
    client, as_user, tokens, db, db_path, today
):
    person, version, _, _ = a_tenant(db, "officer1")
    officer1 = Phone(client, tokens["officer1"])
    officer1.sync()
    push(
        client,
        as_user("officer1"),
        Outbox().make("tenant", person, "update", {"mobile": "07700 900777"}, version),
    )
    officer1.store[("tenant", person)] |= {"mobile": "07700 900777", "version": version + 1}
    patch = db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer1'"
    ).fetchone()[0]
    ids = dict(db.execute("SELECT username, id FROM users").fetchall())
    client.patch(
        f"/patches/{patch}", json={"officer_id": ids["officer2"]}, headers=as_user("leader1")
    )
    officer1.sync()
    assert officer1.store == {}
    client.patch(
        f"/patches/{patch}", json={"officer_id": ids["officer1"]}, headers=as_user("leader1")
    )
    officer1.sync(limit=5)  # the own write is in a later page than the first
    assert officer1.store[("tenant", person)]["mobile"] == "07700 900777"
    assert officer1.store == server_view(db_path, "officer1", today)


STORED_NOW = "2026-11-25T10:15:00.000000+00:00"  # NOW as the server stores instants


def feed_of(client, as_user, topic: str) -> list[dict]:
    """Every event of one topic in the feed, in order (all its pages)."""
    items, after = [], 0
    while after is not None:
        page = client.get(f"/feed?topic={topic}&after={after}", headers=as_user("admin"))
        assert page.status_code == 200, page.get_json()
        items += page.get_json()["items"]
        after = page.get_json()["next_after"]
    return items


def resolve_conflict_of(client, as_user, mutation: dict, choose: str):
    """leader1 resolves the conflict ``mutation`` left, choosing ``choose``: the conflict
    as reviewers see it, and the answer to the resolution."""
    listed = client.get("/sync/conflicts", headers=as_user("leader1")).get_json()["items"]
    conflict = next(c for c in listed if c["mutation_id"] == mutation["mutation_id"])
    url = f"/sync/conflicts/{conflict['id']}/resolve"
    return conflict, client.post(url, json={"choose": choose}, headers=as_user("leader1"))


def test_contact_and_status_edits_reach_the_housing_system(client, as_user, db):
    """A tenant contact edit from a phone writes a ``tenant.changed`` event with the record
    (the fields it changed, their values, who and when); once, however often it is sent.
    Fields kept for review are not in it until a team leader chooses them; an arrangement's
    status edit writes ``arrangement.changed``."""
    person, version, _, _ = a_tenant(db, "officer1")
    ref, uprn = db.execute(
        "SELECT t.tenancy_ref, y.uprn FROM tenants t JOIN tenancies y USING (tenancy_ref) "
        "WHERE t.person_ref = ?",
        [person],
    ).fetchone()
    contact = {"mobile": "07700 900311", "interpreter_needed": True}
    edit = Outbox().make("tenant", person, "update", contact, version)
    assert push(client, as_user("officer1"), edit)["results"][0]["status"] == "applied"
    again = push(client, as_user("officer1"), edit)["results"][0]
    assert again["status"] == "duplicate"
    events = feed_of(client, as_user, "tenant.changed")
    assert len(events) == 1, events
    event = events[0]
    assert event["id"].startswith(f"{edit['mutation_id']}.")  # the same on every retry
    assert event["data"] == {
        "person_ref": person,
        "tenancy_ref": ref,
        "uprn": uprn,
        "changes": {"mobile": "07700 900311", "interpreter_needed": True},
        "version": version + 1,
        "changed_by": "officer1",
        "source": "device",
        "observed_at": STORED_NOW,
    }

    # Partly applied: the email is new, the mobile clashes and waits for review.
    clashing = {"mobile": "07700 900322", "email": "new@example.com"}
    clash = Outbox().make(
        "tenant", person, "update", clashing, version, observed_at="2026-11-25T11:00:00+00:00"
    )
    result = push(client, as_user("leader1"), clash)["results"][0]
    assert result["status"] == "conflict"
    events = feed_of(client, as_user, "tenant.changed")
    assert len(events) == 2
    assert events[1]["data"]["changes"] == {"email": "new@example.com"}
    assert events[1]["data"]["version"] == version + 2
    assert events[1]["data"]["changed_by"] == "leader1"
    # Nothing applied, nothing to tell.
    refused = Outbox().make("tenant", person, "update", {"mobile": "07700 900333"}, version)
    assert push(client, as_user("admin"), refused)["results"][0]["status"] == "conflict"
    assert len(feed_of(client, as_user, "tenant.changed")) == 2

    # Review chooses leader1's number: the housing system hears of it.
    conflict, resolved = resolve_conflict_of(client, as_user, clash, "other")
    assert resolved.status_code == 200, resolved.get_json()
    events = feed_of(client, as_user, "tenant.changed")
    assert len(events) == 3
    assert events[2]["data"] == {
        "person_ref": person,
        "tenancy_ref": ref,
        "uprn": uprn,
        "changes": {"mobile": "07700 900322"},
        "version": version + 3,
        "changed_by": "leader1",
        "source": "review",
        "observed_at": "2026-11-25T11:00:00.000000+00:00",
        "entered_by": "leader1",
        "conflict_id": conflict["id"],
    }
    # Keeping the value changes nothing, so tells nothing.
    resolve_conflict_of(client, as_user, refused, "kept")
    assert len(feed_of(client, as_user, "tenant.changed")) == 3

    # An arrangement's status edit.
    arrangement, arrangement_version, tenancy = a_live_arrangement(db, "officer1")
    before = len(feed_of(client, as_user, "arrangement.changed"))
    status = Outbox().make(
        "arrangement", arrangement, "update", {"status": "cancelled"}, arrangement_version
    )
    assert push(client, as_user("officer1"), status)["results"][0]["status"] == "applied"
    push(client, as_user("officer1"), status)
    changed = feed_of(client, as_user, "arrangement.changed")[before:]
    assert len(changed) == 1, changed
    assert changed[0]["id"].startswith(f"{status['mutation_id']}.")
    data = changed[0]["data"]
    assert (data["id"], data["tenancy_ref"], data["status"]) == (arrangement, tenancy, "cancelled")
    assert data["changes"] == {"status": "cancelled"}
    assert (data["changed_by"], data["source"], data["observed_at"]) == (
        "officer1",
        "device",
        STORED_NOW,
    )


def test_a_mutable_records_fields_are_the_ones_phones_may_edit():
    """A batch writes an edited record whole (``MutableRecord.fields``): exactly the fields
    the edit's payload may carry."""
    from sync.protocol.edits import ARRANGEMENT_STATUS, TENANT_CONTACT
    from sync.protocol.versions import ARRANGEMENT, TENANT

    assert TENANT.fields == tuple(TENANT_CONTACT.fields)
    assert ARRANGEMENT.fields == tuple(ARRANGEMENT_STATUS.fields)


def test_a_pushs_events_reach_the_feed_in_the_order_of_its_mutations(client, as_user, db):
    """Whichever kinds write at once (an arrangement) and which at the end of the batch (a
    visit, a contact edit), the feed carries the batch's events in device sequence order."""
    person, version, _, _ = a_tenant(db, "officer1")
    uprn, ref = home_of(db, "officer1")
    arrangement, arrangement_version, _ = a_live_arrangement(db, "officer1")
    box = Outbox()
    mutations = [
        box.make("tenant", person, "update", {"mobile": "07700 900411"}, version),
        visit(box, uprn, ref),
        box.make(
            "arrangement", arrangement, "update", {"status": "cancelled"}, arrangement_version
        ),
        visit(box, uprn, ref),
    ]
    after = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    results = push(client, as_user("officer1"), *reversed(mutations))["results"]
    assert {r["status"] for r in results} == {"applied"}
    page = client.get(f"/feed?after={after}", headers=as_user("admin")).get_json()["items"]
    assert [(e["topic"], e["id"].split(".")[0]) for e in page] == [
        ("tenant.changed", mutations[0]["mutation_id"]),
        ("visit.recorded", mutations[1]["mutation_id"]),
        ("arrangement.changed", mutations[2]["mutation_id"]),
        ("visit.recorded", mutations[3]["mutation_id"]),
    ]
