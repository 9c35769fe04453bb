"""Field records about people's safety: safeguarding concerns reach only their audience,
warning markers wait for approval, and lone-working check-ins alert the team leader."""

import json
from datetime import UTC, datetime, timedelta

from tests.conftest import assert_one_wins, assert_problem, at_once
from tests.phone import Outbox, Phone, home_of, push
from tests.test_field_records import ago, cover, held, twice


def _concern(phone, uprn, observed_at=None, **extra):
    payload = {
        "uprn": uprn,
        "category": "child",
        "subjects": ["Child, about 6"],
        "immediate_danger": False,
        "seen": "Child alone at home at 21:00.",
        **extra,
    }
    return phone.create("concern", payload, observed_at=observed_at or ago(hours=1))


def test_a_safeguarding_concern_reaches_only_its_audience(client, as_user, tokens, db):
    uprn, _ = home_of(db, "officer1")
    cover(client, as_user, db, "officer2", "officer1")  # officer2 holds the home too
    phone = Outbox()
    concern = _concern(phone, uprn)
    assert twice(client, as_user("officer1"), concern)[0]["status"] == "applied"
    referral = {"referred_to": "Children's Services", "referral_ref": "MASH-1234"}
    follow = _concern(phone, uprn, follows=concern["entity_id"], **referral)
    assert twice(client, as_user("officer1"), follow)[0]["status"] == "applied"

    key = ("concern", concern["entity_id"])
    assert key in held(client, tokens, "officer1")
    assert key in held(client, tokens, "leader1")
    assert key not in held(client, tokens, "officer2")  # in scope, not in the audience
    assert key not in held(client, tokens, "repairs1")
    listed = client.get("/concerns", headers=as_user("safeguarding1")).get_json()["items"]
    assert concern["entity_id"] in [c["id"] for c in listed]
    assert client.get("/concerns", headers=as_user("leader2")).get_json()["items"] == []
    assert client.get("/concerns", headers=as_user("officer2")).get_json()["items"] == []
    assert_problem(client.get("/concerns", headers=as_user("repairs1")), 403)
    one = client.get(f"/concerns/{concern['entity_id']}", headers=as_user("leader1")).get_json()
    assert [f["referral_ref"] for f in one["follow_ups"]] == ["MASH-1234"]
    url = f"/concerns/{concern['entity_id']}"
    assert_problem(client.get(url, headers=as_user("officer2")), 404)

    # Every read is audited: the sync pulls and the API reads, by whom.
    audit = client.get(f"/audit?entity_id={concern['entity_id']}", headers=as_user("admin"))
    readers = {(e["username"], e["action"]) for e in audit.get_json()["items"]}
    synced = {("officer1", "sync-read"), ("leader1", "sync-read")}
    assert synced | {("leader1", "read"), ("safeguarding1", "read")} <= readers
    assert not any(u in ("officer2", "leader2") for u, _ in readers)
    # A rejected concern's text stays out of the review queue admins read.
    stray = _concern(phone, uprn, tenancy_ref="NOT-THIS-HOME")
    assert push(client, as_user("officer1"), stray)["results"][0]["status"] == "rejected"
    queue = client.get("/sync/rejections", headers=as_user("admin")).get_json()["items"]
    rejected = next(r for r in queue if r["entity_id"] == stray["entity_id"])
    assert "Alone" not in json.dumps(rejected) and "Child alone" not in json.dumps(rejected)
    assert rejected["body"]["payload"].startswith("Safeguarding details are not shown")
    assert_problem(client.get("/audit", headers=as_user("leader1")), 403)


def test_when_an_officer_moves_team_both_leaders_see_what_they_need(client, as_user, tokens, db):
    """The leaders of the team a concern was raised in keep it (they handled it); the
    leaders of the officer's team now see it too (they supervise the follow-ups); a
    concern raised after the move is the new team's alone."""
    uprn, _ = home_of(db, "officer1")
    ids = dict(db.execute("SELECT username, id FROM users").fetchall())
    new_team = db.execute("SELECT team_id FROM users WHERE username = 'leader2'").fetchone()[0]
    phone = Outbox()
    before = _concern(phone, uprn)
    assert push(client, as_user("officer1"), before)["results"][0]["status"] == "applied"
    url = f"/users/{ids['officer1']}"
    moved = client.patch(url, json={"team_id": new_team}, headers=as_user("admin"))
    assert moved.status_code == 200, moved.get_json()
    after = _concern(phone, uprn)
    assert push(client, as_user("officer1"), after)["results"][0]["status"] == "applied"

    def sees(username, concern):
        url = f"/concerns/{concern['entity_id']}"
        return client.get(url, headers=as_user(username)).status_code == 200

    assert sees("officer1", before) and sees("leader1", before) and sees("leader2", before)
    assert sees("leader2", after) and not sees("leader1", after)
    assert not sees("officer4", before) and not sees("officer2", after)
    listed = client.get("/concerns", headers=as_user("leader2")).get_json()["items"]
    assert {before["entity_id"], after["entity_id"]} <= {c["id"] for c in listed}
    one = next(c for c in listed if c["id"] == before["entity_id"])
    assert one["raiser_team_id"] == new_team and one["team_id"] != new_team
    # The old leader's phone (the home is in their team's patches) keeps the first only.
    store = held(client, tokens, "leader1")
    assert ("concern", before["entity_id"]) in store
    assert ("concern", after["entity_id"]) not in store


