"""The team leader's view, over HTTP, on a week of field work pushed by real phones."""

from datetime import timedelta

import pytest

from sync.clock import london_today
from sync.demo import field as demo_field
from tests.conftest import assert_problem


@pytest.fixture
def week(db):
    """A week of field work for every demo officer, pushed through the sync push."""
    counts = demo_field.record_week(db, seed=3, as_of=london_today())
    assert counts["visit_applied"] > 0 and not any(k.endswith("rejected") for k in counts)
    return demo_field.working_days_before(london_today(), 5)


def test_a_teams_week_counts_what_each_officer_did(client, as_user, db, week):
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    url = f"/teams/{team_id}/dashboard?from={week[0].isoformat()}"
    body = client.get(url, headers=as_user("leader1")).get_json()
    assert body["from"] == week[0].isoformat()
    assert [o["username"] for o in body["officers"]] == ["officer1", "officer2", "officer3"]
    for officer in body["officers"]:
        user_id = officer["user_id"]
        visits = db.execute(
            "SELECT count(*), sum(channel = 'home_visit'), "
            "sum(outcome IN ('contact_made', 'appointment_made')), "
            "sum(promise_amount IS NOT NULL) FROM visits WHERE officer_id = ?",
            [user_id],
        ).fetchone()
        total = officer["total"]
        assert (total["contacts"], total["home_visits"], total["reached"], total["promises"]) == (
            visits
        )
        assert total["contact_rate"] == round(visits[2] / visits[0], 3)
        assert sum(d["contacts"] for d in officer["days"]) == visits[0]
        assert (
            total["arrangements"]
            == db.execute(
                "SELECT count(*) FROM arrangements WHERE created_by = ?", [user_id]
            ).fetchone()[0]
        )
        assert (
            sum(total["repairs"].values())
            == db.execute(
                "SELECT count(*) FROM repairs WHERE reported_by = ?", [user_id]
            ).fetchone()[0]
        )
        worked = [d for d in officer["days"] if d["contacts"]]
        assert {d["date"] for d in worked} == {d.isoformat() for d in week}
        assert any(d["last_push_at"] for d in officer["devices"])
    trend = body["arrears"]
    assert len(trend["team"]) == 8 and len(trend["patches"]) == 3
    last = trend["team"][-1]
    assert last["arrears"] == round(sum(p["trend"][-1]["arrears"] for p in trend["patches"]), 2)
    assert last["in_arrears"] > 0


def test_the_dashboard_is_for_the_teams_leader_and_admins(client, as_user, db, week):
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    url = f"/teams/{team_id}/dashboard"
    assert client.get(url, headers=as_user("admin")).status_code == 200
    assert_problem(client.get(url, headers=as_user("leader2")), 404)
    assert_problem(client.get(url, headers=as_user("officer1")), 403)
    too_long = (week[0] + timedelta(days=40)).isoformat()
    assert_problem(
        client.get(f"{url}?from={week[0]}&to={too_long}", headers=as_user("leader1")),
        422,
        field="to",
    )
