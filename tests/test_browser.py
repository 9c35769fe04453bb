"""The officer app and the console in a real browser (helpers and fixtures: tests/browser.py)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sync.store.db import open_database
from tests.browser import (
    DESKTOP,
    SHOTS,
    WAIT,
    api_login,
    call,
    contact_notes,
    expect,
    held_types,
    officer_signs_in,
    open_form,
    png,
    problems,
    sign_in,
)
from tests.conftest import doorstep
from tests.phone import Outbox, home_of

pytestmark = pytest.mark.browser


def test_officer_records_offline_and_everything_arrives_once(browser, server, tmp_path):
    base = server.base
    context, page, errors = officer_signs_in(browser, base)
    expect(page.get_by_text("60 homes in patch 1")).to_be_visible()

    # Today's plan, made on the server, reaches the phone through sync.
    page.get_by_role("button", name=re.compile("^Plan (my day|Monday)$")).click()
    stops = page.locator("ol.stops > li")
    expect(stops.first).to_be_visible(timeout=WAIT)
    assert stops.count() >= 3
    expect(page.locator("svg.map .point.stop").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "officer-today.png", full_page=True)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    uprn = stops.first.get_attribute("data-uprn")

    # Offline: the server process is gone.
    server.stop()
    stops.first.locator("a.stop-link").click()
    expect(page.get_by_role("heading", name="Record a visit")).to_be_visible()

    visit = open_form(page, "Record a visit")
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Notes").fill("Offline visit: agreed to call the benefits team.")
    visit.get_by_role("button", name="Save visit").click()
    expect(visit.locator(".status")).to_contain_text("Visit saved")
    expect(visit.locator(".status")).to_be_focused()

    repair = open_form(page, "Report a repair")
    repair.get_by_label("What", exact=True).select_option("damp_mould")
    repair.get_by_label("How serious").select_option("significant")
    repair.get_by_label("Where in the home").fill("Back bedroom")
    repair.get_by_label("What you saw").fill("Offline repair: black mould behind the wardrobe.")
    repair.get_by_label("Photo").set_input_files(
        files=[{"name": "mould.png", "mimeType": "image/png", "buffer": png()}]
    )
    repair.get_by_role("button", name="Save repair").click()
    expect(repair.locator(".status")).to_contain_text("Repair saved")

    concern = open_form(page, "Raise a safeguarding concern")
    concern.get_by_label("Category").select_option("adult_at_risk")
    concern.get_by_label("Who it is about").fill("Tenant")
    concern.get_by_label("What you saw or heard").fill("Offline concern: no heating, no food.")
    concern.get_by_role("button", name="Save concern").click()
    expect(concern.locator(".status")).to_contain_text("Concern saved")

    # Lone working: in and out, without losing what is being typed below.
    visit.get_by_label("Notes").fill("Half-written")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in at")).to_be_visible()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_text("Checked out. Stay safe.")).to_be_visible()
    expect(visit.get_by_label("Notes")).to_have_value("Half-written")
    expect(page.locator("#sync-pill")).to_have_text(re.compile("5 waiting"), timeout=WAIT)

    # A reload with no server: the service worker serves the app, IndexedDB the outbox.
    page.reload()
    expect(page.locator("#sync-pill")).to_have_text("Offline · 5 waiting", timeout=WAIT)
    page.goto(f"{base}/app/#sync")
    expect(page.locator("#waiting > li")).to_have_count(5)
    expect(page.get_by_text("1 photo(s) waiting to upload.")).to_be_visible()
    page.screenshot(path=SHOTS / "officer-offline-sync.png", full_page=True)

    # Back online: the same server, the same port.
    server.start()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()
    expect(page.get_by_text("Nothing rejected.")).to_be_visible()
    context.close()

    leader = api_login(base, "leader1")
    repairs = call("GET", f"{base}/repairs?uprn={uprn}", token=leader)["items"]
    mine = [r for r in repairs if r["description"].startswith("Offline repair")]
    assert len(mine) == 1
    assert len(mine[0]["photos"]) == 1 and mine[0]["missing_photos"] == []
    concerns = call("GET", f"{base}/concerns", token=leader)["items"]
    assert [c["seen"] for c in concerns].count("Offline concern: no heating, no food.") == 1
    notes = contact_notes(base, leader, uprn)
    assert notes.count("Offline visit: agreed to call the benefits team.") == 1, notes
    assert errors == []


def stored(page, key: str) -> dict | None:
    """One record as the app holds it in IndexedDB."""
    return page.evaluate(
        """(key) => new Promise((resolve) => {
             const open = indexedDB.open("doorstep");
             open.onsuccess = () => {
               const got = open.result.transaction("records").objectStore("records").get(key);
               got.onsuccess = () => resolve(got.result || null);
             };
           })""",
        key,
    )


def overdue_checkin(outbox, uprn) -> dict:
    """A check-in at ``uprn`` from three hours ago, due out two hours ago: overdue."""
    now = datetime.now(UTC)
    began = (now - timedelta(hours=3)).isoformat()
    due_out = (now - timedelta(hours=2)).isoformat()
    checkin = {"uprn": uprn, "checked_in_at": began, "expected_out_at": due_out}
    return outbox.make("checkin", str(uuid.uuid4()), "create", checkin, None, began)


def late_checkin(base, db_path) -> tuple[int, str]:
    """An officer1 check-in two hours overdue, pushed from another of their devices: its
    alert is the team leader's to clear. Returns (uprn, check-in id)."""
    db = open_database(db_path)
    uprn, _ = home_of(db, "officer1")
    db.close()
    late = overdue_checkin(Outbox(), uprn)
    token = api_login(base, "officer1")
    pushed = call("POST", f"{base}/sync/push", {"mutations": [late]}, token=token)
    assert pushed["results"][0]["status"] == "applied"
    return uprn, late["entity_id"]