def test_a_flag_raised_offline_survives_a_concurrent_clearing(client, as_user, db):
    uprn, _ = home_of(db, "officer1")
    phone = Outbox()
    assert push(client, as_user("officer1"), _concern(phone, uprn))["results"][0]["status"] == (
        "applied"
    )
    # Raised offline before the lead clears the flag, synced after.
    late = _concern(phone, uprn, observed_at=ago(minutes=30))
    url = f"/concerns/flags/{uprn}/clear"
    assert_problem(client.post(url, json={"reason": "x"}, headers=as_user("leader1")), 403)
    reason = {"reason": "Referred; case open with CSC."}
    cleared = client.post(url, json=reason, headers=as_user("safeguarding1")).get_json()
    assert cleared["flagged"] is False and len(cleared["cleared"]) == 1
    assert push(client, as_user("officer1"), late)["results"][0]["status"] == "applied"
    flagged = client.get(f"/concerns?uprn={uprn}&flagged=true", headers=as_user("safeguarding1"))
    assert [c["id"] for c in flagged.get_json()["items"]] == [late["entity_id"]]


def test_concurrent_clearings_of_one_flag_clear_it_once(app, as_user, db):
    """Leads clearing one home's flag at once, each request on its own connection to the
    same file: one clearing is recorded, every other answer is 409 already-cleared naming
    the home (never 503 because the database was busy, nor a second clearing of nothing)."""
    client = app.test_client()
    phone = Outbox()
    homes = [
        r[0]
        for r in db.execute(
            "SELECT pp.uprn FROM patch_properties pp JOIN patches p ON p.id = pp.patch_id "
            "JOIN users u ON u.id = p.officer_id WHERE u.username = 'officer1' "
            "ORDER BY pp.uprn LIMIT 3"
        )
    ]
    concerns = {uprn: [_concern(phone, uprn), _concern(phone, uprn)] for uprn in homes}
    results = push(client, as_user("officer1"), *(c for cs in concerns.values() for c in cs))
    assert {r["status"] for r in results["results"]} == {"applied"}
    workers = 6
    for uprn in homes:
        url = f"/concerns/flags/{uprn}/clear"
        answers = at_once(
            app,
            workers,
            lambda worker, n, url=url: worker.post(
                url, json={"reason": f"Referred ({n})."}, headers=as_user("safeguarding1")
            ),
        )
        cleared = assert_one_wins(answers, 409, "already-cleared", "uprn")
        assert cleared["cleared"] == sorted(c["entity_id"] for c in concerns[uprn])
        assert cleared["flagged"] is False
        assert (
            db.execute(
                "SELECT count(*) FROM concern_clearances WHERE uprn = ?", [uprn]
            ).fetchone()[0]
            == 1
        )

    # One after the others, the same: the flag is down, so there is nothing to clear.
    def clear(uprn, reason):
        url = f"/concerns/flags/{uprn}/clear"
        return client.post(url, json={"reason": reason}, headers=as_user("safeguarding1"))

    assert_problem(clear(homes[0], "Again."), 409, "already-cleared", field="uprn")
    # A concern synced after the clearing raises the flag again, and can be cleared.
    late = _concern(phone, homes[0])
    assert push(client, as_user("officer1"), late)["results"][0]["status"] == "applied"
    cleared = clear(homes[0], "Seen.")
    assert cleared.status_code == 200 and cleared.get_json()["cleared"] == [late["entity_id"]]
    # A home that never had a concern has no flag to clear.
    quiet = db.execute(
        "SELECT uprn FROM properties WHERE uprn NOT IN (SELECT uprn FROM concerns) LIMIT 1"
    ).fetchone()[0]
    assert_problem(clear(quiet, "x"), 404)


def _marker(phone, uprn, code="no_lone_visits"):
    review = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    payload = {
        "uprn": uprn,
        "code": code,
        "description": "Tenant threatened officer with a dog.",
        "source_incident": "Incident 2026-11 at the door",
        "review_date": review,
    }
    return phone.create("marker", payload, observed_at=ago(minutes=20))


