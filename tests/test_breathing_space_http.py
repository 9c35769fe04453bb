"""Breathing Space through HTTP: the import keeps every one a tenancy has had and marks
steps taken inside one; the account, the phones' account record and the priority tell the
moratorium debt from ongoing arrears; a phone's asks for the frozen debt are kept but
flagged; team leaders review both; a plan says a stop in one is a support visit."""

import json
from datetime import UTC, datetime, timedelta

from server.cli import main
from tests.conftest import assert_problem
from tests.phone import Outbox, Phone, push


def _quiet_tenancy(db, username="officer1", skip=0):
    """(uprn, tenancy) of the user's patch: the only tenancy at its home, never yet in a
    Breathing Space."""
    return db.execute(
        "SELECT t.uprn, t.tenancy_ref FROM tenancies t JOIN patch_properties pp "
        "ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id JOIN users u "
        "ON u.id = p.officer_id WHERE u.username = ? AND t.end_date IS NULL "
        "AND t.tenure = 'secure' "
        "AND NOT EXISTS (SELECT 1 FROM breathing_spaces b WHERE b.tenancy_ref = t.tenancy_ref) "
        "AND (SELECT count(*) FROM tenancies o WHERE o.uprn = t.uprn) = 1 "
        "ORDER BY t.uprn LIMIT 1 OFFSET ?",
        [username, skip],
    ).fetchone()


def _import(client, as_user, rows) -> dict:
    body = "\n".join(json.dumps({"benefit": "none"} | r) for r in rows).encode()
    response = client.post(
        "/imports?kind=accounts&format=jsonl", data=body, headers=as_user("admin")
    )
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert run["rejected"] == 0, run["errors"]
    return run


def _in_space(client, as_user, ref, today, **extra) -> tuple[str, str]:
    """A standard Breathing Space from 10 days ago: £500 owed the day it started, £650
    now (£150 of ongoing rent unpaid)."""
    start, end = today - timedelta(days=10), today + timedelta(days=50)
    space = {
        "breathing_space_type": "standard",
        "breathing_space_start": start.isoformat(),
        "breathing_space_end": end.isoformat(),
        "breathing_space_notified_by": "Insolvency Service",
    }
    _import(
        client,
        as_user,
        [
            {"tenancy_ref": ref, "as_of": start.isoformat(), "balance": 500.0},
            {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 650.0, **space, **extra},
        ],
    )
    return start.isoformat(), end.isoformat()


def test_every_breathing_space_is_kept_and_the_account_splits_the_debt(
    client, as_user, tokens, db, today
):
    _, ref = _quiet_tenancy(db)
    start, end = _in_space(client, as_user, ref, today)
    account = client.get(f"/tenancies/{ref}", headers=as_user("officer1")).get_json()["account"]
    space = account["breathing_space"]
    assert (space["start_date"], space["end_date"], space["active"]) == (start, end, True)
    assert space["notified_by"] == "Insolvency Service"
    assert (space["moratorium_debt"], space["ongoing_arrears"]) == (500.0, 150.0)
    assert space["debt_as_of"] == start
    # The phone's account record carries the same split.
    held = Phone.synced(client, tokens["officer1"])[("account", ref)]["breathing_space"]
    assert (held["moratorium_debt"], held["ongoing_arrears"], held["active"]) == (
        500.0,
        150.0,
        True,
    )

    # It ends; a mental health crisis one follows, no end known yet; then the housing
    # system stops sending the first: the history keeps both.
    later = today + timedelta(days=60)
    crisis = {"breathing_space_type": "mental_health_crisis"}
    _import(
        client,
        as_user,
        [
            {
                "tenancy_ref": ref,
                "as_of": (today + timedelta(days=1)).isoformat(),
                "balance": 640.0,
                **crisis,
                "breathing_space_start": later.isoformat(),
                "moratorium_debt": 720.0,
                "breathing_space_notified_by": "StepChange debt adviser",
            }
        ],
    )
    history = client.get(f"/tenancies/{ref}/breathing-spaces", headers=as_user("leader1"))
    items = history.get_json()["items"]
    assert [(i["type"], i["start_date"], i["end_date"]) for i in items] == [
        ("standard", start, end),
        ("mental_health_crisis", later.isoformat(), None),
    ]
    assert [(i["moratorium_debt"], i["debt_source"]) for i in items] == [
        (500.0, "snapshot"),
        (720.0, "import"),
    ]
    assert [i["notified_by"] for i in items] == ["Insolvency Service", "StepChange debt adviser"]
    assert [i["active"] for i in items] == [True, False]
    assert items[0]["ongoing_arrears"] == 140.0
    # Only rent account roles see it.
    assert_problem(
        client.get(f"/tenancies/{ref}/breathing-spaces", headers=as_user("repairs1")), 403
    )
    assert_problem(
        client.get(f"/tenancies/{ref}/breathing-spaces", headers=as_user("officer4")), 404
    )


