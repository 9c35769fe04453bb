"""The team leader's console in a real browser: the lone-working banner on every tab,
addresses and sentences in its tables, and cover and reassignment that ask first
(helpers and fixtures: tests/browser.py)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import london_today
from sync.store.db import open_database
from tests.browser import SHOTS, WAIT, api_login, call, console_signs_in, expect
from tests.phone import Outbox, field_payloads, home_of
from tests.test_browser import late_checkin
from tests.test_browser_console import TEAM_SCREENS

pytestmark = pytest.mark.browser


def with_marker(db_path, uprn: int) -> None:
    """An approved "dangerous animals" marker in force at the home."""
    db = open_database(db_path)
    with db.atomic():
        db.execute(
            "INSERT INTO warning_markers (marker_ref, uprn, code, description, "
            "source_incident, start_date, review_date, imported_at, updated_at, status) "
            "VALUES ('M-BANNER', ?, 'dangerous_animals', 'Dog', 'Bitten', '2020-01-01', "
            "'2099-01-01', '2020-01-01', '2020-01-01', 'approved')",
            [uprn],
        )
    db.close()


def test_an_overdue_officer_is_on_every_tab_with_a_number_to_call(browser, server, db_path):
    base = server.base
    uprn, _ = late_checkin(base, db_path)
    with_marker(db_path, uprn)
    alert = call("GET", f"{base}/lone-working/alerts", token=api_login(base, "leader1"))[0]
    context, page, errors = console_signs_in(browser, base)
    banner = page.locator(".alert-banner")
    for name in TEAM_SCREENS:
        page.get_by_role("button", name=name, exact=True).click()
        expect(page.locator("main h1")).to_be_visible(timeout=WAIT)
        expect(banner).to_be_visible(timeout=WAIT)
        expect(banner).to_contain_text("Officer 1 is 2 hours")
        expect(banner).to_contain_text(f"{alert['address_line_1']}, {alert['postcode']}")
        expect(banner).to_contain_text("Dangerous animals")
        call_link = banner.get_by_role("link", name="Call Officer 1: 07700 900101")
        expect(call_link).to_have_attribute("href", "tel:+447700900101")
        expect(page).to_have_title(re.compile(r"^\(1\) "))
    page.screenshot(path=SHOTS / "alert-banner.png")

    banner.get_by_label("What was done about Officer 1").fill("Phoned: safe, visit ran long.")
    banner.get_by_role("button", name="Officer 1 is safe: clear").click()
    expect(banner).to_be_hidden(timeout=WAIT)
    expect(page.get_by_text("The alert for Officer 1 is cleared.")).to_be_visible()
    expect(page).not_to_have_title(re.compile(r"^\(\d+\) "))
    assert call("GET", f"{base}/lone-working/alerts", token=api_login(base, "leader1")) == []
    assert errors == []
    context.close()


def test_review_and_dashboard_name_homes_by_address_and_say_why_in_words(browser, server, db_path):
    base = server.base
    db = open_database(db_path)
    uprn, ref = home_of(db, "officer1")
    address = db.execute(
        "SELECT address_line_1 FROM properties WHERE uprn = ?", [uprn]
    ).fetchone()[0]
    db.close()
    payloads = field_payloads(uprn, ref, datetime.now(UTC))
    outbox, officer = Outbox(), api_login(base, "officer1")
    mutations = [
        outbox.create("marker", payloads["marker"] | {"code": "no_such_marker"}),
        outbox.create("marker", payloads["marker"]),
        outbox.create("repair", payloads["repair"] | {"hazard_class": "emergency"}),
    ]
    results = call("POST", f"{base}/sync/push", {"mutations": mutations}, token=officer)
    assert [r["status"] for r in results["results"]] == ["rejected", "applied", "applied"]

    context, page, errors = console_signs_in(browser, base)
    page.get_by_role("button", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Rejected records (1)")).to_be_visible(timeout=WAIT)
    rejected = page.locator("table", has=page.get_by_role("columnheader", name="Received"))
    expect(rejected).to_contain_text(f"A new warning marker at {address}")
    expect(rejected).to_contain_text("The warning marker's type “no_such_marker” is not one")
    pending = page.locator("table", has=page.get_by_role("columnheader", name="Raised by"))
    expect(pending).to_contain_text(address)
    main = page.locator("main")
    for code in ("payload.", "UPRN", "marker create"):
        expect(main).not_to_contain_text(code)

    page.get_by_role("button", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Arrears trend")).to_be_visible(timeout=WAIT)
    expect(main).to_contain_text(f"Hall at {address}")
    expect(main).not_to_contain_text("UPRN")
    trend = page.locator("table", has=page.get_by_role("columnheader", name="Week ending"))
    expect(trend).not_to_contain_text("£0.00")
    expect(trend).to_contain_text("No figures: before the first account snapshot")
    assert errors == []
    context.close()


def test_cover_and_reassignment_are_confirmed_before_they_act(browser, server):
    base = server.base
    leader = api_login(base, "leader1")
    context, page, errors = console_signs_in(browser, base)
    page.get_by_role("button", name="Patches and cover", exact=True).click()
    card = page.locator("[data-patch]").first
    expect(card).to_be_visible(timeout=WAIT)
    name = card.locator("h2").inner_text()
    patch_id = int(card.get_attribute("data-patch"))

    def patch():
        return next(p for p in call("GET", f"{base}/patches", token=leader) if p["id"] == patch_id)

    before = patch()
    card.locator("summary", has_text="Arrange cover").click()
    cover = card.locator("form", has=page.get_by_role("heading", name=f"Arrange cover for {name}"))
    assert cover.get_by_label("From").input_value() == ""
    assert cover.get_by_label("To (inclusive)").input_value() == ""
    # Nobody is chosen for the leader: the placeholder comes first (officers' ids once
    # sorted before it, and the first officer was chosen).
    officer = cover.get_by_label("Covering officer")
    assert officer.input_value() == "" and officer.locator("option").first.inner_text() == (
        "Choose an officer"
    )
    cover.get_by_role("button", name="Check this cover").click()  # nothing chosen: refused
    assert patch()["covers"] == before["covers"]
    first = london_today() + timedelta(days=1)
    last = first + timedelta(days=2)
    cover.get_by_label("Covering officer").select_option(label="Officer 2 (officer2)")
    cover.get_by_label("From").fill(first.isoformat())
    cover.get_by_label("To (inclusive)").fill(last.isoformat())
    cover.get_by_role("button", name="Check this cover").click()
    check = cover.locator(".confirm")
    expect(check).to_contain_text(f"Officer 2 (officer2) covers {name}")
    expect(check).to_contain_text(first.strftime("%A, %-d %B %Y"))
    expect(check).to_contain_text(last.strftime("%A, %-d %B %Y"))
    assert patch()["covers"] == before["covers"]  # nothing yet
    check.get_by_role("button", name="Confirm cover").click()
    expect(page.get_by_text(f"Cover arranged for {name}: Officer 2")).to_be_visible(timeout=WAIT)
    covers = patch()["covers"]
    assert [(c["start_date"], c["end_date"]) for c in covers] == [
        (first.isoformat(), last.isoformat())
    ]

    card = page.locator(f"[data-patch='{patch_id}']")
    card.get_by_label(f"Officer for {name}").select_option(label="Officer 3 (officer3)")
    card.get_by_role("button", name=f"Save {name}").click()
    ask = card.locator(".confirm")
    tenancies = len(call("GET", f"{base}/patches/{patch_id}/priorities", token=leader))
    expect(ask).to_contain_text(
        f"{before['officer_name']} ({before['officer_username']})'s phone will remove "
        f"{name}'s {before['home_count']} homes and {tenancies} current tenancies"
    )
    expect(ask).to_contain_text("Officer 3 (officer3)'s phone will receive them")
    ask.get_by_role("button", name=f"No, keep {name} as it is").click()
    expect(ask).to_be_hidden()
    assert patch()["officer_id"] == before["officer_id"]
    card.get_by_role("button", name=f"Save {name}").click()
    card.get_by_role("button", name=f"Yes, give {name} to Officer 3").click()
    expect(page.get_by_text(f"{name} now belongs to Officer 3")).to_be_visible(timeout=WAIT)
    assert patch()["officer_username"] == "officer3"
    assert errors == []
    context.close()
