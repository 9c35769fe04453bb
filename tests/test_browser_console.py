"""The staff console in a real browser, role by role (helpers and fixtures: tests/browser.py)."""

import pytest

from tests.browser import DESKTOP, WAIT, console_signs_in, expect, sign_in

pytestmark = pytest.mark.browser

TEAM_SCREENS = [
    "Map",
    "Patches and cover",
    "Absences",
    "Planning",
    "Cases",
    "Review",
    "Dashboard",
    "Repairs",
]


def test_a_team_leader_opens_every_screen_without_a_script_error(browser, server):
    context, page, errors = console_signs_in(browser, server.base, "leader1")
    tabs = page.get_by_role("navigation", name="Sections").get_by_role("button")
    expect(tabs).to_have_text(TEAM_SCREENS)
    for name in TEAM_SCREENS:
        page.get_by_role("button", name=name, exact=True).click()
        expect(page.locator("main h1")).to_be_visible(timeout=WAIT)
        section = page.locator("main > section")
        expect(section).not_to_have_attribute("aria-busy", "true", timeout=WAIT)
        assert not page.locator("main [role=alert][data-tone=bad]").count(), name
    assert errors == []
    context.close()


def test_an_officer_is_sent_to_the_app(browser, server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, f"{server.base}/console/", "officer1")
    expect(page.get_by_role("alert")).to_contain_text("Officers use the app at /app/")
    context.close()
