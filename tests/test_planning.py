"""Priorities and day plans over HTTP: every plan respects its hard rules."""

import json
from datetime import datetime, timedelta
from sqlite3 import IntegrityError

import pytest

from sync.access.scope import Caller
from sync.casework import weeks
from sync.clock import LONDON, london_today
from tests.conftest import assert_problem
from tests.phone import Outbox, Phone, push

TOMORROW = london_today() + timedelta(days=1)


def _plan(client, headers, **body):
    body.setdefault("date", TOMORROW.isoformat())
    response = client.post("/plans", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _visit_cases(db, username):
    """(uprn, tenancy_ref) of officer's current tenancies, most arrears first."""
    return db.execute(
        "SELECT t.uprn, t.tenancy_ref FROM tenancies t JOIN account_snapshots s "
        "ON s.id = t.current_snapshot_id JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = ? AND t.end_date IS NULL ORDER BY s.balance DESC",
        [username],
    ).fetchall()


def _import(client, as_user, rows):
    body = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post(
        "/imports?kind=accounts&format=jsonl", data=body, headers=as_user("admin")
    )
    assert response.status_code == 201 and response.get_json()["rejected"] == 0, (
        response.get_json()
    )


def _account(ref, as_of, balance, **extra) -> dict:
    """An account row of the nightly import, on no benefit unless ``extra`` says so."""
    return {"tenancy_ref": ref, "as_of": as_of, "balance": balance, "benefit": "none", **extra}


def _paired(home, day, officer_ids) -> dict:
    """A paired visit to ``home`` on ``day``, from 10:00 to 10:30."""
    return {"uprn": home, "date": day, "from": "10:00", "to": "10:30", "officer_ids": officer_ids}


def check_rules(plan: dict, request: dict) -> None:
    """The hard rules, recomputed from the plan: order, windows, the day's end, must-visits,
    no lone visits, and the score reported."""
    day = datetime.fromisoformat(plan["stops"][0]["arrive_at"]).date() if plan["stops"] else None
    window = request.get("window") or {"start": "09:00", "end": "17:00"}
    previous_leave = None
    for stop in plan["stops"]:
        arrive = datetime.fromisoformat(stop["arrive_at"])
        start = datetime.fromisoformat(stop["start_at"])
        leave = datetime.fromisoformat(stop["leave_at"])
        assert arrive <= start < leave
        assert (leave - start).total_seconds() == stop["on_site_s"]
        if previous_leave is not None:
            assert arrive >= previous_leave + timedelta(seconds=stop["travel_s"]) - timedelta(
                seconds=1
            )
        previous_leave = leave
        if stop["appointment"]:
            local = start.astimezone(LONDON).strftime("%H:%M")
            assert stop["appointment"]["from"] <= local <= stop["appointment"]["to"]
        assert "no_lone_visits" not in stop["markers"] or stop["must_visit"] or stop["appointment"]
        assert stop["reasons"] and all("suppressed" not in r for r in stop["reasons"])
    ends = datetime.fromisoformat(plan["totals"]["ends_at"]).astimezone(LONDON)
    assert ends.strftime("%H:%M") <= window["end"]
    assert day is None or ends.date() == day
    planned = {s["uprn"] for s in plan["stops"]}
    assert set(request.get("must_visit") or []) <= planned
    assert {a["uprn"] for a in request.get("appointments") or []} <= planned
    assert round(sum(s["score"] for s in plan["stops"]), 1) == plan["totals"]["score"]
    assert plan["feasible"] is True


def test_a_priority_explains_itself(client, as_user, db):
    _, ref = _visit_cases(db, "officer1")[0]
    body = client.get(f"/tenancies/{ref}/priority", headers=as_user("officer1")).get_json()
    counted = [r for r in body["reasons"] if "suppressed" not in r]
    assert round(sum(r["points"] for r in counted), 1) == body["score"]
    assert body["action"] in ("visit", "call", "letter", "hold", "none")
    assert body["rules_version"] == "priority-v1"
    assert all(r["text"] for r in body["reasons"])
    assert_problem(client.get(f"/tenancies/{ref}/priority", headers=as_user("repairs1")), 403)
    assert_problem(client.get(f"/tenancies/{ref}/priority", headers=as_user("officer4")), 404)


def test_breathing_space_suppresses_enforcement_and_a_kept_arrangement_needs_nothing(
    client, as_user, db
):
    (_, ref), (_, other) = _visit_cases(db, "officer1")[:2]
    today = london_today().isoformat()
    space = {"breathing_space_type": "standard", "breathing_space_start": today}
    _import(client, as_user, [_account(ref, today, 2500.0, **space)])
    held = client.get(f"/tenancies/{ref}/priority", headers=as_user("officer1")).get_json()
    support = [r for r in held["reasons"] if r["kind"] == "support"]
    assert held["breathing_space"] is True
    assert held["score"] == round(sum(r["points"] for r in support), 1)
    enforcement = [r for r in held["reasons"] if r["kind"] == "enforcement"]
    assert all(r["suppressed"].startswith("Breathing Space") for r in enforcement)
    assert any(r["code"] == "arrears" for r in held["reasons"])
    # A support visit stays possible; nothing else.
    assert held["action"] in (("visit", "call", "letter") if support else ("hold", "none"))
    # An arrangement agreed, then kept at the next import: nothing needed.
    phone = Outbox()
    start = (london_today() - timedelta(days=14)).isoformat()
    terms = {"tenancy_ref": other, "amount": 10.0, "frequency": "weekly", "start_date": start}
    agreed = phone.create("arrangement", terms)
    assert push(client, as_user("officer1"), agreed)["results"][0]["status"] == "applied"
    _import(client, as_user, [_account(other, today, 100.0)])
    kept = client.get(f"/tenancies/{other}/priority", headers=as_user("officer1")).get_json()
    assert kept["action"] == "none" and kept["score"] == 0


def test_an_officers_day_plan_respects_every_hard_rule(client, as_user, tokens, db):
    visits = _visit_cases(db, "officer1")
    must, appointment = visits[10][0], visits[11][0]
    request = {
        "mode": "car",
        "window": {"start": "09:00", "end": "16:30"},
        "breaks": [{"from": "12:00", "to": "13:30", "minutes": 30}],
        "must_visit": [must],
        "appointments": [{"uprn": appointment, "from": "14:00", "to": "14:30"}],
    }
    plan = _plan(client, as_user("officer1"), **request)
    assert plan["stops"], plan
    check_rules(plan, request)
    assert plan["rules_version"] == "priority-v1"
    assert len(plan["breaks"]) == 1
    top = [s["score"] for s in plan["stops"]]
    assert (
        max(top) >= max(h["score"] for h in plan["left_out"]) * 0.5 if plan["left_out"] else True
    )

    # The plan is on the officer's phone; a new plan for the day replaces it there.
    phone = Phone(client, tokens["officer1"])
    phone.sync()
    assert phone.store[("plan", str(plan["id"]))]["stops"] == plan["stops"]
    walking = {**request, "mode": "walk"}
    again = _plan(client, as_user("leader1"), officer_id=plan["officer_id"], **walking)
    check_rules(again, walking)
    phone.sync()
    assert ("plan", str(plan["id"])) not in phone.store
    assert ("plan", str(again["id"])) in phone.store
    assert (
        client.get(f"/plans/{plan['id']}", headers=as_user("officer1")).get_json()["status"]
        == "superseded"
    )
    listed = client.get(f"/plans?date={TOMORROW}", headers=as_user("leader1")).get_json()
    assert [p["id"] for p in listed] == [again["id"]]
    assert ("plan", str(again["id"])) not in Phone.synced(client, tokens["officer2"])
    # Another's plan is answered as no plan: whose it is is not said.
    for other in ("officer2", "leader2"):
        problem = assert_problem(client.get(f"/plans/{plan['id']}", headers=as_user(other)), 404)
        assert problem["detail"] == f"Plan {plan['id']} not found."
    assert_problem(client.get(f"/plans?date={TOMORROW}", headers=as_user("repairs1")), 403)


def test_no_lone_visits_and_visited_yesterday_homes_are_left_out_with_why(client, as_user, db):
    first = _plan(client, as_user("officer1"))
    flagged, rested = first["stops"][0]["uprn"], first["stops"][1]["uprn"]
    phone = Outbox()
    review = (london_today() + timedelta(days=60)).isoformat()
    marker = phone.create(
        "marker",
        {
            "uprn": flagged,
            "code": "no_lone_visits",
            "description": "Knife",
            "source_incident": "Incident 77",
            "review_date": review,
        },
    )
    yesterday = datetime.combine(london_today(), datetime.min.time(), LONDON) - timedelta(hours=10)
    visit = phone.create(
        "visit", {"uprn": rested, "outcome": "no_access"}, observed_at=yesterday.isoformat()
    )
    push(client, as_user("officer1"), marker, visit)
    decision = f"/markers/{marker['entity_id']}/decision"
    client.post(decision, json={"approve": True}, headers=as_user("leader1"))
    today_plan = _plan(client, as_user("officer1"), date=london_today().isoformat())
    why = {h["uprn"]: h["why"] for h in today_plan["left_out"]}
    assert flagged not in {s["uprn"] for s in today_plan["stops"]}
    assert why.get(flagged) == "needs-pair"
    assert why.get(rested) == "visited-yesterday"


def test_replanning_keeps_what_is_done_and_starts_from_here(client, as_user, db):
    window = {"start": "09:00", "end": "17:00"}
    plan = _plan(client, as_user("officer1"), date=london_today().isoformat(), window=window)
    done, skipped = plan["stops"][0], plan["stops"][1]
    at = datetime.combine(london_today(), datetime.min.time(), LONDON) + timedelta(hours=11)
    body = {
        "position": {"latitude": done["latitude"], "longitude": done["longitude"]},
        "at": at.isoformat(),
        "done": [done["uprn"]],
        "skipped": [skipped["uprn"]],
    }
    response = client.post(f"/plans/{plan['id']}/replan", json=body, headers=as_user("officer1"))
    assert response.status_code == 201, response.get_json()
    again = response.get_json()
    assert again["replaces"] == plan["id"]
    assert {f["uprn"]: f["outcome"] for f in again["fixed"]} == {
        done["uprn"]: "done",
        skipped["uprn"]: "skipped",
    }
    planned = {s["uprn"] for s in again["stops"]}
    assert not planned & {done["uprn"], skipped["uprn"]}
    assert all(datetime.fromisoformat(s["arrive_at"]) >= at for s in again["stops"])
    again_twice = client.post(
        f"/plans/{plan['id']}/replan", json=body, headers=as_user("officer1")
    )
    assert_problem(again_twice, 409, "superseded")
    # After the working day there is nothing left to plan, and the answer says so.
    body["at"] = (at + timedelta(hours=6, minutes=30)).isoformat()  # 17:30
    late = client.post(f"/plans/{again['id']}/replan", json=body, headers=as_user("officer1"))
    assert_problem(late, 422, "validation-failed", field="at")
    assert "ended at 17:00" in late.get_json()["detail"]


def _place(plan_place: dict) -> tuple:
    return plan_place["latitude"], plan_place["longitude"], plan_place["label"]


def test_a_day_starts_and_ends_at_the_officers_base(client, as_user, db):
    """The demo gives every officer a base (their town's housing office); a plan with no
    start or end starts and ends there, and a re-plan still ends there."""
    officer = client.get("/me", headers=as_user("officer1")).get_json()
    base = officer["base"]
    assert base["label"].endswith("housing office")
    plan = _plan(client, as_user("officer1"))
    assert _place(plan["start"]) == _place(plan["end"]) == _place(base)
    first = plan["stops"][0]
    at = datetime.fromisoformat(first["leave_at"])
    body = {"position": {k: first[k] for k in ("latitude", "longitude")}, "at": at.isoformat()}
    response = client.post(f"/plans/{plan['id']}/replan", json=body, headers=as_user("officer1"))
    again = response.get_json()
    assert again["start"]["label"] == "Current position"
    assert _place(again["end"]) == _place(base)


def test_an_admin_sets_an_officers_base_and_the_plan_follows(client, as_user, db):
    officer_id = db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0]
    home = {"latitude": 51.3301, "longitude": -2.2012, "label": "Home"}
    response = client.patch(f"/users/{officer_id}", json={"base": home}, headers=as_user("admin"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["base"] == home
    plan = _plan(client, as_user("officer2"))
    assert _place(plan["start"]) == _place(plan["end"]) == _place(home)
    # A request's own start wins; the end is still the base.
    there = {"latitude": 51.35, "longitude": -2.15, "label": "Court"}
    plan = _plan(client, as_user("officer2"), start=there)
    assert _place(plan["start"]) == _place(there) and _place(plan["end"]) == _place(home)
    # With no base at all, the middle of the officer's homes is the last resort.
    cleared = client.patch(f"/users/{officer_id}", json={"base": None}, headers=as_user("admin"))
    assert cleared.get_json()["base"] is None
    plan = _plan(client, as_user("officer2"))
    assert plan["start"]["label"] == plan["end"]["label"] == "Patch centre"


def test_a_bad_base_names_the_field(client, as_user, db):
    officer_id = db.execute("SELECT id FROM users WHERE username = 'officer2'").fetchone()[0]
    wrong = {"base": {"latitude": 12.0, "longitude": -2.2}}
    response = client.patch(f"/users/{officer_id}", json=wrong, headers=as_user("admin"))
    assert_problem(response, 422, field="base.latitude")


def test_bad_plan_requests_name_the_field(client, as_user, db):
    outside = _visit_cases(db, "officer4")[0][0]

    def plan(username, **body):
        body = {"date": TOMORROW.isoformat(), **body}
        return client.post("/plans", json=body, headers=as_user(username))

    assert_problem(plan("officer1", must_visit=[outside]), 422, field="must_visit")
    backwards = {"start": "17:00", "end": "09:00"}
    assert_problem(plan("officer1", window=backwards), 422, field="window")
    assert_problem(plan("leader1", officer_id=10**6), 404)


def test_a_teams_week_with_a_paired_visit(client, as_user, tokens, db):
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    ids = dict(db.execute("SELECT username, id FROM users WHERE role = 'officer'").fetchall())
    home = _visit_cases(db, "officer1")[0][0]
    start = london_today()
    request = {
        "start": start.isoformat(),
        "days": 2,
        "paired": [_paired(home, start.isoformat(), [ids["officer1"], ids["officer2"]])],
    }
    response = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert response.status_code == 201, response.get_json()
    week = response.get_json()
    assert len(week["plans"]) == 2 * 3
    seen = {}
    for day in week["plans"]:
        plan = client.get(f"/plans/{day['plan_id']}", headers=as_user("leader1")).get_json()
        appointments = [{"uprn": s["uprn"]} for s in plan["stops"] if s["appointment"]]
        check_rules(plan, {"appointments": plan["stops"] and appointments})
        for stop in plan["stops"]:
            if stop["uprn"] != home:
                assert stop["uprn"] not in seen, "a home twice in the week"
                seen[stop["uprn"]] = plan["officer_id"]
        if plan["officer_id"] in (ids["officer1"], ids["officer2"]) and plan["date"] == str(start):
            assert home in {s["uprn"] for s in plan["stops"]}
    # The partner's phone holds the home today, and their record of the visit is accepted.
    officer2 = Phone(client, tokens["officer2"])
    officer2.sync()
    assert ("property", str(home)) in officer2.store
    visit = Outbox().create("visit", {"uprn": home, "outcome": "contact_made"})
    result = push(client, as_user("officer2"), visit)["results"][0]
    assert result["status"] == "applied" and "paired-visit" in result["flags"]
    assert_problem(
        client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader2")), 404
    )
    assert_problem(
        client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("officer1")), 403
    )


def test_a_joint_week_keeps_absences_slack_pairs_and_never_loses_to_greedy(client, as_user, db):
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    ids = dict(db.execute("SELECT username, id FROM users WHERE role = 'officer'").fetchall())
    home = _visit_cases(db, "officer1")[0][0]
    start, second = london_today(), london_today() + timedelta(days=1)
    request = {
        "start": start.isoformat(),
        "days": 2,
        "end_slack_minutes": 30,
        "absent": [{"officer_id": ids["officer3"], "date": second.isoformat()}],
        "paired": [_paired(home, start.isoformat(), [ids["officer1"], ids["officer2"]])],
    }
    url = f"/teams/{team_id}/week-plan"
    response = client.post(url, json=request, headers=as_user("leader1"))
    assert response.status_code == 201, response.get_json()
    week = response.get_json()
    planned = {(p["officer_id"], p["date"]) for p in week["plans"]}
    assert len(planned) == 2 * 3 - 1 and (ids["officer3"], second.isoformat()) not in planned
    assert week["score"] == pytest.approx(sum(p["score"] for p in week["plans"]))
    assert week["score"] >= week["greedy_score"]
    seen = set()
    for day in week["plans"]:
        plan = client.get(f"/plans/{day['plan_id']}", headers=as_user("leader1")).get_json()
        ends = datetime.fromisoformat(plan["totals"]["ends_at"]).astimezone(LONDON)
        assert ends.time() <= datetime.strptime("16:30", "%H:%M").time()
        homes = {s["uprn"] for s in plan["stops"]} - {home}
        assert not homes & seen, "a home twice in the week"
        seen |= homes
        if day["officer_id"] in (ids["officer1"], ids["officer2"]) and day["date"] == str(start):
            assert home in {s["uprn"] for s in plan["stops"]}
    # An absent officer cannot be booked for a paired visit; an absence is in the week.
    clash = {**request, "absent": [{"officer_id": ids["officer2"], "date": str(start)}]}
    assert_problem(client.post(url, json=clash, headers=as_user("leader1")), 422, field="absent")
    later = str(start + timedelta(days=9))
    outside = {**request, "absent": [{"officer_id": ids["officer3"], "date": later}]}
    assert_problem(client.post(url, json=outside, headers=as_user("leader1")), 422, field="absent")


def test_no_enforcement_visit_during_a_breathing_space(client, as_user, db):
    first = _plan(client, as_user("officer1"))
    top = first["stops"][0]
    today = london_today().isoformat()
    space = {"breathing_space_type": "mental_health_crisis", "breathing_space_start": today}
    rows = [_account(ref, today, 3000.0, **space) for ref in top["tenancy_refs"]]
    _import(client, as_user, rows)
    plan = _plan(client, as_user("officer1"))
    check_rules(plan, {})
    stop = next((s for s in plan["stops"] if s["uprn"] == top["uprn"]), None)
    if stop is not None:  # only as a support visit
        assert {r["kind"] for r in stop["reasons"]} == {"support"}
    else:
        why = {h["uprn"]: h["why"] for h in plan["left_out"]}
        assert why.get(top["uprn"]) == "breathing-space"


def test_a_paired_visit_needs_two_officers_and_a_home_of_the_team(client, as_user, db):
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    ids = dict(db.execute("SELECT username, id FROM users WHERE role = 'officer'").fetchall())
    start = london_today().isoformat()

    def week(home, officers):
        body = {"start": start, "days": 1, "paired": [_paired(home, start, officers)]}
        return client.post(f"/teams/{team_id}/week-plan", headers=as_user("leader1"), json=body)

    mine, elsewhere = _visit_cases(db, "officer1")[0][0], _visit_cases(db, "officer4")[0][0]
    # One officer named twice would be sent alone to a "paired" visit.
    assert_problem(week(mine, [ids["officer1"], ids["officer1"]]), 422, field="paired")
    # Another team's home cannot be granted to this team's officers.
    assert_problem(week(elsewhere, [ids["officer1"], ids["officer2"]]), 422, field="paired")
    assert not db.execute("SELECT count(*) FROM scope_grants").fetchone()[0]


def test_a_week_plan_assesses_every_day_on_that_day(client, as_user, db):
    """A Breathing Space that ends on the week's second day: no enforcement visit while it
    lasts, and one once it has ended (the first day's view is not used for the week)."""
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    officer = db.execute("SELECT id FROM users WHERE username = 'officer1'").fetchone()[0]
    start = london_today() + timedelta(days=1)
    # A home of officer1's with one tenancy, no vulnerable tenant, no marker, not new.
    uprn, ref = next(
        (uprn, ref)
        for uprn, ref in _visit_cases(db, "officer1")
        if not db.execute(
            "SELECT 1 FROM tenants WHERE tenancy_ref = ? AND vulnerabilities != '[]' UNION ALL "
            "SELECT 1 FROM warning_markers WHERE uprn = ? UNION ALL "
            "SELECT 1 FROM tenancies WHERE uprn = ? AND tenancy_ref != ? UNION ALL "
            "SELECT 1 FROM tenancies WHERE tenancy_ref = ? AND start_date > ?",
            [ref, uprn, uprn, ref, ref, (start - timedelta(days=365)).isoformat()],
        ).fetchone()
    )
    # All of it the moratorium debt: no ongoing rent unpaid to ask for while it lasts.
    space = {
        "breathing_space_type": "standard",
        "breathing_space_start": (start - timedelta(days=50)).isoformat(),
        "breathing_space_end": (start + timedelta(days=1)).isoformat(),
        "moratorium_debt": 6000.0,
    }
    _import(client, as_user, [_account(ref, london_today().isoformat(), 6000.0, **space)])
    request = {"start": start.isoformat(), "days": 5, "officer_ids": [officer]}
    response = client.post(f"/teams/{team_id}/week-plan", json=request, headers=as_user("leader1"))
    assert response.status_code == 201, response.get_json()
    visits = {}
    for day in response.get_json()["plans"]:
        plan = client.get(f"/plans/{day['plan_id']}", headers=as_user("leader1")).get_json()
        for stop in plan["stops"]:
            if stop["uprn"] == uprn:
                visits[plan["date"]] = {r["code"] for r in stop["reasons"]}
    assert len(visits) == 1, visits
    [(day, reasons)] = visits.items()
    assert day >= (start + timedelta(days=2)).isoformat(), "a visit during the Breathing Space"
    assert "arrears" in reasons


def test_a_week_plan_is_stored_whole_or_not_at_all(db):
    """A failure part-way through storing the week (a trigger stands in for a full disk on
    the fourth plan) leaves no plan and no paired-visit grant behind."""
    leader = db.execute("SELECT id, team_id FROM users WHERE username = 'leader1'").fetchone()
    ids = dict(db.execute("SELECT username, id FROM users WHERE role = 'officer'").fetchall())
    start = london_today() + timedelta(days=1)
    home = _visit_cases(db, "officer1")[0][0]
    request = {
        "start": start,
        "days": 2,
        "paired": [_paired(home, start, [ids["officer1"], ids["officer2"]])],
    }
    caller = Caller(leader[0], "leader1", "team_leader", leader[1])

    def counts():
        tables = ("plans", "scope_grants", "sync_index")
        return [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]

    before = counts()
    db.execute(
        f"CREATE TRIGGER disk_full BEFORE INSERT ON plans "
        f"WHEN (SELECT count(*) FROM plans) >= {before[0] + 3} "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(IntegrityError, match="disk full"):
        weeks.plan_week(db, caller, leader[1], request)
    assert counts() == before
    db.execute("DROP TRIGGER disk_full")
    week = weeks.plan_week(db, caller, leader[1], request)
    assert len(week["plans"]) == 2 * 3
    assert counts()[0] == before[0] + 6 and counts()[1] == before[1] + 1


@pytest.mark.parametrize("place", ["start", "end"])
def test_a_start_or_end_out_of_a_days_reach_is_refused_naming_it(client, as_user, place):
    """Found by schemathesis: a start or end a day's travel away (in France) made an
    endless schedule or no route at all: a 500."""
    body = {
        "date": (london_today() + timedelta(days=1)).isoformat(),
        place: {"label": "Far away", "latitude": 49.0, "longitude": 0.0},
    }
    answer = client.post("/plans", json=body, headers=as_user("officer1"))
    assert_problem(answer, 422, "validation-failed", field=place)


@pytest.mark.parametrize(
    "breaks, field",
    [
        ([{"from": "14:00", "to": "12:00", "minutes": 30}], "breaks.0.to"),
        ([{"from": "12:00", "to": "12:10", "minutes": 30}], "breaks.0.to"),
        (
            [
                {"from": "12:00", "to": "13:00", "minutes": 30},
                {"from": "20:00", "to": "21:00", "minutes": 30},
            ],
            "breaks.1.from",
        ),
    ],
)
def test_a_break_that_cannot_be_taken_is_refused_naming_it(client, as_user, breaks, field):
    """Found by probing: each of these gave a 500 from the route engine."""
    response = client.post(
        "/plans",
        json={"date": TOMORROW.isoformat(), "breaks": breaks},
        headers=as_user("officer1"),
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_a_short_working_day_takes_no_default_break_outside_it(client, as_user):
    plan = _plan(client, as_user("officer1"), window={"start": "07:00", "end": "11:30"})
    assert plan["breaks"] == []


@pytest.mark.parametrize(
    "starts, lunch",
    [("13:45", None), ("13:00", ("13:00", "13:30")), ("11:00", ("12:00", "13:30"))],
)
def test_a_plan_starting_in_the_lunch_window_takes_lunch_only_if_it_still_fits(
    client, as_user, starts, lunch
):
    """Found by the suite at 13:45: a plan (a re-plan from here) starting after its lunch
    window opened was refused by the route engine, the break's window closing before the
    day began. Lunch is 30 minutes between 12:00 and 14:00."""
    plan = _plan(client, as_user("officer1"), window={"start": starts, "end": "17:00"})
    taken = [datetime.fromisoformat(b).astimezone(LONDON) for b in plan["breaks"]]
    if lunch is None:
        assert taken == []
    else:
        (began,) = taken
        assert lunch[0] <= began.strftime("%H:%M") <= lunch[1]


def test_a_plan_is_for_today_or_later(client, as_user, db):
    """Found by probing: a plan for last week was made, and reached no phone."""
    team_id = db.execute("SELECT team_id FROM users WHERE username = 'leader1'").fetchone()[0]
    past = (london_today() - timedelta(days=1)).isoformat()
    answer = client.post("/plans", json={"date": past}, headers=as_user("officer1"))
    assert "today or a later day" in str(assert_problem(answer, 422, field="date"))
    week = client.post(
        f"/teams/{team_id}/week-plan", json={"start": past, "days": 2}, headers=as_user("leader1")
    )
    assert_problem(week, 422, field="start")