def test_a_breathing_space_column_without_one_is_refused(client, as_user, db, today):
    _, ref = _quiet_tenancy(db)
    row = {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 10, "benefit": "none"}
    rows = [row | {"moratorium_debt": 10}, row | {"moratorium_step_basis": "sometimes"}]
    body = "\n".join(json.dumps(r) for r in rows)
    response = client.post(
        "/imports?kind=accounts&format=jsonl", data=body, headers=as_user("admin")
    )
    assert [(e["line"], list(e["errors"])) for e in response.get_json()["errors"]] == [
        (1, ["moratorium_debt"]),
        (2, ["moratorium_step_basis"]),
    ]


def test_a_step_inside_a_breathing_space_is_stored_warned_of_and_reviewed(
    client, as_user, db, db_path, today, capsys
):
    _, ref = _quiet_tenancy(db)
    start, end = _in_space(client, as_user, ref, today)
    served = (today - timedelta(days=2)).isoformat()
    notice = {
        "notice_type": "nosp",
        "notice_served_date": served,
        "notice_expiry_date": (today + timedelta(days=26)).isoformat(),
    }
    row = {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 655.0, **notice}
    run = _import(client, as_user, [row])
    assert (run["updated"], run["warnings"]) == (1, 1)
    (warning,) = run["warning_lines"]
    assert (warning["line"], warning["rule"], warning["field"]) == (
        1,
        "breathing-space-notice",
        "notice_served_date",
    )
    assert f"({start} to {end})" in warning["message"] and "£500.00" in warning["message"]

    # Tonight's balance is kept, and the legal stage; the step is marked unlawful.
    account = client.get(f"/tenancies/{ref}", headers=as_user("officer1")).get_json()["account"]
    assert (account["balance"], account["legal_stage"]) == (655.0, "notice")
    (step,) = account["legal"]["unlawful_steps"]
    assert (step["step"], step["date"], step["rule"], step["reviewed"]) == (
        "notice",
        served,
        "breathing-space-notice",
        False,
    )

    # The next night's file sends the same step: warned of again, reviewed once.
    path = db_path.parent / "accounts.csv"
    path.write_text(
        "tenancy_ref,as_of,balance,benefit,notice_type,notice_served_date,notice_expiry_date\n"
        f"{ref},{today + timedelta(days=1)},660.00,none,nosp,{served},"
        f"{notice['notice_expiry_date']}\n"
    )
    assert main(["--database", str(db_path), "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warnings 1" in out
    assert "line 2: warning breathing-space-notice (notice_served_date):" in out

    flagged = client.get("/sync/flagged", headers=as_user("leader1")).get_json()["items"]
    (item,) = [f for f in flagged if f["tenancy_ref"] == ref]
    assert (item["source"], item["rule"], item["step"], item["step_date"]) == (
        "import",
        "breathing-space-notice",
        "notice",
        served,
    )
    assert (item["run_id"], item["line"]) == (run["id"], 1)
    assert client.get("/sync/flagged", headers=as_user("leader2")).get_json()["items"] == []

    # A leader reviews it, with a note; the tenancy shows it reviewed.
    note = {"note": "Legal withdrew the notice; the court is told of the Breathing Space."}
    reviewed = client.post(
        f"/sync/flagged/{item['id']}/review", json=note, headers=as_user("leader1")
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    assert reviewed.get_json()["review_note"] == note["note"]
    assert reviewed.get_json()["reviewed_by_username"] == "leader1"
    account = client.get(f"/tenancies/{ref}", headers=as_user("officer1")).get_json()["account"]
    assert account["legal"]["unlawful_steps"][0]["reviewed"] is True


def test_a_step_with_a_basis_or_after_the_end_stands(client, as_user, db, today):
    _, ref = _quiet_tenancy(db)
    start, end = _in_space(client, as_user, ref, today)
    allowed = {
        "tenancy_ref": ref,
        "as_of": today.isoformat(),
        "balance": 650.0,
        "notice_type": "nosp",
        "notice_served_date": start,
        "notice_expiry_date": (today + timedelta(days=30)).isoformat(),
        "moratorium_step_basis": "ongoing_rent_only",
    }
    run = _import(client, as_user, [allowed])
    assert run["warnings"] == 0
    account = client.get(f"/tenancies/{ref}", headers=as_user("officer1")).get_json()["account"]
    assert account["legal"]["step_basis"] == "ongoing_rent_only"
    assert account["legal"]["unlawful_steps"] == []
    # A claim the day after the Breathing Space ended: no longer inside it.
    after = (datetime.fromisoformat(end) + timedelta(days=1)).date()
    claim = allowed | {"as_of": after.isoformat(), "claim_date": after.isoformat()}
    del claim["moratorium_step_basis"]
    run = _import(client, as_user, [claim])
    assert "breathing-space-claim" not in {w["rule"] for w in run["warning_lines"]}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_asks_for_the_frozen_debt_are_kept_flagged_and_reviewed(
    client, as_user, tokens, db, today
):
    uprn, ref = _quiet_tenancy(db)
    _in_space(client, as_user, ref, today)
    phone = Outbox()
    promise_date = (today + timedelta(days=7)).isoformat()
    asked = phone.create(
        "visit",
        {
            "uprn": uprn,
            "tenancy_ref": ref,
            "outcome": "contact_made",
            "promise_amount": 200.0,  # more than the £150 of ongoing rent
            "promise_date": promise_date,
            "notes": "Asked for payment of arrears.",
        },
        observed_at=_now(),
    )
    ongoing = phone.create(
        "visit",
        {
            "uprn": uprn,
            "tenancy_ref": ref,
            "outcome": "contact_made",
            "promise_amount": 150.0,
            "promise_date": promise_date,
            "notes": "Agreed to pay this month's rent; welfare check.",
        },
        observed_at=_now(),
    )
    terms = {"tenancy_ref": ref, "amount": 10.0, "frequency": "weekly"}
    arrangement = phone.create(
        "arrangement", terms | {"start_date": today.isoformat()}, observed_at=_now()
    )
    results = push(client, as_user("officer1"), asked, ongoing, arrangement)["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    assert ["breathing-space" in r["flags"] for r in results] == [True, False, True]

    # On the records too, and on the phone.
    held = Phone.synced(client, tokens["officer1"])
    assert held[("visit", asked["entity_id"])]["flags"] == ["breathing-space"]
    assert held[("visit", ongoing["entity_id"])]["flags"] == []
    assert held[("arrangement", arrangement["entity_id"])]["flags"] == ["breathing-space"]

    flagged = client.get("/sync/flagged", headers=as_user("leader1")).get_json()["items"]
    mine = {
        (f["entity_type"], f["entity_id"], f["rule"]) for f in flagged if f["source"] == "push"
    }
    assert mine == {
        ("visit", asked["entity_id"], "breathing-space-promise"),
        ("visit", asked["entity_id"], "breathing-space-request"),
        ("arrangement", arrangement["entity_id"], "breathing-space-arrangement"),
    }
    first = flagged[0]
    assert first["username"] == "officer1" and "£500.00 frozen" in first["message"]

    # Review: the team's leaders and admins, with a note, once.
    url = f"/sync/flagged/{first['id']}/review"
    assert_problem(client.post(url, json={"note": "x"}, headers=as_user("officer1")), 403)
    assert_problem(client.post(url, json={"note": "x"}, headers=as_user("leader2")), 404)
    assert_problem(client.post(url, json={}, headers=as_user("leader1")), 422, field="note")
    assert_problem(client.post(url, json={"note": ""}, headers=as_user("leader1")), 422)
    note = {"note": "Spoke to the officer: the promise is withdrawn."}
    assert client.post(url, json=note, headers=as_user("leader1")).status_code == 200
    assert_problem(client.post(url, json=note, headers=as_user("admin")), 409, "already-reviewed")
    still_open = client.get("/sync/flagged", headers=as_user("admin")).get_json()["items"]
    assert first["id"] not in {f["id"] for f in still_open}
    done = client.get("/sync/flagged?status=reviewed", headers=as_user("leader1")).get_json()
    assert [f["id"] for f in done["items"]] == [first["id"]]
    assert_problem(client.get("/sync/flagged", headers=as_user("officer1")), 403)
    assert_problem(client.get("/sync/flagged?status=maybe", headers=as_user("leader1")), 422)


def test_a_visit_after_the_breathing_space_ended_is_not_flagged(client, as_user, db, today):
    uprn, ref = _quiet_tenancy(db)
    start = today - timedelta(days=70)
    space = {
        "breathing_space_type": "standard",
        "breathing_space_start": start.isoformat(),
        "breathing_space_end": (today - timedelta(days=1)).isoformat(),
    }
    row = {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 900.0, **space}
    _import(client, as_user, [row])
    visit = Outbox().create(
        "visit",
        {"uprn": uprn, "outcome": "contact_made", "notes": "Asked for payment of the arrears."},
        observed_at=_now(),
    )
    (result,) = push(client, as_user("officer1"), visit)["results"]
    assert result["status"] == "applied" and "breathing-space" not in result["flags"]


def test_a_must_visit_in_a_breathing_space_is_planned_as_a_support_visit(
    client, as_user, db, today
):
    uprn, ref = _quiet_tenancy(db)
    _in_space(client, as_user, ref, today)
    request = {"date": today.isoformat(), "must_visit": [uprn]}
    response = client.post("/plans", json=request, headers=as_user("officer1"))
    assert response.status_code == 201, response.get_json()
    (stop,) = [s for s in response.get_json()["stops"] if s["uprn"] == uprn]
    first = stop["reasons"][0]
    assert (first["code"], first["kind"], first["tenancy_ref"]) == (
        "breathing-space",
        "support",
        ref,
    )
    assert "support and welfare visit" in first["text"]
    assert "moratorium debt of £500.00" in first["text"]
    assert "ongoing rent of £150.00 may be asked for" in first["text"]
    assert not any(r["kind"] == "enforcement" for r in stop["reasons"])

    priority = client.get(f"/tenancies/{ref}/priority", headers=as_user("officer1")).get_json()
    assert priority["moratorium"]["ongoing_arrears"] == 150.0
    active = [r for r in priority["reasons"] if "suppressed" not in r]
    assert {r["kind"] for r in active} <= {"ongoing-rent", "support", "legal"}
    assert "ongoing-arrears" in {r["code"] for r in active}


def test_a_standard_space_sent_without_an_end_ends_when_the_law_says(client, as_user, db, today):
    """Found by probing: a standard Breathing Space sent with no end was taken as
    open-ended, and held off enforcement for good. It lasts 60 days, its first counted;
    only a mental health crisis one runs with no end known."""
    (_, standard), (_, crisis) = _quiet_tenancy(db), _quiet_tenancy(db, skip=1)
    start = today - timedelta(days=10)
    rows = [
        {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 300.0}
        | {"breathing_space_type": kind, "breathing_space_start": start.isoformat()}
        for ref, kind in ((standard, "standard"), (crisis, "mental_health_crisis"))
    ]
    _import(client, as_user, rows)
    ends = dict(
        db.execute(
            "SELECT tenancy_ref, end_date FROM breathing_spaces WHERE tenancy_ref IN (?, ?)",
            [standard, crisis],
        ).fetchall()
    )
    assert ends == {standard: (start + timedelta(days=59)).isoformat(), crisis: None}
    again = _import(client, as_user, rows)
    assert again["unchanged"] == 2  # the end worked out is the same each night
