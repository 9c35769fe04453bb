"""Pull: bootstrap, increments, scope entering and leaving, time, epochs and cursors."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from sync.access.scope import Caller
from sync.pull import pull as pull_page
from sync.store import changes
from tests.conftest import assert_problem
from tests.phone import Outbox, Phone, field_payloads, home_of, push, server_view


def phone(client, tokens, username):
    return Phone(client, tokens[username])


def uprns(store):
    return {int(k[1]) for k in store if k[0] == "property"}


def members(db, patch_id):
    return {
        r[0]
        for r in db.execute("SELECT uprn FROM patch_properties WHERE patch_id = ?", [patch_id])
    }


def patch_of(db, username):
    return db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id WHERE u.username = ?",
        [username],
    ).fetchone()[0]


def test_bootstrap_brings_exactly_the_officers_patch(client, tokens, db, db_path, today):
    officer1 = phone(client, tokens, "officer1")
    officer1.sync(limit=50)
    assert uprns(officer1.store) == members(db, patch_of(db, "officer1"))
    assert officer1.store == server_view(db_path, "officer1", today)
    assert {k[0] for k in officer1.store} >= {"property", "tenancy", "tenant", "account"}
    assert officer1.sync() == 0  # nothing new


def test_maintenance_never_receives_accounts(client, tokens, db_path, today):
    repairs = phone(client, tokens, "repairs1")
    repairs.sync()
    assert repairs.store and not any(k[0] == "account" for k in repairs.store)
    assert repairs.store == server_view(db_path, "repairs1", today)


def test_an_import_reaches_only_the_phones_in_scope(client, tokens, db, as_user):
    officer1, officer2 = phone(client, tokens, "officer1"), phone(client, tokens, "officer2")
    officer1.sync()
    officer2.sync()
    uprn = min(members(db, patch_of(db, "officer1")))
    ref = db.execute(
        "SELECT tenancy_ref FROM tenancies WHERE uprn = ? AND end_date IS NULL", [uprn]
    ).fetchone()[0]
    line = json.dumps(
        {"tenancy_ref": ref, "as_of": "2099-01-01", "balance": 321.5, "benefit": "none"}
    )
    client.post("/imports?kind=accounts&format=jsonl", data=line, headers=as_user("admin"))
    assert officer1.sync() == 2  # the account, and the statement of a tenancy in arrears
    assert officer1.store[("account", ref)]["balance"] == 321.5
    assert officer1.store[("statement", ref)]["account_balance_pence"] == 32150
    assert officer2.sync() == 0


def test_cover_brings_a_patch_whole_and_ending_it_removes_it(
    client, tokens, db, as_user, today, db_path
):
    officer3 = phone(client, tokens, "officer3")
    officer3.sync()
    mine = uprns(officer3.store)
    patch2 = patch_of(db, "officer2")
    officer3_id = db.execute("SELECT id FROM users WHERE username = 'officer3'").fetchone()[0]
    cover = client.post(
        f"/patches/{patch2}/covers",
        headers=as_user("leader1"),
        json={
            "officer_id": officer3_id,
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=3)).isoformat(),
        },
    ).get_json()
    officer3.sync(limit=40)
    assert uprns(officer3.store) == mine | members(db, patch2)
    assert officer3.store == server_view(db_path, "officer3", today)
    client.delete(f"/patches/{patch2}/covers/{cover['id']}", headers=as_user("leader1"))
    officer3.sync()
    assert uprns(officer3.store) == mine
    assert officer3.store == server_view(db_path, "officer3", today)


def field_records(db, username) -> list[dict]:
    """A visit with a promise, a repair, a concern and a check-in at the user's first home."""
    uprn, ref = home_of(db, username)
    now = datetime.now(UTC)
    outbox = Outbox()
    payloads = field_payloads(uprn, ref, now)
    promise = {"outcome": "contact_made", "promise_amount": 20.0}
    made = {
        "visit": payloads["visit"] | promise | {"promise_date": now.date().isoformat()},
        **{kind: payloads[kind] for kind in ("repair", "concern", "checkin")},
    }
    return [
        outbox.make(kind, str(uuid.uuid4()), "create", payload, observed_at=now.isoformat())
        for kind, payload in made.items()
    ]