def clear_alert(base, checkin_id):
    url = f"{base}/lone-working/alerts/{checkin_id}/clear"
    call("POST", url, {"note": "Phoned: safe."}, token=api_login(base, "leader1"))


def assert_check_out_kept_the_clearing(held: dict, errors: list) -> None:
    """The check-out was sent once and applied, and the phone holds it with the clearing."""
    assert held["outbox"] == ["applied"], held
    assert held["data"]["cleared_at"] and held["data"]["checked_out_at"], held
    assert errors == []


# The pushed cursor says the phone holds every version it has passed, so nothing the
# phone stores may hide a pulled copy (found in review: a team leader's clearing of an
# alert never reached the phone). Three ways a check-out met a clearing:


def test_a_check_out_tapped_after_a_background_pull_keeps_the_clearing(browser, server, db_path):
    """The screen was drawn before the sync brought the clearing."""
    base = server.base
    uprn, checkin_id = late_checkin(base, db_path)
    context, page, errors = officer_signs_in(browser, base)
    page.goto(f"{base}/app/#homes")
    page.goto(f"{base}/app/#home/{uprn}")
    expect(page.get_by_role("button", name="Check out")).to_be_visible(timeout=WAIT)
    clear_alert(base, checkin_id)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # a sync in the background
    page.wait_for_function(
        """(key) => new Promise((resolve) => {
             const open = indexedDB.open("doorstep");
             open.onsuccess = () => {
               const got = open.result.transaction("records").objectStore("records").get(key);
               got.onsuccess = () => resolve(Boolean(got.result?.data?.cleared_at));
             };
           })""",
        arg=f"checkin:{checkin_id}",
        timeout=WAIT,
    )
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_text("Checked out. Stay safe.")).to_be_visible()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    held = stored(page, f"checkin:{checkin_id}")["data"]
    context.close()
    assert held["checked_out_at"] and held["cleared_at"], held
    assert errors == []


