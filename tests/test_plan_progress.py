"""A day plan's progress: visited, skipped and still to go, from the visits synced."""

from datetime import UTC, datetime, time, timedelta

from sync.clock import LONDON, london_today
from tests.phone import Outbox, push

TODAY = london_today()


def _plan_today(client, as_user, username="officer1") -> dict:
    response = client.post("/plans", json={"date": TODAY.isoformat()}, headers=as_user(username))
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    assert len(plan["stops"]) >= 4
    return plan


def _visit(client, headers, uprn, outcome="contact_made", channel="home_visit", at=None):
    """A visit record pushed from the officer's phone; its id."""
    at = at or datetime.now(UTC)
    mutation = Outbox().create(
        "visit",
        {"uprn": uprn, "outcome": outcome, "channel": channel, "arrived_at": at.isoformat()},
        observed_at=at.isoformat(),
    )
    result = push(client, headers, mutation)
    assert result["results"][0]["status"] == "applied", result
    return mutation["entity_id"]


def _states(plan) -> list[str]:
    return [s["state"] for s in plan["progress"]["stops"]]


def test_a_fresh_plan_is_all_to_go(client, as_user):
    plan = _plan_today(client, as_user)
    progress = plan["progress"]
    assert progress["visited"] == progress["skipped"] == 0
    assert progress["to_go"] == len(plan["stops"])
    assert [s["uprn"] for s in progress["stops"]] == [s["uprn"] for s in plan["stops"]]


def test_a_synced_visit_marks_its_stop_visited_and_the_stops_passed_skipped(client, as_user):
    officer = as_user("officer1")
    plan = _plan_today(client, as_user)
    stops = plan["stops"]
    visit_id = _visit(client, officer, stops[2]["uprn"], outcome="no_access")
    _visit(client, officer, stops[3]["uprn"], channel="phone_call")  # not at the home

    for read in (
        client.get(f"/plans?date={TODAY}", headers=officer).get_json()[0],
        client.get(f"/plans/{plan['id']}", headers=as_user("leader1")).get_json(),
    ):
        assert _states(read)[:4] == ["skipped", "skipped", "visited", "to_go"]
        assert set(_states(read)[4:]) == {"to_go"}
        visited = read["progress"]["stops"][2]
        assert visited["outcome"] == "no_access" and visited["visit_id"] == visit_id
        assert visited["seq"] == stops[2]["seq"] and visited["address"] == stops[2]["address"]
        assert read["progress"]["visited"] == 1 and read["progress"]["skipped"] == 2
        assert read["progress"]["to_go"] == len(stops) - 3


def test_only_home_visits_on_the_plans_day_count_and_the_latest_outcome_shows(client, as_user):
    officer = as_user("officer1")
    plan = _plan_today(client, as_user)
    first = plan["stops"][0]["uprn"]
    _visit(client, officer, first, at=datetime.now(UTC) - timedelta(days=1))  # yesterday
    read = client.get(f"/plans/{plan['id']}", headers=officer).get_json()
    assert set(_states(read)) == {"to_go"}

    _visit(client, officer, first, outcome="no_access")
    _visit(client, officer, first, outcome="contact_made")  # called back later
    read = client.get(f"/plans/{plan['id']}", headers=officer).get_json()
    assert read["progress"]["stops"][0]["outcome"] == "contact_made"
    assert read["progress"]["visited"] == 1 and read["progress"]["skipped"] == 0


def test_a_replan_keeps_the_stops_made_before_it_in_the_progress(client, as_user):
    officer = as_user("officer1")
    plan = _plan_today(client, as_user)
    done, skipped = plan["stops"][0], plan["stops"][1]
    _visit(client, officer, done["uprn"])
    body = {
        "position": {"latitude": done["latitude"], "longitude": done["longitude"]},
        # Mid-morning, whenever the suite runs (after the working day there is no re-plan).
        "at": datetime.combine(TODAY, time(11), LONDON).isoformat(),
        "done": [done["uprn"]],
        "skipped": [skipped["uprn"]],
    }
    response = client.post(f"/plans/{plan['id']}/replan", json=body, headers=officer)
    assert response.status_code == 201, response.get_json()
    read = client.get(f"/plans?date={TODAY}", headers=officer).get_json()[0]
    kept = read["progress"]["stops"][:2]
    assert [(s["uprn"], s["seq"], s["state"]) for s in kept] == [
        (done["uprn"], None, "visited"),
        (skipped["uprn"], None, "skipped"),
    ]
    assert set(_states(read)[2:]) == {"to_go"}