def test_reassigning_a_patch_moves_it_between_phones(client, tokens, db, as_user, db_path, today):
    officer1, officer2 = phone(client, tokens, "officer1"), phone(client, tokens, "officer2")
    # Every type a phone holds for a home, the field's own records included (found by
    # probing: check-ins, concerns, promises and repairs stayed on the phone).
    push(client, officer1.headers, *field_records(db, "officer1"))
    officer1.sync()
    officer2.sync()
    held = {k[0] for k in officer1.store}
    assert held >= {"checkin", "concern", "promise", "repair", "visit", "account", "tenant"}
    patch1 = patch_of(db, "officer1")
    here = home_of(db, "officer1")[0]  # where its records, the check-in's too, were made
    officer2_id = db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0]
    client.patch(
        f"/patches/{patch1}", json={"officer_id": officer2_id}, headers=as_user("leader1")
    )
    officer1.sync()
    officer2.sync()
    # All of it goes, but for the home where officer1 is still checked in: it stays on
    # their phone until they check out (lone working), then goes too.
    (checkin,) = [k[1] for k in officer1.store if k[0] == "checkin"]
    assert uprns(officer1.store) == {here}
    assert officer1.store == server_view(db_path, "officer1", today)
    out = Outbox().make(
        "checkin", checkin, "update", {"checked_out_at": datetime.now(UTC).isoformat()}
    )
    assert push(client, officer1.headers, out)["results"][0]["status"] == "applied"
    officer1.sync()
    assert officer1.store == {}
    assert members(db, patch1) <= uprns(officer2.store)
    assert officer2.store == server_view(db_path, "officer2", today)


def test_a_redrawn_boundary_moves_homes_between_phones(
    client, tokens, db, as_user, db_path, today
):
    officer1, officer2 = phone(client, tokens, "officer1"), phone(client, tokens, "officer2")
    officer1.sync()
    officer2.sync()
    patches = {p["id"]: p for p in client.get("/patches", headers=as_user("admin")).get_json()}
    p1, p2 = patch_of(db, "officer1"), patch_of(db, "officer2")
    from sync.records.geometry import parse_boundary

    merged = (
        parse_boundary(patches[p1]["boundary"])
        .union(parse_boundary(patches[p2]["boundary"]))
        .envelope
    )
    client.patch(
        f"/patches/{p2}",
        json={"boundary": mapping(box(-1.0, 51.0, -0.99, 51.01))},
        headers=as_user("admin"),
    )
    client.patch(f"/patches/{p1}", json={"boundary": mapping(merged)}, headers=as_user("admin"))
    officer1.sync()
    officer2.sync()
    assert officer2.store == {}
    assert officer1.store == server_view(db_path, "officer1", today)
    assert len(uprns(officer1.store)) == len(members(db, p1)) > 0


def test_markers_leave_and_arrive_as_the_days_pass(db, today):
    officer = db.execute("SELECT id, team_id FROM users WHERE username = 'officer1'").fetchone()
    caller = Caller(user_id=officer[0], username="officer1", role="officer", team_id=officer[1])
    uprn = min(members(db, patch_of(db, "officer1")))
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=2)
    from sync.intake.run import import_file

    body = (
        "marker_ref,uprn,code,description,source_incident,start_date,review_date,end_date\n"
        f"M-ENDS,{uprn},verbal_abuse,Shouts,IR-1,{today - timedelta(days=9)},{later},"
        f"{today}\n"
        f"M-STARTS,{uprn},dangerous_animals,Dog,IR-2,{tomorrow},{later},\n"
    )
    import_file(db, body.encode(), kind="markers", fmt="csv", source="m.csv")

    def run(cursor, day):
        page = pull_page(db, caller, cursor, secret="s", today=day)
        return page["cursor"], {
            (c["id"], c["op"])
            for c in page["changes"]
            if c["type"] == "marker" and c["id"].startswith("M-")
        }

    cursor, seen = run(None, today)
    assert seen == {("M-ENDS", "upsert"), ("M-STARTS", "remove")}
    cursor, seen = run(cursor, tomorrow)
    assert seen == {("M-ENDS", "remove"), ("M-STARTS", "upsert")}
    cursor, seen = run(cursor, later)
    assert seen == set()


