"""Maintenance's console in a real browser (helpers and fixtures: tests/browser.py): the
repairs queue with addresses and deadlines, the overdue filter, a repair's photo, a step
recorded with its ETag (and one refused with 412, read again, not lost), the job sheet."""

import hashlib
import re
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from sync.store.db import open_database
from tests.browser import SHOTS, WAIT, api_login, call, console_signs_in, expect, png
from tests.phone import Outbox

pytestmark = pytest.mark.browser


# Homes for the queue: three with a warning marker, two with a tenant's access needs,
# each with the officer whose patch it is (who reports the repair from there).
HOMES = """
SELECT t.uprn, t.tenancy_ref, u.username FROM tenancies t
JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id
JOIN users u ON u.id = p.officer_id WHERE t.end_date IS NULL AND {} ORDER BY t.uprn LIMIT ?
"""
MARKED = (
    "EXISTS (SELECT 1 FROM warning_markers m WHERE m.uprn = t.uprn AND m.status = 'approved' "
    "AND m.end_date IS NULL)"
)
NEEDS = (
    "EXISTS (SELECT 1 FROM tenants n WHERE n.tenancy_ref = t.tenancy_ref "
    "AND (n.interpreter_needed OR n.reasonable_adjustments IS NOT NULL))"
)
# (hazard class, hours since it was seen, category, location, description)
REPAIRS = (
    (
        "emergency",
        30,
        "electrical",
        "Kitchen ceiling",
        "Water coming through the light fitting; the circuit trips.",
    ),
    (
        "significant",
        600,
        "damp_mould",
        "Bedroom",
        "Black mould across the outside wall and the window frame.",
    ),
    (
        "emergency",
        20,
        "gas",
        "Kitchen",
        "Smell of gas by the boiler; the tenant has turned it off.",
    ),
    (
        "significant",
        2,
        "water_leak",
        "Bathroom",
        "Leak under the bath soaking through to the hall ceiling.",
    ),
    (
        "routine",
        72,
        "security",
        "Front door",
        "The lock sticks; the door is hard to open from outside.",
    ),
)


def put_photo(base, token) -> str:
    photo = png()
    sha = hashlib.sha256(photo).hexdigest()
    upload = urllib.request.Request(f"{base}/blobs/{sha}", data=photo, method="PUT")
    upload.add_header("Authorization", f"Bearer {token}")
    upload.add_header("Content-Type", "application/octet-stream")
    with urllib.request.urlopen(upload, timeout=10) as response:
        assert response.status == 200
    return sha


def fill_the_queue(base, db_path) -> str:
    """Each home's officer reports a repair from it; the first, an emergency seen 30 hours
    ago, has a photo. Returns its id."""
    db = open_database(db_path)
    homes = db.execute(HOMES.format(MARKED), [3]).fetchall()
    homes += db.execute(HOMES.format(f"NOT {MARKED} AND {NEEDS}"), [2]).fetchall()
    db.close()
    ids = []
    for (uprn, ref, officer), (hazard, hours, category, where, text) in zip(
        homes, REPAIRS, strict=True
    ):
        token = api_login(base, officer)
        payload = {
            "uprn": uprn,
            "tenancy_ref": ref,
            "location": where,
            "category": category,
            "hazard_class": hazard,
            "description": text,
            "photos": [] if ids else [put_photo(base, token)],
        }
        seen = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
        mutation = Outbox().create("repair", payload, observed_at=seen)
        result = call("POST", f"{base}/sync/push", {"mutations": [mutation]}, token)
        assert result["results"][0]["status"] == "applied", result
        ids.append(mutation["entity_id"])
    return ids[0]


