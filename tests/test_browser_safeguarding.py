"""The safeguarding lead's concerns inbox in a real browser (helpers: tests/browser.py)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from sync.store.db import open_database
from tests.browser import SHOTS, WAIT, api_login, call, console_signs_in, expect
from tests.phone import Outbox, home_of

pytestmark = pytest.mark.browser


def _raise(base, token, uprn, *, danger, seen, minutes_ago):
    payload = {
        "uprn": uprn,
        "category": "child" if danger else "adult_at_risk",
        "subjects": ["Child, about 6", "Mother"] if danger else ["Tenant"],
        "immediate_danger": danger,
        "seen": seen,
    }
    observed = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    mutation = Outbox().create("concern", payload, observed_at=observed)
    result = call("POST", f"{base}/sync/push", {"mutations": [mutation]}, token)
    assert result["results"][0]["status"] == "applied", result
    return mutation["entity_id"]


def _reads(base, admin, concern_id) -> int:
    """How many times safeguarding1 has read the concern, by the audit log."""
    entries = call("GET", f"{base}/audit?entity_id={concern_id}&limit=500", token=admin)["items"]
    return sum(e["username"] == "safeguarding1" and e["action"] == "read" for e in entries)


def test_the_lead_refers_an_immediate_danger_and_clears_the_flag(browser, server, db_path):
    base = server.base
    db = open_database(db_path)
    uprn, _ = home_of(db, "officer1")
    other, _ = home_of(db, "officer2")
    line_1, postcode = db.execute(
        "SELECT address_line_1, postcode FROM properties WHERE uprn = ?", [uprn]
    ).fetchone()
    officer = api_login(base, "officer1")
    danger = _raise(
        base, officer, uprn, danger=True, seen="Child alone at 21:00, no heating.", minutes_ago=90
    )
    # Newer, but not in danger: it comes after the danger.
    colleague = api_login(base, "officer2")
    _raise(base, colleague, other, danger=False, seen="Little food in the home.", minutes_ago=5)
    admin = api_login(base, "admin")

    context, page, errors = console_signs_in(browser, base, "safeguarding1")
    tabs = page.get_by_role("navigation", name="Sections").get_by_role("button")
    expect(tabs).to_have_text(["Safeguarding concerns"])
    expect(page.locator("main h1")).to_have_text("Safeguarding concerns: open", timeout=WAIT)
    top = page.locator("main article.card").first
    expect(top.get_by_role("heading", level=2)).to_have_text(
        re.compile(f"^Immediate danger.*{re.escape(line_1)}.*{postcode}")
    )
    assert str(uprn) not in top.inner_text()
    expect(top).to_contain_text("Child, about 6; Mother")
    expect(top).to_contain_text("Child alone at 21:00, no heating.")
    expect(top).to_contain_text("No referral recorded yet.")

    # Opening a concern reads it again, and the audit log says so.
    before = _reads(base, admin, danger)
    assert before >= 1  # the inbox's list is a read too
    top.locator("summary").click()
    form = top.get_by_role("form", name=re.compile("Record a follow-up"))
    expect(form).to_be_visible(timeout=WAIT)
    assert _reads(base, admin, danger) == before + 1

    form.get_by_label("What was done or learnt").fill("Phoned the MASH; strategy meeting today.")
    form.get_by_label("Referred to").fill("Children's Services (MASH)")
    form.get_by_label("Referral reference").fill("MASH-2041")
    form.get_by_role("button", name="Record follow-up").click()
    expect(page.locator("main p.status").first).to_contain_text("Follow-up recorded", timeout=WAIT)
    top = page.locator("main article.card").first
    expect(top).to_contain_text("To Children's Services (MASH) (reference MASH-2041)")
    expect(top.get_by_role("heading", name="Follow-ups (1)")).to_be_visible(timeout=WAIT)
    lead = api_login(base, "safeguarding1")
    concern = call("GET", f"{base}/concerns/{danger}", token=lead)
    assert [f["referral_ref"] for f in concern["follow_ups"]] == ["MASH-2041"]
    top.locator("summary").click()  # closed again: the inbox as the lead sees it
    page.screenshot(path=SHOTS / "safeguarding-inbox.png")
    top.locator("summary").click()

    clear = top.get_by_role("form", name=re.compile("Clear the safeguarding flag"))
    clear.get_by_label("Why it can be cleared").fill("Case open with Children's Services.")
    clear.get_by_role("button", name="Clear the flag").click()
    expect(page.locator("main p.status").first).to_contain_text(
        "is cleared: 2 concerns closed", timeout=WAIT
    )
    still = call("GET", f"{base}/concerns?uprn={uprn}&flagged=true", token=lead)["items"]
    assert still == []
    expect(page.locator(f"main article[data-concern='{danger}']")).to_have_count(0)
    expect(page.locator("main article.card").first).to_contain_text("Little food")

    page.get_by_role("link", name="Closed").click()
    expect(page.locator("main h1")).to_have_text("Safeguarding concerns: closed", timeout=WAIT)
    expect(page.locator("main article.card").first).to_contain_text("by safeguarding1")

    entries = call("GET", f"{base}/audit?entity_id={danger}&limit=500", token=admin)["items"]
    acts = [e["action"] for e in entries if e["username"] == "safeguarding1"]
    assert {"read", "follow-up", "clear-flag"} <= set(acts)
    assert errors == []
    context.close()