def test_an_old_epoch_or_forged_cursor_is_refused(client, tokens, db):
    officer1 = phone(client, tokens, "officer1")
    officer1.sync()
    cursor = officer1.cursor
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert_problem(
        client.get(f"/sync/pull?cursor={forged}", headers=officer1.headers),
        422,
        "bad-cursor",
        "cursor",
    )
    assert_problem(
        client.get("/sync/pull?cursor=garbage", headers=officer1.headers),
        422,
        "bad-cursor",
        "cursor",
    )
    changes.new_epoch(db)
    assert_problem(
        client.get(f"/sync/pull?cursor={cursor}", headers=officer1.headers),
        409,
        "reset-required",
        "cursor",
    )
    officer1.cursor, officer1.store = None, {}
    assert officer1.sync() > 0


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 300))
def test_any_page_size_converges_to_the_same_view(client, tokens, db_path, today, limit):
    paged = phone(client, tokens, "leader2")
    paged.sync(limit=limit)
    assert paged.store == server_view(db_path, "leader2", today)


def test_changes_made_during_a_paged_bootstrap_are_not_missed(
    client, tokens, db, as_user, db_path, today
):
    officer1 = phone(client, tokens, "officer1")
    url = "/sync/pull?limit=25"
    body = client.get(url, headers=officer1.headers).get_json()
    for change in body["changes"]:
        officer1.apply(change)
    officer1.cursor = body["cursor"]
    # an import lands between pages, touching a record already sent and one not yet sent
    refs = [
        r[0]
        for r in db.execute(
            "SELECT t.tenancy_ref FROM tenancies t JOIN patch_properties pp ON pp.uprn = t.uprn "
            "WHERE pp.patch_id = ? AND t.current_snapshot_id IS NOT NULL ORDER BY t.tenancy_ref",
            [patch_of(db, "officer1")],
        )
    ]
    lines = "\n".join(
        json.dumps({"tenancy_ref": r, "as_of": "2099-02-02", "balance": 1.5, "benefit": "none"})
        for r in (refs[0], refs[-1])
    )
    client.post("/imports?kind=accounts&format=jsonl", data=lines, headers=as_user("admin"))
    officer1.sync(limit=25)
    assert officer1.store == server_view(db_path, "officer1", today)
    assert officer1.store[("account", refs[0])]["balance"] == 1.5


def test_records_that_moved_away_from_a_home_after_it_left_go_with_it(client, tokens, db, as_user):
    """Found by probing: a redrawn boundary took a home out of officer4's patch, then the
    import moved its tenancy to a home in patch 1, all before officer4's next pull; the
    pull removed the home but left the tenancy, its people and account on the phone."""
    officer4 = phone(client, tokens, "officer4")
    officer4.sync()
    p4 = patch_of(db, "officer4")
    from sync.records.geometry import parse_boundary

    outline = parse_boundary(
        client.get(f"/patches/{p4}", headers=as_user("admin")).get_json()["boundary"]
    )
    minx, miny, maxx, maxy = outline.bounds
    north = box(minx, (miny + maxy) / 2, maxx, maxy)
    south_refs = db.execute(
        "SELECT t.tenancy_ref, t.tenure, t.start_date, t.end_date, t.weekly_rent "
        "FROM tenancies t JOIN properties p ON p.uprn = t.uprn JOIN patch_properties pp "
        "ON pp.uprn = t.uprn WHERE pp.patch_id = ? AND p.latitude < ? AND t.end_date IS NULL "
        "ORDER BY t.tenancy_ref LIMIT 1",
        [p4, (miny + maxy) / 2],
    ).fetchone()
    assert south_refs, "a tenancy in the southern half"
    answer = client.patch(
        f"/patches/{p4}", json={"boundary": mapping(north)}, headers=as_user("admin")
    )
    assert answer.status_code == 200
    target = min(members(db, patch_of(db, "officer1")))
    row = dict(
        zip(
            ("tenancy_ref", "tenure", "start_date", "end_date", "weekly_rent"),
            south_refs,
            strict=True,
        )
    )
    moved = client.post(
        "/imports?kind=tenancies&format=jsonl",
        data=json.dumps(row | {"uprn": target}),
        headers=as_user("admin"),
    )
    assert moved.status_code == 201, moved.get_json()
    assert ("tenancy", row["tenancy_ref"]) in officer4.store
    officer4.sync()
    assert officer4.store == Phone.synced(client, tokens["officer4"])
    assert ("tenancy", row["tenancy_ref"]) not in officer4.store


