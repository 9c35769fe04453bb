"""Absences and cover over HTTP: who may record an absence, an absent officer gets no
plan, the covering officer's plans hold the covered homes, and paired visits start
together."""

from datetime import datetime, timedelta

import pytest

from sync.clock import LONDON, london_today
from tests.conftest import assert_problem
from tests.test_planning import _visit_cases, check_rules

TOMORROW = london_today() + timedelta(days=1)


@pytest.fixture
def ids(db):
    return dict(db.execute("SELECT username, id FROM users").fetchall())


@pytest.fixture
def team_id(db):
    return db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]


def _patch_of(db, username):
    return db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id WHERE u.username = ?",
        [username],
    ).fetchone()[0]


def _homes_of(db, patch_id):
    return {
        r[0]
        for r in db.execute("SELECT uprn FROM patch_properties WHERE patch_id = ?", [patch_id])
    }


def _away(client, as_user, officer_id, first=TOMORROW, days=5, who="leader1", **extra):
    body = {
        "officer_id": officer_id,
        "kind": "annual_leave",
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=days - 1)).isoformat(),
        "note": "Two weeks in Cornwall",
        **extra,
    }
    return client.post("/absences", json=body, headers=as_user(who))


def test_an_absence_is_recorded_listed_and_cancelled_by_the_team_leader(
    client, as_user, ids, team_id, db
):
    response = _away(client, as_user, ids["officer3"])
    assert response.status_code == 201, response.get_json()
    absence = response.get_json()
    assert absence["officer"] == "officer3" and absence["kind"] == "annual_leave"
    assert absence["note"] == "Two weeks in Cornwall" and absence["cancelled_at"] is None
    # Westbury, officer3's patch, has no cover yet: the nearest patch's officer is asked.
    [patch] = absence["patches"]
    assert patch["patch_id"] == _patch_of(db, "officer3") and not patch["covers"]
    assert len(patch["uncovered_days"]) == 5
    proposal = patch["proposal"]
    assert proposal["officer"] == "officer2" and proposal["patch_name"] == "Trowbridge"
    assert "nearest" in proposal["why"] and "km" in proposal["why"]
    assert (proposal["start_date"], proposal["end_date"]) == (
        absence["start_date"],
        absence["end_date"],
    )

    def listed(query, who="leader1"):
        answer = client.get(f"/absences{query}", headers=as_user(who))
        assert answer.status_code == 200, answer.get_json()
        return [a["id"] for a in answer.get_json()]

    last = absence["end_date"]
    assert listed("") == [absence["id"]]
    assert listed(f"?team_id={team_id}&from={last}&to={last}") == [absence["id"]]
    assert listed(f"?officer_id={ids['officer3']}") == [absence["id"]]
    assert listed(f"?officer_id={ids['officer1']}") == []
    after = (TOMORROW + timedelta(days=30)).isoformat()
    assert listed(f"?from={after}") == []
    assert listed("", who="leader2") == [] and listed("", who="admin") == [absence["id"]]
    # Another team's leader neither sees nor records it; officers may not at all.
    url = f"/absences/{absence['id']}"
    assert_problem(client.get(url, headers=as_user("leader2")), 404)
    assert_problem(client.delete(url, headers=as_user("leader2")), 404)
    assert_problem(client.get(url, headers=as_user("officer3")), 403)
    assert_problem(client.get(f"/absences?team_id={team_id}", headers=as_user("leader2")), 403)
    assert_problem(client.get("/absences", headers=as_user("officer1")), 403)
    later = TOMORROW + timedelta(days=40)
    assert_problem(
        _away(client, as_user, ids["officer3"], later, who="leader2"), 422, None, "officer_id"
    )
    assert_problem(_away(client, as_user, ids["officer3"], later, who="officer3"), 403)
    assert_problem(_away(client, as_user, ids["leader1"], later), 422, field="officer_id")
    # Overlaps and bad dates are named.
    clash = _away(client, as_user, ids["officer3"], TOMORROW + timedelta(days=4), kind="sickness")
    body = assert_problem(clash, 409, "absence-overlaps", "start_date")
    assert f"absence {absence['id']}" in body["detail"]
    backwards = _away(client, as_user, ids["officer1"], later, end_date=later.isoformat())
    assert backwards.status_code == 201
    wrong = {"end_date": (later - timedelta(days=1)).isoformat()}
    assert_problem(_away(client, as_user, ids["officer2"], later, **wrong), 422, field="end_date")
    endless = {"end_date": (later + timedelta(days=400)).isoformat()}
    assert_problem(
        _away(client, as_user, ids["officer2"], later, **endless), 422, field="end_date"
    )
    assert_problem(
        _away(client, as_user, ids["officer2"], later, kind="holiday"), 422, None, "kind"
    )
    assert_problem(
        client.get("/absences?from=2030-02-02&to=2030-02-01", headers=as_user("admin")),
        422,
        None,
        "to",
    )
    # Cancelled: kept, and listed only when asked for.
    cancelled = client.delete(url, headers=as_user("leader1")).get_json()
    assert cancelled["cancelled_at"] and cancelled["cancelled_by"] == ids["leader1"]
    assert absence["id"] not in listed("")
    assert absence["id"] in listed("?include_cancelled=true")
    audit = client.get("/audit?entity_type=absence", headers=as_user("admin")).get_json()
    actions = [(e["action"], e["entity_ids"]) for e in audit["items"]]
    assert ("absence-recorded", [str(absence["id"])]) in actions
    assert ("absence-cancelled", [str(absence["id"])]) in actions


