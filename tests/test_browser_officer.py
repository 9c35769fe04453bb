"""The officer app's everyday details in a real browser (helpers and fixtures:
tests/browser.py): who may use it, reaching the tenant and the home, records that show
their true state, input sense, the homes list, re-planning and cover."""

import json
import re
from datetime import datetime, time, timedelta

import pytest

from sync.clock import LONDON, london_today
from sync.demo import DEMO_PASSWORD
from sync.store.db import open_database
from tests.browser import (
    PHONE,
    SHOTS,
    WAIT,
    api_login,
    call,
    expect,
    officer_signs_in,
    open_form,
    problems,
    sign_in,
)

pytestmark = pytest.mark.browser


def today_plan(base, username="officer1"):
    """Today's plan for an officer, made through the API (whatever the weekday)."""
    token = api_login(base, username)
    return call("POST", f"{base}/plans", {"date": london_today().isoformat()}, token=token)


def test_other_roles_are_told_to_use_the_console(browser, server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = problems(page)
    sign_in(page, f"{server.base}/app/", "repairs1")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Maintenance use the console at /console/")
    link = alert.get_by_role("link", name="Open the console")
    expect(link).to_have_attribute("href", "/console/")
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
    # Nothing is kept: no session, so no officers' forms and no "Plan my day".
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    sign_in(page, f"{server.base}/app/", "safeguarding1")
    expect(page.get_by_role("alert")).to_contain_text("Safeguarding leads use the console")
    context.close()
    assert errors == []


def test_the_plan_is_a_compact_list_to_call_text_and_get_directions(browser, server):
    plan = today_plan(server.base)
    context, page, errors = officer_signs_in(browser, server.base)
    stops = page.locator("ol.stops > li")
    expect(stops).to_have_count(len(plan["stops"]), timeout=WAIT)
    first = stops.first
    # Tenant names on the card; links to call, text and get directions.
    expect(first.locator(".names")).not_to_be_empty()
    calls = page.locator("ol.stops a[href^='tel:']")
    texts = page.locator("ol.stops a[href^='sms:']")
    assert calls.count() and calls.count() == texts.count()
    expect(page.locator("ol.stops a[href^='geo:']")).to_have_count(len(plan["stops"]))
    stop = plan["stops"][0]
    geo = first.locator("a[href^='geo:']")
    where = rf"^geo:{stop['latitude']},{stop['longitude']}"
    expect(geo).to_have_attribute("href", re.compile(where))
    web = first.get_by_role("link", name=re.compile("on a web map"), include_hidden=True)
    expect(web).to_have_attribute("href", re.compile("openstreetmap.org/directions"))
    # Every link is a 44 px tap target (the stop links were 20 px).
    for link in page.locator("ol.stops a:visible").all()[:12]:
        assert link.bounding_box()["height"] >= 44, link.inner_text()
    page.screenshot(path=SHOTS / "officer-plan-list.png", full_page=True)
    # Compact: the whole day is far shorter than the 5,700 px of cards it was.
    assert page.locator("ol.stops").bounding_box()["height"] < 150 * len(plan["stops"])
    # From the foot of the list, a home's page opens at its title, clear of the header.
    page.locator("a.stop-link").last.click()
    title = page.locator("main h1")
    expect(title).to_be_focused()
    header = page.locator("header.bar").bounding_box()
    assert title.bounding_box()["y"] >= header["y"] + header["height"]
    # Every number can be called and texted.
    page.goto(f"{server.base}/app/#home/{stop['uprn']}")
    expect(page.locator("#home-info a[href^='tel:']").first).to_be_visible()
    assert (
        page.locator("#home-info a[href^='tel:']").count()
        == page.locator("#home-info a[href^='sms:']").count()
    )
    context.close()
    assert errors == []


def test_a_visited_home_shows_its_outcome_and_what_was_sent(browser, server):
    plan = today_plan(server.base)
    context, page, errors = officer_signs_in(browser, server.base)
    uprn = plan["stops"][0]["uprn"]
    # The pull fails after the push: the visit was sent, and must not say otherwise.
    page.route("**/sync/pull*", lambda route: route.abort())
    page.goto(f"{server.base}/app/#home/{uprn}")
    visit = open_form(page, "Record a visit")
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_role("button", name="Save visit").click()
    expect(visit.locator(".status")).to_contain_text("Visit saved")
    recent = page.locator("#home-info")
    expect(recent).to_contain_text("Contact made")
    page.goto(f"{server.base}/app/#sync")
    expect(page.get_by_text("Nothing waiting.")).to_be_visible(timeout=WAIT)
    page.goto(f"{server.base}/app/#home/{uprn}")
    expect(recent).to_contain_text("Contact made")
    expect(recent).not_to_contain_text("not sent yet")
    page.unroute("**/sync/pull*")
    page.locator("#sync-pill").click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    page.goto(f"{server.base}/app/#home/{uprn}")
    expect(recent).not_to_contain_text("not sent yet")
    # Today's plan: the outcome, not the reasons for a visit already made.
    page.goto(f"{server.base}/app/#today")
    row = page.locator(f"ol.stops > li[data-uprn='{uprn}']")
    expect(row.locator(".tag.ok")).to_have_text("Visited today: Contact made with the tenant")
    expect(row).not_to_contain_text("No contact on record")
    context.close()
    assert errors == []


def test_a_text_file_is_refused_as_a_photo_at_once(browser, server):
    plan = today_plan(server.base)
    context, page, errors = officer_signs_in(browser, server.base)
    page.goto(f"{server.base}/app/#home/{plan['stops'][0]['uprn']}")
    repair = open_form(page, "Report a repair")
    repair.get_by_label("What", exact=True).select_option("damp_mould")
    repair.get_by_label("How serious").select_option("significant")
    repair.get_by_label("Where in the home").fill("Kitchen")
    repair.get_by_label("What you saw").fill("Mould above the window.")
    text = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}
    repair.get_by_label("Photo").set_input_files(files=[text])
    repair.get_by_role("button", name="Save repair").click()
    expect(repair.locator(".status")).to_contain_text("“notes.txt” is not a photo")
    expect(repair.get_by_label("Photo")).to_be_focused()
    expect(repair.get_by_label("Photo")).to_have_attribute("aria-invalid", "true")
    # The same bytes named as a JPEG are refused too: it is the bytes that count.
    disguised = {"name": "mould.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}
    repair.get_by_label("Photo").set_input_files(files=[disguised])
    repair.get_by_role("button", name="Save repair").click()
    expect(repair.locator(".status")).to_contain_text("“mould.jpg” is not a photo")
    page.goto(f"{server.base}/app/#sync")
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"))
    context.close()
    assert errors == []


def test_a_promise_above_the_balance_and_a_slow_arrangement_ask_first(browser, server):
    plan = today_plan(server.base)
    context, page, errors = officer_signs_in(browser, server.base)
    stop = next(s for s in plan["stops"] if s["tenancy_refs"])
    page.goto(f"{server.base}/app/#home/{stop['uprn']}")
    visit = open_form(page, "Record a visit")
    # One arrangement checkbox, not two.
    expect(visit.get_by_role("checkbox", name=re.compile("arrangement", re.I))).to_have_count(1)
    status = visit.locator(".status")
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Arrangement amount (£)").fill("10")
    visit.get_by_label("First payment").fill("")
    visit.get_by_role("button", name="Save visit").click()
    expect(status).to_contain_text("First payment:")
    expect(visit.get_by_label("First payment")).to_be_focused()
    visit.get_by_label("Arrangement amount (£)").fill("")
    pay_by = (london_today() + timedelta(days=7)).isoformat()
    visit.get_by_label("Promised amount (£)").fill("9999")
    visit.get_by_label("Pay by").fill(pay_by)
    visit.get_by_role("button", name="Save visit").click()
    expect(status).to_contain_text("The promise of £9,999.00 is more than the balance owed")
    page.goto(f"{server.base}/app/#sync")
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()
    page.go_back()
    visit = open_form(page, "Record a visit")
    status = visit.locator(".status")
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Arrangement amount (£)").fill("0.01")
    visit.get_by_label("How often").select_option("monthly")
    visit.get_by_role("button", name="Save visit").click()
    expect(status).to_contain_text("would take over 100 years to clear, longer than 2 years")
    visit.get_by_role("button", name="Save visit").click()
    expect(status).to_contain_text("Visit saved")
    context.close()
    assert errors == []


def test_the_homes_list_sorts_and_filters(browser, server):
    context, page, errors = officer_signs_in(browser, server.base)
    page.get_by_role("button", name="Homes").click()
    rows = page.locator("table.homes tbody tr")
    expect(rows).to_have_count(60, timeout=WAIT)

    def arrears():
        texts = page.locator("table.homes tbody tr td:nth-child(2)").all_inner_texts()
        return [float(t.replace("£", "").replace(",", "")) for t in texts]

    page.get_by_role("button", name=re.compile("^Arrears")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Arrears")
    assert arrears() == sorted(arrears(), reverse=True)
    page.get_by_role("button", name=re.compile("^Arrears")).click()
    assert arrears() == sorted(arrears())
    page.get_by_label("Only homes in arrears").check()
    assert all(a > 0 for a in arrears()) and len(arrears()) < 60
    # Priority comes from the server's scoring, held on the phone for offline use.
    page.get_by_role("button", name=re.compile("^Priority")).click()
    expect(page.locator("table.homes tbody tr td:nth-child(3)").first).not_to_have_text("\u2013")
    page.screenshot(path=SHOTS / "officer-homes.png", full_page=True)
    context.close()
    assert errors == []


def test_covering_a_patch_says_so_and_replans_from_here(browser, server):
    base = server.base
    leader = api_login(base, "leader1")
    officer2 = call(
        "POST",
        f"{base}/auth/login",
        {"username": "officer2", "password": DEMO_PASSWORD, "device_name": "t"},
    )
    today = london_today()
    cover = {
        "officer_id": officer2["user"]["id"],
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=3)).isoformat(),
        "reason": "annual_leave",
    }
    call("POST", f"{base}/patches/1/covers", cover, token=leader)
    plan = today_plan(base, "officer2")
    context, page, errors = officer_signs_in(browser, base, "officer2")
    notice = page.locator(".covering")
    expect(notice).to_contain_text("You are covering", timeout=WAIT)
    expect(notice).to_contain_text("Officer 1")
    # Re-planning from the phone's position (permitted), with the home visited fixed.
    context.grant_permissions(["geolocation"])
    start = plan["stops"][-1]
    context.set_geolocation({"latitude": start["latitude"], "longitude": start["longitude"]})
    # Mid-morning on the phone, whenever the suite runs: after the working day there is
    # no re-plan (the app says so).
    page.clock.set_fixed_time(datetime.combine(today, time(11), LONDON))
    page.get_by_role("button", name="Re-plan from here").click()
    token = officer2["token"]
    day = today.isoformat()
    for _ in range(60):
        mine = call("GET", f"{base}/plans?date={day}", token=token)
        if mine and mine[0]["id"] != plan["id"]:
            break
        page.wait_for_timeout(250)
    assert mine[0]["replaces"] == plan["id"] and mine[0]["start"]["label"] == "Your position"
    expect(page.locator(".plan-list .status")).to_be_empty(timeout=WAIT)
    context.close()
    assert errors == []