def test_maintenance_works_the_queue_records_a_step_and_prints_a_job_sheet(
    browser, server, db_path
):
    base = server.base
    repair_id = fill_the_queue(base, db_path)
    context, page, errors = console_signs_in(browser, base, "repairs1")
    tabs = page.get_by_role("navigation", name="Sections").get_by_role("button")
    expect(tabs).to_have_text(["Repairs"])
    expect(page.get_by_role("heading", name="Repairs queue")).to_be_visible(timeout=WAIT)

    # The queue: addresses in words (never a bare UPRN), every deadline with its time left.
    rows = page.locator("table.queue tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT)
    homes = rows.locator("td:first-child strong").all_text_contents()
    assert homes and all(re.search(r"[A-Z]{1,2}\d[\dA-Z]? \d[A-Z]{2}$", a) for a in homes)
    assert not re.search(r"\b\d{6,12}\b", page.locator("table.queue").inner_text())  # UPRNs
    mine = page.locator(f"tr[data-repair='{repair_id}']")
    expect(mine.locator(".tag.bad", has_text="overdue by")).to_have_count(2)  # both 24 h ones
    expect(mine).to_contain_text("Electrical, Kitchen ceiling")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "maintenance-queue.png", full_page=True)

    # Overdue only: every row has an overdue deadline, most overdue first.
    page.get_by_label("Show").select_option("overdue")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"#repairs\?show=overdue"))
    expect(page.locator("main section")).not_to_have_attribute("aria-busy", "true", timeout=WAIT)
    rows = page.locator("table.queue tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT)
    for i in range(rows.count()):
        expect(rows.nth(i).locator(".tag.bad", has_text="overdue by").first).to_be_visible()
    expect(page.locator(f"tr[data-repair='{repair_id}']")).to_be_visible()

    # The repair: its photo (fetched with the token), then a step with a note.
    page.locator(f"tr[data-repair='{repair_id}']").get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Electrical, Kitchen ceiling")
    photo = page.get_by_role("img", name=re.compile("Photo 1 of Electrical"))
    expect(photo).to_be_visible(timeout=WAIT)
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 2
    page.get_by_label("Step", exact=True).select_option("acknowledged")
    page.get_by_label("Note", exact=True).fill("Electrician booked for this afternoon.")
    page.get_by_role("button", name="Record the step").click()
    expect(page.locator("main .status")).to_contain_text("Referral acknowledged: recorded")
    token = api_login(base, "repairs1")
    repair = call("GET", f"{base}/repairs/{repair_id}", token=token)
    assert repair["status"] == "acknowledged"
    assert repair["events"][-1]["note"] == "Electrician booked for this afternoon."
    expect(page.locator("main ol li").last).to_contain_text("Electrician booked")

    # Someone else records a step meanwhile: the answer is 412, explained; the repair is
    # read again and the typed note is kept to send again.
    from tests.conftest import http

    _, headers, _ = http("GET", f"{base}/repairs/{repair_id}", token=token)
    other = urllib.request.Request(
        f"{base}/repairs/{repair_id}/actions",
        data=b'{"action": "investigated", "note": "Found a leak from the flat above."}',
        method="POST",
    )
    for name, value in (
        ("Authorization", f"Bearer {token}"),
        ("Content-Type", "application/json"),
        ("If-Match", headers["ETag"]),
    ):
        other.add_header(name, value)
    with urllib.request.urlopen(other, timeout=10) as response:
        assert response.status == 200
    page.get_by_label("Step", exact=True).select_option("made_safe")
    page.get_by_label("Note", exact=True).fill("Isolated the lighting circuit.")
    page.get_by_role("button", name="Record the step").click()
    expect(page.locator("main .status")).to_contain_text("Someone else recorded a step")
    expect(page.locator("main ol li").last).to_contain_text("Found a leak")
    expect(page.get_by_label("Note", exact=True)).to_have_value("Isolated the lighting circuit.")
    expect(page.get_by_label("Step", exact=True)).to_have_value("made_safe")
    page.get_by_role("button", name="Record the step").click()
    expect(page.locator("main .status")).to_contain_text("Made safe / safety work done: recorded")
    repair = call("GET", f"{base}/repairs/{repair_id}", token=token)
    assert [e["action"] for e in repair["events"]] == [
        "reported",
        "acknowledged",
        "investigated",
        "made_safe",
    ]

    # The job sheet: what the visit needs, a place to sign, and nothing but it on paper.
    page.get_by_role("link", name="Job sheet (print)").click()
    sheet = page.locator("article.job-sheet")
    expect(sheet.get_by_role("heading", level=1)).to_have_text(
        "Job sheet: Electrical, Kitchen ceiling"
    )
    expect(sheet).to_contain_text(repair["address"])
    expect(sheet).to_contain_text("Warning markers")
    expect(sheet).to_contain_text("Awaab's Law deadlines")
    expect(sheet).to_contain_text("Water coming through the light fitting")
    expect(sheet.locator(".sign")).to_have_count(2)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print the job sheet")).to_be_hidden()
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
    assert errors == []
    context.close()


def test_a_team_leader_reads_the_repairs_of_the_team_but_records_no_step(browser, server, db_path):
    fill_the_queue(server.base, db_path)
    context, page, errors = console_signs_in(browser, server.base, "leader1")
    page.get_by_role("button", name="Repairs", exact=True).click()
    expect(page.get_by_role("heading", name="Repairs queue")).to_be_visible(timeout=WAIT)
    expect(page.locator("main section")).not_to_have_attribute("aria-busy", "true", timeout=WAIT)
    patches = call("GET", f"{server.base}/patches", token=api_login(server.base, "leader1"))
    expect(page.get_by_label("Patch")).to_contain_text(patches[0]["name"])
    rows = page.locator("table.queue tbody tr")
    for i in range(rows.count()):
        team = rows.nth(i).locator("td:first-child .meta").inner_text()
        assert any(p["name"] in team for p in patches), team
    assert rows.count() >= 1
    rows.first.get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", name="Steps")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Only maintenance and admins record steps.")).to_be_visible()
    expect(page.get_by_role("button", name="Record the step")).to_have_count(0)
    assert errors == []
    context.close()