def test_an_absent_officer_gets_no_plan_and_their_plan_is_withdrawn(client, as_user, ids):
    body = {"officer_id": ids["officer3"], "date": TOMORROW.isoformat()}
    before = client.post("/plans", json=body, headers=as_user("leader1"))
    assert before.status_code == 201, before.get_json()
    absence = _away(client, as_user, ids["officer3"]).get_json()
    answer = client.post("/plans", json=body, headers=as_user("leader1"))
    problem = assert_problem(answer, 422, "officer-absent", "date")
    assert "annual leave" in problem["detail"] and f"absence {absence['id']}" in problem["detail"]
    withdrawn = client.get(f"/plans/{before.get_json()['id']}", headers=as_user("leader1"))
    assert withdrawn.get_json()["status"] == "superseded"
    day = client.get(f"/plans?date={TOMORROW.isoformat()}", headers=as_user("leader1"))
    assert ids["officer3"] not in {p["officer_id"] for p in day.get_json()}
    # Cancelled, the officer is planned again.
    client.delete(f"/absences/{absence['id']}", headers=as_user("leader1"))
    assert client.post("/plans", json=body, headers=as_user("leader1")).status_code == 201


def test_the_covering_officer_plans_the_covered_homes_and_the_absent_one_nothing(
    client, as_user, ids, team_id, db
):
    """The issue: with cover arranged for officer3's patch during annual leave, officer3
    still got a day of their patch and the covering officer none of it."""
    westbury = _patch_of(db, "officer3")
    covered = _homes_of(db, westbury)
    absence = _away(client, as_user, ids["officer3"]).get_json()
    proposal = absence["patches"][0]["proposal"]
    cover = client.post(
        f"/patches/{westbury}/covers",
        json={
            "officer_id": proposal["officer_id"],
            "start_date": proposal["start_date"],
            "end_date": proposal["end_date"],
            "reason": "officer3 on annual leave",
        },
        headers=as_user("leader1"),
    )
    assert cover.status_code == 201, cover.get_json()
    again = client.get(f"/absences/{absence['id']}", headers=as_user("leader1")).get_json()
    assert again["patches"][0]["uncovered_days"] == []
    assert again["patches"][0]["proposal"] is None
    assert again["patches"][0]["covers"][0]["officer"] == "officer2"
    body = {"officer_id": ids["officer2"], "date": TOMORROW.isoformat()}
    plan = client.post("/plans", json=body, headers=as_user("leader1")).get_json()
    check_rules(plan, {})
    assert {s["uprn"] for s in plan["stops"]} & covered, "the coverer plans no covered home"
    # The team's week: officer3 has no day; officer2's days hold Westbury's homes.
    request = {"start": TOMORROW.isoformat(), "days": 3}
    week = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert week.status_code == 201, week.get_json()
    days = week.get_json()["plans"]
    assert ids["officer3"] not in {d["officer_id"] for d in days}
    planned = set()
    for day in days:
        plan = client.get(f"/plans/{day['plan_id']}", headers=as_user("leader1")).get_json()
        homes = {s["uprn"] for s in plan["stops"]}
        assert day["officer_id"] == ids["officer2"] or not homes & covered
        planned |= homes
    assert planned & covered


def test_a_covered_patch_is_not_planned_for_its_owner(client, as_user, ids, db):
    """Cover hands the patch over for its days, absence recorded or not."""
    westbury = _patch_of(db, "officer3")
    day = TOMORROW.isoformat()
    client.post(
        f"/patches/{westbury}/covers",
        json={"officer_id": ids["officer2"], "start_date": day, "end_date": day},
        headers=as_user("leader1"),
    )
    body = {"officer_id": ids["officer3"], "date": day}
    problem = assert_problem(client.post("/plans", json=body, headers=as_user("leader1")), 422)
    assert "officer_id" in problem["errors"] and "Westbury by officer2" in problem["detail"]


def test_the_week_leaves_a_day_without_a_patch_unplanned(client, as_user, ids, team_id, db):
    """An officer whose patch is lent to another for a day has that day unplanned (and
    said so), and the rest of the team's week is planned; a paired visit on that day is
    refused, naming paired."""
    westbury = _patch_of(db, "officer3")
    second = (TOMORROW + timedelta(days=1)).isoformat()
    client.post(
        f"/patches/{westbury}/covers",
        json={"officer_id": ids["officer2"], "start_date": second, "end_date": second},
        headers=as_user("leader1"),
    )
    request = {"start": TOMORROW.isoformat(), "days": 2, "method": "greedy"}
    week = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert week.status_code == 201, week.get_json()
    answer = week.get_json()
    days = {(d["officer_id"], d["date"]) for d in answer["plans"]}
    assert (ids["officer3"], TOMORROW.isoformat()) in days
    assert (ids["officer3"], second) not in days and (ids["officer2"], second) in days
    [unplanned] = answer["unplanned"]
    assert (unplanned["officer_id"], unplanned["date"]) == (ids["officer3"], second)
    assert "Westbury by officer2" in unplanned["reason"]
    home = _visit_cases(db, "officer1")[0][0]
    pair = [ids["officer1"], ids["officer3"]]
    visit = {"uprn": home, "date": second, "from": "10:00", "to": "12:00", "officer_ids": pair}
    refused = client.post(
        f"/teams/{team_id}/week-plan",
        json=request | {"paired": [visit]},
        headers=as_user("leader1"),
    )
    assert "no patch" in assert_problem(refused, 422, field="paired")["detail"]