def test_at_the_weekend_the_app_plans_the_next_working_day(browser, server):
    context, page, errors = officer_signs_in(browser, server.base)
    now = london_today()
    saturday = now + timedelta(days=(5 - now.weekday()) % 7 or 7)
    page.clock.set_fixed_time(datetime(saturday.year, saturday.month, saturday.day, 10))
    page.reload()
    monday = saturday + timedelta(days=2)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Next working day: Monday {monday.day} {monday:%B}", timeout=WAIT
    )
    page.get_by_role("button", name="Plan Monday").click()
    expect(page.locator("ol.stops > li").first).to_be_visible(timeout=WAIT)
    token = api_login(server.base, "officer1")
    plans = call("GET", f"{server.base}/plans?date={monday}", token=token)
    assert len(plans) == 1
    context.close()
    assert errors == []


def test_a_paired_visit_names_the_partner_and_the_minute_both_start(browser, server):
    base = server.base
    day = london_today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    leader = api_login(base, "leader1")
    me = call("GET", f"{base}/me", token=leader)
    officers = {u["username"]: u["id"] for u in call("GET", f"{base}/users", token=leader)}
    home = max(
        call("GET", f"{base}/patches/1/priorities", token=leader), key=lambda x: x["score"]
    )["uprn"]
    paired = {"uprn": home, "date": day.isoformat(), "from": "10:00", "to": "12:00"}
    paired["officer_ids"] = [officers["officer1"], officers["officer2"]]
    body = {"start": day.isoformat(), "days": 1, "paired": [paired]}
    call("POST", f"{base}/teams/{me['team_id']}/week-plan", body, token=leader)

    context, page, errors = officer_signs_in(browser, base)
    page.clock.set_fixed_time(datetime(day.year, day.month, day.day, 8))
    page.reload()
    stop = page.locator(f"li.stop[data-uprn='{home}']")
    expect(stop).to_contain_text(
        re.compile(r"paired visit with Officer 2, both start at 1[01]:\d\d"), timeout=WAIT
    )
    context.close()
    assert errors == []