def test_records_that_moved_away_while_their_home_was_out_go_when_it_comes_back(
    client, tokens, db, as_user
):
    """Found by the state machine: a redrawn boundary took a home out of officer4's patch,
    the import moved its tenancy to patch 1, and the boundary was drawn back, all before
    officer4's next pull. The home came back to the phone, and the tenancy, its people and
    its account stayed on it at their old home: the move's exits named only the patches
    holding the home when it moved."""
    officer4 = phone(client, tokens, "officer4")
    officer4.sync()
    p4 = patch_of(db, "officer4")
    drawn = client.get(f"/patches/{p4}", headers=as_user("admin")).get_json()["boundary"]
    ref, home = db.execute(
        "SELECT t.tenancy_ref, t.uprn FROM tenancies t JOIN patch_properties pp "
        "ON pp.uprn = t.uprn WHERE pp.patch_id = ? AND t.end_date IS NULL "
        "AND (SELECT count(*) FROM patch_properties o WHERE o.uprn = t.uprn) = 1 "
        "ORDER BY t.tenancy_ref LIMIT 1",
        [p4],
    ).fetchone()
    (lat, lon) = db.execute(
        "SELECT latitude, longitude FROM properties WHERE uprn = ?", [home]
    ).fetchone()
    far = box(lon + 0.5, lat + 0.5, lon + 0.6, lat + 0.6)  # the patch, away from the home
    assert (
        client.patch(
            f"/patches/{p4}", json={"boundary": mapping(far)}, headers=as_user("admin")
        ).status_code
        == 200
    )
    assert home not in members(db, p4)
    row = dict(
        zip(
            ("tenancy_ref", "tenure", "start_date", "end_date", "weekly_rent"),
            db.execute(
                "SELECT tenancy_ref, tenure, start_date, end_date, weekly_rent FROM tenancies "
                "WHERE tenancy_ref = ?",
                [ref],
            ).fetchone(),
            strict=True,
        )
    )
    target = min(members(db, patch_of(db, "officer1")))
    moved = client.post(
        "/imports?kind=tenancies&format=jsonl",
        data=json.dumps(row | {"uprn": target}),
        headers=as_user("admin"),
    )
    assert moved.status_code == 201, moved.get_json()
    assert (
        client.patch(
            f"/patches/{p4}", json={"boundary": drawn}, headers=as_user("admin")
        ).status_code
        == 200
    )
    assert home in members(db, p4)
    assert ("tenancy", ref) in officer4.store
    officer4.sync()
    assert ("tenancy", ref) not in officer4.store
    assert ("property", str(home)) in officer4.store
    assert officer4.store == Phone.synced(client, tokens["officer4"])


def test_another_users_cursor_is_refused(client, tokens):
    """Found by probing: officer2 pulling with officer1's cursor was sent a remove for each
    of officer1's records (tenancy refs, person refs, visit ids, pending markers)."""
    officer1, officer2 = phone(client, tokens, "officer1"), phone(client, tokens, "officer2")
    officer1.sync()
    answer = client.get(f"/sync/pull?cursor={officer1.cursor}", headers=officer2.headers)
    assert_problem(answer, 422, "bad-cursor", field="cursor")
    # The same user's cursor from another device (signing in again) is still theirs.
    again = client.post(
        "/auth/login",
        json={"username": "officer1", "password": "demo", "device_name": "New phone"},
    ).get_json()["token"]
    answer = client.get(
        f"/sync/pull?cursor={officer1.cursor}", headers={"Authorization": f"Bearer {again}"}
    )
    assert answer.status_code == 200 and answer.get_json()["changes"] == []


def test_an_empty_cursor_is_a_bad_cursor(client, as_user):
    """Found by probing: ``?cursor=`` was 422 validation-failed, which a phone takes for a
    bug of its own, rather than bad-cursor, on which it drops the cursor and bootstraps."""
    response = client.get("/sync/pull?cursor=", headers=as_user("officer1"))
    assert_problem(response, 422, "bad-cursor", "cursor")