def test_an_absent_officer_cannot_be_booked_for_a_paired_visit(client, as_user, ids, team_id, db):
    _away(client, as_user, ids["officer2"])
    home = _visit_cases(db, "officer1")[0][0]
    paired = {"uprn": home, "date": TOMORROW.isoformat(), "from": "10:00", "to": "12:00"}
    request = {
        "start": TOMORROW.isoformat(),
        "days": 1,
        "paired": [paired | {"officer_ids": [ids["officer1"], ids["officer2"]]}],
    }
    answer = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert "annual leave" in assert_problem(answer, 422, field="paired")["detail"]


@pytest.mark.parametrize("rank", [0, 3, 7])
def test_paired_visits_start_together_and_name_the_partner(
    client, as_user, ids, team_id, db, rank
):
    """The issue: one officer arrived at 10:37 and the other at 10:56."""
    home = _visit_cases(db, "officer1")[rank][0]
    pair = [ids["officer1"], ids["officer2"]]
    visit = {"uprn": home, "date": TOMORROW.isoformat(), "from": "10:00", "to": "12:00"}
    request = {"start": TOMORROW.isoformat(), "days": 2, "paired": [visit | {"officer_ids": pair}]}
    week = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert week.status_code == 201, week.get_json()
    starts, partners = {}, {}
    for day in week.get_json()["plans"]:
        plan = client.get(f"/plans/{day['plan_id']}", headers=as_user("leader1")).get_json()
        check_rules(plan, {})
        for stop in plan["stops"]:
            if stop["uprn"] == home:
                starts[plan["officer_id"]] = datetime.fromisoformat(stop["start_at"])
                partners[plan["officer_id"]] = stop["partner"]
            else:
                assert stop["partner"] is None
    assert set(starts) == set(pair)
    gap = abs((starts[pair[0]] - starts[pair[1]]).total_seconds())
    assert gap <= 120, f"{starts}: {gap / 60:.0f} minutes apart"
    local = starts[pair[0]].astimezone(LONDON).strftime("%H:%M")
    assert "10:00" <= local <= "12:00"
    assert partners[pair[0]]["officer_id"] == pair[1] and partners[pair[0]]["name"] == "Officer 2"
    assert partners[pair[1]]["officer_id"] == pair[0] and partners[pair[1]]["name"] == "Officer 1"
    assert partners[pair[0]]["booked"] == {"from": "10:00", "to": "12:00"}


def test_an_absence_recorded_while_a_plan_is_solved_stops_it_being_stored(
    client, as_user, ids, db, monkeypatch
):
    """The absence is checked again under the write lock, not only before solving."""
    from sync.casework import days

    solve = days.compose

    def compose_then_leave(*args, **kwargs):
        draft = solve(*args, **kwargs)
        assert _away(client, as_user, ids["officer3"]).status_code == 201
        return draft

    monkeypatch.setattr(days, "compose", compose_then_leave)
    body = {"officer_id": ids["officer3"], "date": TOMORROW.isoformat()}
    answer = client.post("/plans", json=body, headers=as_user("leader1"))
    assert_problem(answer, 422, "officer-absent", "date")
    day = client.get(f"/plans?date={TOMORROW.isoformat()}", headers=as_user("leader1"))
    assert ids["officer3"] not in {p["officer_id"] for p in day.get_json()}


def test_no_patch_is_left_unplanned_by_cover_and_absence_crossing(client, as_user, ids, db):
    """Found by probing: cover given to an officer who is away, and an absence recorded
    for an officer who covers a patch, each left a patch that no one planned."""
    assert _away(client, as_user, ids["officer2"]).status_code == 201
    westbury = _patch_of(db, "officer3")
    cover = {
        "officer_id": ids["officer2"],
        "start_date": TOMORROW.isoformat(),
        "end_date": TOMORROW.isoformat(),
    }
    response = client.post(f"/patches/{westbury}/covers", json=cover, headers=as_user("leader1"))
    assert_problem(response, 422, "officer-absent", "officer_id")

    cover["officer_id"] = ids["officer1"]
    response = client.post(f"/patches/{westbury}/covers", json=cover, headers=as_user("leader1"))
    assert response.status_code == 201, response.get_json()
    response = _away(client, as_user, ids["officer1"], days=2)
    assert_problem(response, 409, "officer-covering", "start_date")
    assert "cancel that cover" in response.get_json()["detail"]