def test_a_check_out_recorded_during_a_pull_keeps_the_clearing(browser, server, db_path):
    """The check-out waited in the outbox while a pull brought the clearing."""
    base = server.base
    _, checkin_id = late_checkin(base, db_path)
    context, page, errors = officer_signs_in(browser, base)  # holds the late check-in
    clear_alert(base, checkin_id)
    held = page.evaluate(
        """async (id) => {
             const { Engine } = await import("/app/sync.js");
             const engine = new Engine();
             await engine.load();
             const key = `checkin:${id}`;
             const payload = { checked_out_at: new Date().toISOString() };
             await engine.record("checkin", "update", payload,
               { entityId: id, local: { ...engine.records.get(key).data, ...payload } });
             clearTimeout(engine.timer);  // no push before the pull
             await engine.pull(engine.generation);
             await engine.sync();
             const outbox = [...engine.outbox.values()].map((e) => e.state);
             return { data: engine.records.get(key).data, outbox };
           }""",
        checkin_id,
    )
    context.close()
    assert_check_out_kept_the_clearing(held, errors)


def test_a_check_out_recorded_in_another_tab_while_a_page_is_applied(browser, server, db_path):
    """Another tab recorded the check-out between the page's reading of the outbox and
    its writing of the records."""
    base = server.base
    _, checkin_id = late_checkin(base, db_path)
    context, page, errors = officer_signs_in(browser, base)
    clear_alert(base, checkin_id)
    held = page.evaluate(
        """async (id) => {
             const { Engine } = await import("/app/sync.js");
             const syncing = new Engine(); await syncing.load();
             const tapped = new Engine(); await tapped.load();
             const key = `checkin:${id}`;
             let calls = 0, recorded;
             const check = syncing.check.bind(syncing);
             syncing.check = (generation) => {
               if (++calls === 2) {  // inside apply(), before it reads the outbox
                 const payload = { checked_out_at: new Date().toISOString() };
                 recorded = tapped.record("checkin", "update", payload,
                   { entityId: id, local: { ...tapped.records.get(key).data, ...payload } });
               }
               return check(generation);
             };
             await syncing.pull(syncing.generation);
             await recorded;
             clearTimeout(tapped.timer);
             const next = new Engine(); await next.load();
             await next.sync();  // push the check-out with the cursor, then pull
             const after = new Engine(); await after.load();
             return { data: after.records.get(key).data,
                      outbox: [...after.outbox.values()].map((e) => e.state) };
           }""",
        checkin_id,
    )
    context.close()
    assert_check_out_kept_the_clearing(held, errors)


def seed_review(base, db_path) -> dict:
    """Give the team leader something to review: a same-field conflict, a rejected
    record, a field warning marker, and an officer overdue from a lone visit."""
    db = open_database(db_path)
    uprn, ref = home_of(db, "officer1")
    db.close()
    officer, leader = api_login(base, "officer1"), api_login(base, "leader1")
    tenant = call("GET", f"{base}/tenancies/{ref}", token=leader)["tenants"][0]
    now = datetime.now(UTC)
    stamp = (now - timedelta(minutes=5)).isoformat(timespec="seconds")
    phone, desk = Outbox(), Outbox()

    def push(token, *mutations):
        return call("POST", f"{base}/sync/push", {"mutations": list(mutations)}, token=token)

    person, version = tenant["person_ref"], tenant["version"]
    push(leader, desk.make("tenant", person, "update", {"mobile": "07700 900111"}, version, stamp))
    edit = phone.make("tenant", person, "update", {"mobile": "07700 900222"}, version, stamp)
    conflict = push(officer, edit)
    assert conflict["results"][0]["status"] == "conflict"
    rejected = push(
        officer,
        phone.make(
            "visit", str(uuid.uuid4()), "create", {"uprn": 1, "outcome": "no_access"}, None, stamp
        ),
    )
    assert rejected["results"][0]["status"] == "rejected"
    marker = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "code": "dangerous_animals",
        "description": "Two large dogs loose in the garden.",
        "source_incident": "Officer threatened at the gate",
        "review_date": (now + timedelta(days=60)).date().isoformat(),
    }
    raised = phone.make("marker", str(uuid.uuid4()), "create", marker, None, stamp)
    assert push(officer, raised)["results"][0]["status"] == "applied"
    late = overdue_checkin(phone, uprn)
    assert push(officer, late)["results"][0]["status"] == "applied"
    return {"person": person, "uprn": uprn}