def test_a_tenancy_in_arrears_shows_its_13_week_statement_offline(browser, server, db_path):
    # The phone holds a compact statement of each tenancy in arrears; the home's screen
    # lays it out week by week and line by line, with the balance after each line.
    db = open_database(db_path)
    ref, uprn, body, balance = db.execute(
        "SELECT s.tenancy_ref, t.uprn, s.body, a.balance FROM phone_statements s "
        "JOIN tenancies t ON t.tenancy_ref = s.tenancy_ref "
        "JOIN account_snapshots a ON a.id = t.current_snapshot_id "
        "JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id "
        "JOIN users u ON u.id = p.officer_id WHERE u.username = 'officer1' "
        "ORDER BY s.tenancy_ref LIMIT 1"
    ).fetchone()
    db.close()
    held = json.loads(body)
    context, page, errors = officer_signs_in(browser, server.base)
    page.context.set_offline(True)
    page.goto(f"{server.base}/app/#home/{uprn}")
    card = page.locator(f"div.card:has(h2:text-is('Tenancy {ref}')) + details.statement")
    expect(card).to_have_count(1)
    card.locator("summary").click()
    weeks = card.locator("table.statement").nth(0).locator("tbody tr")
    expect(weeks).to_have_count(13)
    lines = card.locator("table.statement").nth(1).locator("tbody tr")
    expect(lines).to_have_count(len(held["transactions"]["day"]))
    closing = f"£{held['closing_balance_pence'] / 100:,.2f}"
    expect(lines.last.locator("td").last).to_have_text(closing)
    expect(weeks.last.locator("td").last).to_have_text(closing)
    card.screenshot(path=SHOTS / "officer-statement.png")
    assert round(balance * 100) == held["account_balance_pence"]
    context.close()
    assert errors == []


