"""The console's map and planning in a real browser: patches drawn as their boundaries with
their names, homes that lead to their tenancy by mouse or keyboard, a base map served from
an MBTiles file, and each officer's plan with its progress and route."""

import math
import re
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from sync.clock import london_today
from tests.browser import SHOTS, WAIT, api_login, call, console_signs_in, expect, png

pytestmark = pytest.mark.browser


def test_the_map_draws_labelled_patches_and_a_home_leads_to_its_tenancy(browser, server):
    base = server.base
    names = [p["name"] for p in call("GET", f"{base}/patches", token=api_login(base, "leader1"))]
    context, page, errors = console_signs_in(browser, base)
    expect(page.locator("svg.map a.home").first).to_be_attached(timeout=WAIT)
    assert page.locator("svg.map path.area").count() == len(names) == 3
    expect(page.locator("svg.map .area-label")).to_have_text(names)
    # Not rectangles any more: each boundary follows its homes.
    assert all(
        d.count("L") > 4
        for d in page.locator("svg.map path.area").evaluate_all(
            "(paths) => paths.map((p) => p.getAttribute('d'))"
        )
    )

    # Tab from the last tab reaches the first home; Enter opens its tenancy.
    page.get_by_role("navigation", name="Sections").get_by_role("button").last.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and focused.startswith("#map?tenancy="), focused
    ref = focused.split("=", 1)[1]
    page.keyboard.press("Enter")
    panel = page.get_by_role("region", name="The chosen home's tenancy")
    expect(panel).to_contain_text(ref, timeout=WAIT)
    expect(panel.locator("h2")).to_be_focused()
    expect(panel).to_contain_text("Weekly rent")
    assert page.url.endswith(f"#map?tenancy={ref}")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of the shot
    page.screenshot(path=SHOTS / "console-map.png", full_page=True)

    # A click on another home shows that one; the address can be shared.
    other = page.locator("svg.map a.home").last  # drawn last: on top
    other_ref = other.get_attribute("href").split("=", 1)[1]
    other.click()
    expect(panel).to_contain_text(other_ref, timeout=WAIT)
    page.reload()
    expect(page.get_by_role("region", name="The chosen home's tenancy")).to_contain_text(
        other_ref, timeout=WAIT
    )
    assert errors == []
    context.close()


def _tile_range(lon0, lon1, lat0, lat1, z):
    def tile(lon, lat):
        s = math.sin(math.radians(lat))
        y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * 2**z
        return int((lon + 180) / 360 * 2**z), int(y)

    (x0, y0), (x1, y1) = tile(lon0, lat1), tile(lon1, lat0)
    return [(x, y) for x in range(x0 - 1, x1 + 2) for y in range(y0 - 1, y1 + 2)]


def test_the_map_draws_a_base_map_from_an_mbtiles_file(browser, db_path, tmp_path, monkeypatch):
    from bench.gunicorn import Gunicorn

    path = tmp_path / "map.mbtiles"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data BLOB)")
    conn.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("format", "png"), ("minzoom", "10"), ("maxzoom", "10"), ("attribution", "Test map")],
    )
    west = _tile_range(-2.6, -1.8, 51.1, 51.6, 10)
    conn.executemany(
        "INSERT INTO tiles VALUES (10, ?, ?, ?)", [(x, 2**10 - 1 - y, png()) for x, y in west]
    )
    conn.commit()
    conn.close()
    monkeypatch.setenv("DOORSTEP_TILES_MBTILES", str(path))
    server = Gunicorn(db_path, tmp_path / "gunicorn.log").start()
    try:
        context, page, errors = console_signs_in(browser, server.base)
        images = page.locator("svg.map .tiles image")
        expect(images.first).to_be_attached(timeout=WAIT)
        hrefs = images.evaluate_all("(xs) => xs.map((x) => x.getAttribute('href'))")
        assert all(re.fullmatch(r"/tiles/10/\d+/\d+\.png", h) for h in hrefs), hrefs
        for href in hrefs:
            assert page.request.get(server.base + href).status == 200, href
        expect(page.get_by_text("Test map")).to_be_visible()
        assert errors == []
        context.close()
    finally:
        server.stop()


def test_planning_shows_each_plans_progress_and_route(browser, server):
    base = server.base
    leader, officer = api_login(base, "leader1"), api_login(base, "officer1")
    officer1 = next(
        u
        for u in call("GET", f"{base}/users?role=officer", token=leader)
        if u["username"] == "officer1"
    )
    today = london_today().isoformat()
    plan = call("POST", f"{base}/plans", {"officer_id": officer1["id"], "date": today}, leader)
    second = plan["stops"][1]
    now = datetime.now(UTC).isoformat()
    mutation = {
        "mutation_id": str(uuid.uuid4()),
        "device_seq": 1,
        "entity_type": "visit",
        "entity_id": str(uuid.uuid4()),
        "op": "create",
        "base_version": None,
        "observed_at": now,
        "payload": {"uprn": second["uprn"], "outcome": "contact_made", "arrived_at": now},
    }
    result = call("POST", f"{base}/sync/push", {"mutations": [mutation]}, officer)
    assert result["results"][0]["status"] == "applied"

    context, page, errors = console_signs_in(browser, base)
    page.get_by_role("button", name="Planning").click()
    card = page.get_by_role("region", name="Officer 1", exact=True)
    expect(card.locator(".progress")).to_have_text(
        f"1 visited, 1 skipped, {len(plan['stops']) - 2} to go.", timeout=WAIT
    )
    stops = card.locator("ol.plan > li")
    expect(stops.nth(1)).to_contain_text("Visited")
    expect(stops.nth(1)).to_contain_text("Contact made with the tenant")
    expect(stops.nth(0)).to_contain_text("Skipped")
    expect(stops.nth(2)).to_contain_text("to go")
    route = card.locator("svg.map")
    expect(route).to_have_attribute("aria-label", re.compile("Officer 1's route"))
    expect(route.locator("polyline.route")).to_be_attached()
    assert route.locator(".point.stop").count() == len(plan["stops"])
    assert route.locator(".point.stop.visited").count() == 1
    page.screenshot(path=SHOTS / "console-planning.png", full_page=True)
    assert errors == []
    context.close()