def test_team_leader_reviews_and_reassigns_and_the_phone_lets_the_patch_go(
    browser, server, db_path
):
    base = server.base
    seeded = seed_review(base, db_path)
    phone, page, phone_errors = officer_signs_in(browser, base)
    expect(page.get_by_text("60 homes in patch 1")).to_be_visible()

    desk = browser.new_context(viewport=DESKTOP)
    console = desk.new_page()
    console_errors = problems(console)
    sign_in(console, f"{base}/console/", "leader1")
    expect(console.locator("svg.map .point").first).to_be_attached(timeout=WAIT)
    assert console.locator("svg.map .area").count() == 3
    console.screenshot(path=SHOTS / "console-map.png", full_page=True)

    console.get_by_role("button", name="Patches and cover").click()
    card = console.locator("[data-patch]").first
    expect(card).to_be_visible(timeout=WAIT)
    name = card.locator("h2").inner_text()
    card.get_by_label(f"Officer for {name}").select_option(label="Officer 2 (officer2)")
    card.get_by_role("button", name=f"Save {name}").click()
    card.get_by_role("button", name=f"Yes, give {name} to Officer 2").click()
    expect(console.get_by_text(f"{name} now belongs to Officer 2")).to_be_visible()
    console.screenshot(path=SHOTS / "console-patches.png", full_page=True)

    # Review: one of each, acted on from the console.
    console.get_by_role("button", name="Review").click()
    expect(console.get_by_role("heading", name="Conflicts (1)")).to_be_visible(timeout=WAIT)
    expect(console.get_by_role("heading", name="Lone working alerts (1)")).to_be_visible()
    expect(console.get_by_role("heading", name="Rejected records (1)")).to_be_visible()
    expect(
        console.get_by_role("heading", name="Warning markers awaiting approval (1)")
    ).to_be_visible()
    console.screenshot(path=SHOTS / "console-review.png", full_page=True)
    # An alert is not cleared without a note of what was done.
    console.get_by_role("button", name="is safe: clear the alert").click()
    expect(console.get_by_text("say what was done")).to_be_visible(timeout=WAIT)
    expect(console.get_by_role("heading", name="Lone working alerts (1)")).to_be_visible()
    for button, after in [
        ("Use other value", "Conflicts (0)"),
        ("is safe: clear the alert", "Lone working alerts (0)"),
        ("Approve", "Warning markers awaiting approval (0)"),
        ("as reviewed", "Rejected records (0)"),
    ]:
        if "alert" in button:
            note = console.locator("input[aria-label^='What was done about']")
            note.fill("Phoned: safe, forgot to check out.")
        console.get_by_role("button", name=button).click()
        expect(console.get_by_role("heading", name=after)).to_be_visible(timeout=WAIT)
    leader = api_login(base, "leader1")
    person = call("GET", f"{base}/tenancies?uprn={seeded['uprn']}", token=leader)["items"]
    refs = [p["tenancy_ref"] for p in person]
    tenants = [
        t for ref in refs for t in call("GET", f"{base}/tenancies/{ref}", token=leader)["tenants"]
    ]
    assert {"07700 900222"} == {
        t["mobile"] for t in tenants if t["person_ref"] == seeded["person"]
    }
    assert call("GET", f"{base}/lone-working/alerts", token=leader) == []
    approved = call("GET", f"{base}/markers?status=approved", token=leader)["items"]
    assert [m["code"] for m in approved] == ["dangerous_animals"]

    # Planning: the team's week with a paired visit, fixed in both officers' plans.
    console.get_by_role("button", name="Planning").click()
    week = console.locator("form", has=console.get_by_role("heading", name="Plan the team's week"))
    expect(week).to_be_visible(timeout=WAIT)
    first_day = week.get_by_label("First day").input_value()
    week.get_by_label("Days").fill("1")
    week.get_by_label("Home (UPRN)").fill(str(seeded["uprn"]))
    week.get_by_label("Day", exact=True).fill(first_day)
    week.get_by_label("First officer").select_option(label="Officer 2")
    week.get_by_label("Second officer").select_option(label="Officer 3")
    week.get_by_role("button", name="Plan the week").click()
    expect(console.get_by_text("officer-days from")).to_be_visible(timeout=WAIT)
    expect(console.locator(".card h2", has_text="Officer 2")).to_be_visible(timeout=WAIT)
    console.screenshot(path=SHOTS / "console-planning.png", full_page=True)
    plans = call("GET", f"{base}/plans?date={first_day}", token=leader)
    paired = {p["officer"] for p in plans if seeded["uprn"] in [s["uprn"] for s in p["stops"]]}
    assert paired == {"officer2", "officer3"}

    console.get_by_role("button", name="Dashboard").click()
    expect(console.get_by_role("heading", name="Devices")).to_be_visible(timeout=WAIT)
    console.screenshot(path=SHOTS / "console-dashboard.png", full_page=True)

    # The phone's next sync removes the patch: its homes and everything held for them.
    page.goto(f"{base}/app/#sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    page.goto(f"{base}/app/#today")
    expect(page.get_by_text("You hold no patch today.")).to_be_visible()
    held = held_types(page)
    assert not {"property", "tenancy", "tenant", "account"} & set(held), held
    phone.close()
    desk.close()
    assert phone_errors == [] and console_errors == []


def test_a_revoked_phone_wipes_its_data_at_next_contact(browser, server):
    base = server.base
    phone, page, errors = officer_signs_in(browser, base, "officer2")
    leader = api_login(base, "leader1")
    devices = call("GET", f"{base}/devices", token=leader)
    mine = max((d for d in devices if d["username"] == "officer2"), key=lambda d: d["id"])
    call("POST", f"{base}/devices/{mine['id']}/revoke", {"reason": "Lost"}, token=leader)

    page.goto(f"{base}/app/#sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("signed out by your team leader")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert held_types(page) == []
    phone.close()
    assert errors == []


def record_visit(page, base, uprn, notes):
    page.goto(f"{base}/app/#home/{uprn}")
    visit = open_form(page, "Record a visit")
    visit.get_by_label("Outcome").select_option("no_access")
    visit.get_by_label("Notes").fill(notes)
    visit.get_by_role("button", name="Save visit").click()
    expect(visit.locator(".status")).to_contain_text("Visit saved")


def test_after_a_restore_the_app_uploads_everything_before_it_resets(
    browser, server, db_path, tmp_path
):
    base = server.base
    phone, page, errors = officer_signs_in(browser, base, "officer3")
    leader = api_login(base, "leader1")
    uprn = call("GET", f"{base}/properties?patch_id=3&limit=1", token=leader)["items"][0]["uprn"]
    backup = tmp_path / "before.tar"
    done = doorstep("backup", str(backup), database=db_path)
    assert done.returncode == 0, done.stderr

    # Acknowledged after the backup was taken: the restore loses it on the server.
    record_visit(page, base, uprn, "Acknowledged, then lost by the restore.")
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    server.stop()
    record_visit(page, base, uprn, "Recorded while the server was down.")
    done = doorstep("restore", str(backup), database=db_path)
    assert done.returncode == 0, done.stderr
    server.start()

    page.goto(f"{base}/app/#sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    page.goto(f"{base}/app/#today")
    expect(page.get_by_text("60 homes in patch 3")).to_be_visible(timeout=WAIT)
    phone.close()

    leader = api_login(base, "leader1")
    notes = contact_notes(base, leader, uprn)
    assert notes.count("Acknowledged, then lost by the restore.") == 1, notes
    assert notes.count("Recorded while the server was down.") == 1, notes
    assert errors == []


def test_the_app_refuses_what_would_lose_or_misrecord_work(browser, server):
    base = server.base
    phone, page, errors = officer_signs_in(browser, base, "officer4")
    leader = api_login(base, "leader2")
    uprn = call("GET", f"{base}/properties?patch_id=4&limit=1", token=leader)["items"][0]["uprn"]
    server.stop()
    page.goto(f"{base}/app/#home/{uprn}")
    visit = open_form(page, "Record a visit")
    # Nothing is chosen for the officer: the outcome must be picked.
    assert visit.get_by_label("Outcome").input_value() == ""
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Promised amount (£)").fill("20")
    visit.get_by_role("button", name="Save visit").click()
    expect(visit.locator(".status")).to_contain_text("Pay by: a promise of payment needs the date")
    page.goto(f"{base}/app/#sync")
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()

    record_visit(page, base, uprn, "Kept until it is sent.")
    page.goto(f"{base}/app/#sync")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("1 record(s) have not been sent yet")).to_be_visible()
    expect(page.locator("#waiting > li")).to_have_count(1)
    server.start()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("Nothing waiting.")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    phone.close()
    assert errors == []


def test_the_app_warns_before_asking_for_a_breathing_spaces_frozen_debt(browser, server, today):
    """A home in a Breathing Space: the home says what is frozen; a visit asking for the
    arrears is warned of before it is saved, and a second Save records it, flagged."""
    base = server.base
    admin, leader = api_login(base, "admin"), api_login(base, "leader1")
    query = f"{base}/tenancies?patch_id=1&status=current&limit=1"
    tenancy = call("GET", query, token=leader)["items"][0]
    ref, uprn = tenancy["tenancy_ref"], tenancy["uprn"]
    space = {
        "breathing_space_type": "standard",
        "breathing_space_start": (today - timedelta(days=10)).isoformat(),
        "breathing_space_end": (today + timedelta(days=50)).isoformat(),
        "moratorium_debt": 500.0,
    }
    row = {"tenancy_ref": ref, "as_of": today.isoformat(), "balance": 650.0, "benefit": "none"}
    call("POST", f"{base}/imports?kind=accounts&format=jsonl", row | space, token=admin)
    context, page, errors = officer_signs_in(browser, base)
    page.goto(f"{base}/app/#home/{uprn}")
    expect(page.get_by_text(re.compile("£500.00 frozen; ongoing rent £150.00"))).to_be_visible()
    visit = open_form(page, "Record a visit")
    visit.get_by_label("Tenancy").select_option(ref)
    visit.get_by_label("Outcome").select_option("contact_made")
    visit.get_by_label("Notes").fill("Asked for payment of arrears.")
    visit.get_by_role("button", name="Save visit").click()
    status = visit.locator(".status")
    expect(status).to_contain_text(f"Breathing Space on tenancy {ref}")
    expect(status).to_contain_text("asking for payment of the arrears")
    visit.get_by_role("button", name="Save visit").click()
    expect(status).to_contain_text("Visit saved")
    page.goto(f"{base}/app/#sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("Nothing waiting.")).to_be_visible(timeout=WAIT)
    flagged = call("GET", f"{base}/sync/flagged", token=leader)["items"]
    assert [(f["tenancy_ref"], f["rule"]) for f in flagged] == [(ref, "breathing-space-request")]
    context.close()
    assert errors == []