def test_a_rejected_record_says_where_and_what_was_recorded(browser, server):
    """Found in a browser: a rejected arrangement said neither its home nor what was
    agreed, and named the field as payload.start_date. The phone's clock runs months
    fast, so the first payment it offers is too far from the day the server takes."""
    plan = today_plan(server.base)
    stop = next(s for s in plan["stops"] if s["tenancy_refs"])
    context, page, errors = officer_signs_in(browser, server.base)
    page.clock.set_fixed_time(datetime.now(LONDON) + timedelta(days=120))
    page.goto(f"{server.base}/app/#home/{stop['uprn']}")
    visit = open_form(page, "Record a visit")
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Arrangement amount (£)").fill("50")
    visit.get_by_role("button", name="Save visit").click()
    status = visit.locator(".status")
    expect(status).to_contain_text(re.compile("Visit saved|Check with the tenant"))
    if "Visit saved" not in status.inner_text():
        visit.get_by_role("button", name="Save visit").click()
        expect(status).to_contain_text("Visit saved")
    page.locator("#sync-pill").click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text("1 rejected", timeout=WAIT)
    rejected = page.locator("#rejected")
    expect(rejected).to_contain_text(f"Repayment arrangement at {stop['address'].split(',')[0]}")
    expect(rejected).to_contain_text("(start date:")
    expect(rejected).not_to_contain_text("payload.")
    expect(rejected).to_contain_text("What you recorded: £50.00 weekly, first payment")
    context.close()
    assert errors == []


def test_an_officer_raises_a_warning_marker_for_approval(browser, server):
    """Found in a browser: the protocol takes a marker from a phone, and the console has
    its approval queue, but the officer app had no way to raise one."""
    plan = today_plan(server.base)
    uprn = plan["stops"][0]["uprn"]
    context, page, errors = officer_signs_in(browser, server.base)
    page.goto(f"{server.base}/app/#home/{uprn}")
    marker = open_form(page, "Raise a warning marker")
    marker.get_by_label("Type").select_option("dangerous_animals")
    marker.get_by_label("The risk, for whoever visits next").fill("Large dog loose in the garden.")
    marker.get_by_label("What happened").fill("The dog went for me at the gate.")
    marker.get_by_role("button", name="Save marker").click()
    expect(marker.locator(".status")).to_contain_text("Marker saved")
    expect(page.locator("#home-info")).to_contain_text("(awaiting approval)")
    page.locator("#sync-pill").click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    leader = api_login(server.base, "leader1")
    pending = call("GET", f"{server.base}/markers", token=leader)["items"]
    raised = [m for m in pending if m["uprn"] == uprn and m["code"] == "dangerous_animals"]
    assert len(raised) == 1 and raised[0]["description"] == "Large dog loose in the garden."
    context.close()
    assert errors == []
