"""What the team leader's console reads, through the API: work phones, lone-working alerts
with who to call and what is at the home, addresses in the review lists, and one
definition of arrears for the dashboard and the map."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import assert_problem, new_officer
from tests.phone import Outbox, home_of, push
from tests.test_sync_review import conflict_on


@pytest.mark.parametrize(
    "typed, stored",
    [
        pytest.param("07700 900123", "+447700900123", id="mobile-with-a-space"),
        pytest.param("+44 7700 900123", "+447700900123", id="international"),
        pytest.param("+44 (0)20 7946 0018", "+442079460018", id="london-with-the-bracketed-0"),
        pytest.param("0044-117-496-0123", "+441174960123", id="0044-and-dashes"),
        pytest.param("", None, id="blank-is-none"),
    ],
)
def test_a_work_phone_is_stored_as_e164_however_it_was_typed(client, as_user, typed, stored):
    user = new_officer(client, as_user, "phoned", "correct horse battery").get_json()
    changed = client.patch(
        f"/users/{user['id']}", json={"work_phone": typed}, headers=as_user("admin")
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["work_phone"] == stored
    read = client.get(f"/users/{user['id']}", headers=as_user("admin")).get_json()
    assert read["work_phone"] == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "07700 90012",
        "+1 202 555 0123",
        "0800 CALL ME",
        "+44 0770 0900123",
        "07700 \u0669\u0660\u0660\u0661\u0662\u0663",  # Arabic-Indic digits: not dialable
    ],
)
def test_a_work_phone_that_is_not_a_uk_number_is_refused_naming_the_field(client, as_user, typed):
    team = client.get("/teams", headers=as_user("admin")).get_json()[0]
    body = {
        "username": "badphone",
        "display_name": "Bad Phone",
        "role": "officer",
        "team_id": team["id"],
        "password": "correct horse battery",
        "work_phone": typed,
    }
    assert_problem(
        client.post("/users", json=body, headers=as_user("admin")), 422, field="work_phone"
    )
    officer = client.get("/users?role=officer", headers=as_user("admin")).get_json()[0]
    assert_problem(
        client.patch(
            f"/users/{officer['id']}", json={"work_phone": typed}, headers=as_user("admin")
        ),
        422,
        field="work_phone",
    )


def test_demo_users_have_work_phones_from_the_drama_range(client, as_user):
    users = client.get("/users", headers=as_user("admin")).get_json()
    assert users and all(u["work_phone"].startswith("+447700900") for u in users)
    assert len({u["work_phone"] for u in users}) == len(users)


def late_checkin(client, as_user, db, hours_late: int = 2) -> tuple[int, str]:
    uprn, _ = home_of(db, "officer1")
    now = datetime.now(UTC)
    began = (now - timedelta(hours=hours_late + 1)).isoformat()
    payload = {
        "uprn": uprn,
        "checked_in_at": began,
        "expected_out_at": (now - timedelta(hours=hours_late)).isoformat(),
    }
    checkin_id = str(uuid.uuid4())
    mutation = Outbox().make("checkin", checkin_id, "create", payload, None, began)
    assert push(client, as_user("officer1"), mutation)["results"][0]["status"] == "applied"
    return uprn, checkin_id


def test_an_alert_says_whom_to_call_where_and_how_late(client, as_user, db):
    uprn, checkin_id = late_checkin(client, as_user, db)
    db.execute(
        "INSERT INTO warning_markers (marker_ref, uprn, code, description, source_incident, "
        "start_date, review_date, imported_at, updated_at, status) VALUES "
        "('M-ALERT', ?, 'dangerous_animals', 'Dog', 'Bitten', '2020-01-01', '2099-01-01', "
        "'2020-01-01', '2020-01-01', 'approved')",
        [uprn],
    )
    db.conn.commit()
    alerts = client.get("/lone-working/alerts", headers=as_user("leader1")).get_json()
    alert = next(a for a in alerts if a["id"] == checkin_id)
    assert alert["work_phone"] == "+447700900101"
    assert alert["address_line_1"] and alert["postcode"]
    assert "dangerous_animals" in alert["markers"]
    assert 119 <= alert["overdue_minutes"] <= 121


def test_review_lists_name_the_home_by_its_address(client, as_user, db):
    conflict_on(client, as_user, db)
    conflicts = client.get("/sync/conflicts", headers=as_user("leader1")).get_json()["items"]
    assert conflicts and all(c["address_line_1"] and c["postcode"] for c in conflicts)
    uprn, _ = home_of(db, "officer1")
    bad_marker = {
        "uprn": uprn,
        "code": "no_such_marker",
        "description": "Dog",
        "source_incident": "Barking",
        "review_date": "2099-01-01",
    }
    pushed = push(client, as_user("officer1"), Outbox().create("marker", bad_marker))
    assert pushed["results"][0]["status"] == "rejected"
    rejected = client.get("/sync/rejections", headers=as_user("leader1")).get_json()["items"]
    address = db.execute(
        "SELECT address_line_1, postcode FROM properties WHERE uprn = ?", [uprn]
    ).fetchone()
    assert (rejected[-1]["uprn"], rejected[-1]["address_line_1"], rejected[-1]["postcode"]) == (
        uprn,
        *address,
    )


def test_the_dashboards_arrears_are_the_patches_priorities_added_up(client, as_user, db):
    """One definition: this week's team arrears are what the map's patch table totals
    (current tenancies' positive balances), and former tenants' arrears are apart."""
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    board = client.get(f"/teams/{team_id}/dashboard", headers=as_user("leader1")).get_json()
    trend = board["arrears"]
    patches = client.get("/patches", headers=as_user("leader1")).get_json()
    mine = [p for p in patches if p["team_id"] == team_id]
    assert len(mine) == len(trend["patches"]) == 3
    owed = {}
    for patch in mine:
        priorities = client.get(
            f"/patches/{patch['id']}/priorities", headers=as_user("leader1")
        ).get_json()
        owed[patch["id"]] = [x["balance"] for x in priorities if x["balance"] > 0]
    for series in trend["patches"]:
        this_week = series["trend"][-1]
        assert this_week["arrears"] == pytest.approx(sum(owed[series["patch_id"]]), abs=0.01)
        assert this_week["in_arrears"] == len(owed[series["patch_id"]])
    team = trend["team"][-1]
    assert team["arrears"] == pytest.approx(sum(map(sum, owed.values())), abs=0.01)
    former = db.execute(
        "SELECT count(*) FROM tenancies t JOIN account_snapshots s "
        "ON s.id = t.current_snapshot_id JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id WHERE p.team_id = ? AND s.balance > 0 "
        "AND t.end_date < date('now')",
        [team_id],
    ).fetchone()[0]
    assert former and team["former_arrears"] > 0


def test_no_week_of_the_trend_reads_nothing_owed_when_it_is_not_known(client, as_user, db):
    """Weeks before the first account snapshot are null (not known), never £0.00; every
    week from the first snapshot has the arrears the landlord has."""
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    trend = client.get(f"/teams/{team_id}/dashboard", headers=as_user("leader1")).get_json()[
        "arrears"
    ]
    first = db.execute("SELECT min(as_of) FROM account_snapshots").fetchone()[0]
    assert trend["figures_from"] == first
    before = [p for p in trend["team"] if p["week_ending"] < first]
    after = [p for p in trend["team"] if p["week_ending"] >= first]
    assert before, "the demo's snapshots begin within the trend's eight weeks"
    assert all(p["arrears"] is None and p["in_arrears"] is None for p in before)
    assert after and all(p["arrears"] > 0 and p["in_arrears"] > 0 for p in after)
