"""Absences in the console, in a real browser: the leader records an officer's leave,
accepts the cover proposed for their patch, and the coverer's plan takes in its homes."""

import re
from datetime import timedelta

import pytest

from sync.clock import london_today
from tests.browser import SHOTS, WAIT, api_login, call, console_signs_in, expect

pytestmark = pytest.mark.browser


def test_a_leader_records_leave_and_confirms_the_proposed_cover(browser, server):
    first = london_today() + timedelta(days=1)
    last = first + timedelta(days=4)
    context, page, errors = console_signs_in(browser, server.base, "leader1")
    page.get_by_role("button", name="Absences", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Absences and cover", timeout=WAIT)
    form = page.locator("form", has=page.get_by_role("heading", name="Record an absence"))
    # No day is filled in: a click records nothing nobody chose.
    assert form.get_by_label("First day away").input_value() == ""
    form.get_by_role("button", name="Record the absence").click()
    assert call("GET", f"{server.base}/absences", token=api_login(server.base, "leader1")) == []
    form.get_by_label("Officer").select_option(label="Officer 3")
    form.get_by_label("Why").select_option("annual_leave")
    form.get_by_label("First day away").fill(first.isoformat())
    form.get_by_label("Last day away (inclusive)").fill(last.isoformat())
    form.get_by_label("Note").fill("A week in Cornwall")
    form.get_by_role("button", name="Record the absence").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Officer 3 is away (annual leave)", timeout=WAIT)
    expect(status).to_contain_text("One patch needs cover")
    card = page.locator("[data-absence]").first
    expect(card).to_contain_text("No cover on 5 days")
    expect(card.locator("[data-proposal]")).to_contain_text("Proposed: Officer 2")
    expect(card.locator("[data-proposal]")).to_contain_text("nearest patch")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "console-absence-proposal.png", full_page=True)
    # Nothing is arranged until the leader confirms.
    card.get_by_text("Arrange cover by Officer 2…").click()
    card.get_by_role("button", name="Confirm cover of Westbury").click()
    expect(status).to_contain_text("Officer 2 covers Westbury", timeout=WAIT)
    expect(page.locator("[data-covered]")).to_contain_text("covered every day of the absence")
    assert errors == []
    context.close()

    leader = api_login(server.base, "leader1")
    users = call("GET", f"{server.base}/users?role=officer", token=leader)
    ids = {u["username"]: u["id"] for u in users}
    westbury = next(
        p for p in call("GET", f"{server.base}/patches", token=leader) if p["name"] == "Westbury"
    )
    cases = call("GET", f"{server.base}/patches/{westbury['id']}/priorities", token=leader)
    covered = {c["uprn"] for c in cases}
    day = first.isoformat()
    plan = call(
        "POST", f"{server.base}/plans", {"officer_id": ids["officer2"], "date": day}, leader
    )
    assert {s["uprn"] for s in plan["stops"]} & covered, "the coverer's plan has no Westbury home"
    # The planning screen shows it, and officer3 has no plan that day.
    context, page, errors = console_signs_in(browser, server.base, "leader1")
    page.goto(f"{server.base}/console/#planning?date={day}")
    officer2 = page.locator(".card", has=page.get_by_role("heading", name="Officer 2"))
    expect(officer2.locator("ol li").first).to_be_visible(timeout=WAIT)
    westbury_stop = next(s for s in plan["stops"] if s["uprn"] in covered)
    expect(officer2).to_contain_text(westbury_stop["address"])
    officer3 = page.locator(".card", has=page.get_by_role("heading", name="Officer 3"))
    officer3.get_by_role("button", name=re.compile("Plan")).click()
    expect(page.get_by_role("status")).to_contain_text("annual leave", timeout=WAIT)
    assert errors == []
    context.close()