def test_a_field_marker_waits_for_approval_then_reaches_everyone(client, as_user, tokens, db):
    uprn, ref = home_of(db, "officer1")
    cover(client, as_user, db, "officer2", "officer1")
    phone = Outbox()
    marker, doubtful = _marker(phone, uprn), _marker(phone, uprn, "verbal_abuse")
    results = twice(client, as_user("officer1"), marker, doubtful)
    assert all("awaiting-approval" in r["flags"] for r in results)
    key = ("marker", marker["entity_id"])
    assert held(client, tokens, "officer1")[key]["status"] == "pending"
    assert key not in held(client, tokens, "officer2")

    officer2 = Phone(client, tokens["officer2"])
    officer2.sync()
    pending = client.get("/markers", headers=as_user("leader1")).get_json()["items"]
    assert {m["marker_ref"] for m in pending} == {marker["entity_id"], doubtful["entity_id"]}

    def decide(username, marker, **decision):
        url = f"/markers/{marker['entity_id']}/decision"
        return client.post(url, json=decision, headers=as_user(username))

    assert_problem(decide("officer1", marker, approve=True), 403)
    decided = decide("leader1", marker, approve=True)
    assert decided.get_json()["status"] == "approved"
    assert_problem(decide("leader1", marker, approve=False), 409)
    decide("leader1", doubtful, approve=False, note="No incident on file.")
    officer2.sync()
    assert officer2.store[key]["status"] == "approved"
    # Who received the marker is audited, one entry per sync page naming it.
    audit = client.get(f"/audit?entity_id={marker['entity_id']}", headers=as_user("admin"))
    received = {(e["username"], e["action"]) for e in audit.get_json()["items"]}
    assert {("officer1", "sync-read"), ("officer2", "sync-read")} <= received
    assert ("marker", doubtful["entity_id"]) not in officer2.store
    assert ("marker", doubtful["entity_id"]) not in held(client, tokens, "officer1")

    # The approved "no lone visits" marker flags every visit record at the home.
    visit = phone.create("visit", {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access"})
    assert "no-lone-visits" in push(client, as_user("officer2"), visit)["results"][0]["flags"]


def _checkin(phone, uprn, checked_in_at, expected_out_at):
    payload = {"uprn": uprn, "checked_in_at": checked_in_at, "expected_out_at": expected_out_at}
    return phone.create("checkin", payload)


def test_an_officer_overdue_at_a_visit_alerts_their_team_leader(client, as_user, tokens, db):
    uprn, _ = home_of(db, "officer1")
    cover(client, as_user, db, "officer2", "officer1")
    phone = Outbox()
    late = _checkin(phone, uprn, ago(hours=2), ago(hours=1))
    fine = _checkin(phone, uprn, ago(minutes=20), ago(minutes=-40))
    twice(client, as_user("officer1"), late, fine)
    key = ("checkin", late["entity_id"])
    assert key in held(client, tokens, "officer1") and key in held(client, tokens, "leader1")
    assert key not in held(client, tokens, "officer2")  # the home, not the officer
    alerts = client.get("/lone-working/alerts", headers=as_user("leader1")).get_json()
    assert [a["id"] for a in alerts] == [late["entity_id"]]
    assert client.get("/lone-working/alerts", headers=as_user("leader2")).get_json() == []
    assert_problem(client.get("/lone-working/alerts", headers=as_user("officer1")), 403)

    out = phone.make("checkin", late["entity_id"], "update", {"checked_out_at": ago(minutes=1)})
    assert twice(client, as_user("officer1"), out)[0]["status"] == "applied"
    assert client.get("/lone-working/alerts", headers=as_user("leader1")).get_json() == []

    # Still checked in past the finish: cleared by the team leader, with a note.
    silent = _checkin(phone, uprn, ago(hours=3), ago(hours=2))
    push(client, as_user("officer1"), silent)
    url = f"/lone-working/alerts/{silent['entity_id']}/clear"
    assert_problem(client.post(url, json={"note": "x"}, headers=as_user("leader2")), 404)
    # A note of nothing is refused: a cleared alert says what was done.
    for blank in ("", "   ", "\n"):
        refused = client.post(url, json={"note": blank}, headers=as_user("leader1"))
        assert_problem(refused, 422, field="note")
    note = {"note": "Phoned: safe, forgot to check out."}
    cleared = client.post(url, json=note, headers=as_user("leader1"))
    assert cleared.get_json() == {"id": silent["entity_id"], "cleared": True}
    assert client.get("/lone-working/alerts", headers=as_user("leader1")).get_json() == []
    assert_problem(client.post(url, json={"note": "again"}, headers=as_user("leader1")), 409)


def test_a_check_out_after_a_cleared_alert_brings_the_clearing_back(client, as_user, tokens, db):
    """Found in review: a check-out counted as the phone's own exact write even when a
    team leader had cleared the check-in's alert since the phone last pulled it."""
    uprn, _ = home_of(db, "officer1")
    phone, outbox = Phone(client, tokens["officer1"]), Outbox()
    phone.sync()
    late = _checkin(outbox, uprn, ago(hours=3), ago(hours=2))
    push(client, as_user("officer1"), late, cursor=phone.cursor)
    assert phone.sync() == 1  # the check-in as stored (its times in UTC)
    url = f"/lone-working/alerts/{late['entity_id']}/clear"
    cleared = client.post(url, json={"note": "Phoned: safe."}, headers=as_user("leader1"))
    assert cleared.status_code == 200
    out = outbox.make("checkin", late["entity_id"], "update", {"checked_out_at": ago(minutes=1)})
    assert (
        push(client, as_user("officer1"), out, cursor=phone.cursor)["results"][0]["status"]
        == "applied"
    )
    assert phone.sync() == 1
    held_now = phone.store[("checkin", late["entity_id"])]
    assert held_now["cleared_at"] is not None and held_now["checked_out_at"] is not None


def _checked_in_then_reassigned(client, as_user, tokens, db):
    """officer2 checks in at a home of theirs, synced; then the patch goes to officer3 and
    the phone syncs: (uprn, tenancy, phone, its outbox, the check-in)."""
    uprn, ref = home_of(db, "officer2")
    phone, outbox = Phone(client, tokens["officer2"]), Outbox()
    phone.sync()
    here = _checkin(outbox, uprn, ago(minutes=10), ago(minutes=-50))
    push(client, as_user("officer2"), here, cursor=phone.cursor)
    phone.sync()
    (patch_id,) = db.execute(
        "SELECT patch_id FROM patch_properties WHERE uprn = ?", [uprn]
    ).fetchone()
    officer3 = db.execute("SELECT id FROM users WHERE username = 'officer3'").fetchone()[0]
    moved = client.patch(
        f"/patches/{patch_id}", json={"officer_id": officer3}, headers=as_user("leader1")
    )
    assert moved.status_code == 200
    phone.sync()
    return uprn, ref, phone, outbox, here


def test_a_check_in_stays_on_the_phone_through_a_reassignment_until_checked_out(
    client, as_user, tokens, db
):
    """Found in a browser: officer2 checked in at a home, the patch was given to officer3,
    and the phone dropped the home with the check-in, so it had no Check out, and an alert
    would follow for an officer who was safe. The home stays until the check-out."""
    uprn, _, phone, outbox, here = _checked_in_then_reassigned(client, as_user, tokens, db)
    key = ("checkin", here["entity_id"])
    assert key in phone.store and phone.store[key]["checked_out_at"] is None
    assert ("property", str(uprn)) in phone.store
    others = [k for k in phone.store if k[0] == "property" and k[1] != str(uprn)]
    assert others == []  # the rest of the patch has gone
    out = outbox.make("checkin", here["entity_id"], "update", {"checked_out_at": ago(minutes=1)})
    assert push(client, as_user("officer2"), out)["results"][0]["status"] == "applied"
    phone.sync()
    assert key not in phone.store and ("property", str(uprn)) not in phone.store


def test_what_moves_away_from_a_checked_in_home_leaves_the_phone(client, as_user, tokens, db):
    """Found in review: a home held only for a check-in missed the exits of what moved away
    from it (an exit is filed under the patches that held the home), so a tenancy the
    import moved to another officer's home stayed on the phone for good."""
    _, ref, phone, outbox, here = _checked_in_then_reassigned(client, as_user, tokens, db)
    assert ("tenancy", ref) in phone.store
    columns = ("tenancy_ref", "tenure", "start_date", "end_date", "weekly_rent")
    row = dict(
        zip(
            columns,
            db.execute(
                f"SELECT {', '.join(columns)} FROM tenancies WHERE tenancy_ref = ?", [ref]
            ).fetchone(),
            strict=True,
        )
    )
    elsewhere = home_of(db, "officer1")[0]
    moved = client.post(
        "/imports?kind=tenancies&format=jsonl",
        data=json.dumps(row | {"uprn": elsewhere}),
        headers=as_user("admin"),
    )
    assert moved.status_code == 201, moved.get_json()
    phone.sync()
    assert ("tenancy", ref) not in phone.store
    assert set(phone.store) == set(Phone.synced(client, tokens["officer2"]))
    out = outbox.make("checkin", here["entity_id"], "update", {"checked_out_at": ago(minutes=1)})
    assert push(client, as_user("officer2"), out)["results"][0]["status"] == "applied"
    phone.sync()
    assert set(phone.store) == set(Phone.synced(client, tokens["officer2"]))
