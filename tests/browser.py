"""What the browser tests share: Debian's Chromium, driven by Playwright, against a real
gunicorn process. Each tests/test_browser*.py module imports from here.

"Offline" means the Doorstep server process is stopped: Playwright's set_offline does not
stop a service worker's fetches. The browser is never downloaded: without
/usr/bin/chromium these tests are skipped, loudly (``make test`` installs it as root).
"""

import os
import re
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync.demo import DEMO_PASSWORD
from tests.conftest import http

CHROMIUM = Path("/usr/bin/chromium")
try:
    from playwright import sync_api
except ImportError:  # the dev extra is missing: the browser fixture skips, loudly
    sync_api = None
expect = sync_api.expect if sync_api else None

ROOT = Path(__file__).resolve().parents[1]
# Screenshots go to the untracked var/screenshots/, so a test run leaves the checkout clean;
# make screenshots sets DOORSTEP_SCREENSHOTS=docs/screenshots to refresh the README's.
SHOTS = ROOT / os.environ.get("DOORSTEP_SCREENSHOTS", "var/screenshots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# As the machine's probe found: without the background-networking flags, Chromium keeps
# trying to reach Google's hosts through a closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 30_000


@contextmanager
def chromium():
    """Debian's Chromium, or a loud skip: the browser is never downloaded."""
    if not CHROMIUM.exists():
        pytest.skip(
            "BROWSER TESTS SKIPPED: Debian's Chromium is missing. Install it with "
            "'apt-get install chromium' (make test does this when run as root)."
        )
    if sync_api is None:
        pytest.skip("BROWSER TESTS SKIPPED: Playwright is missing: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def png() -> bytes:
    """A real 2x2 PNG: the server checks a photo's type by its bytes."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\x30\x30" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def call(method, url, body=None, token=None):
    """A request that must succeed: its JSON body."""
    status, _, answer = http(method, url, body, token)
    assert status < 300, answer
    return answer


def api_login(base, username):
    body = {"username": username, "password": DEMO_PASSWORD, "device_name": "test"}
    return call("POST", f"{base}/auth/login", body)["token"]


def problems(page) -> list[str]:
    """Collect page errors and console errors: a broken script must fail the test."""
    seen = []
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))

    def console(message):
        if message.type == "error" and "Failed to load resource" not in message.text:
            seen.append(f"console: {message.text}")

    page.on("console", console)
    return seen


def sign_in(page, url, username):
    """Sign in with the demo password on the sign-in form at ``url``."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def officer_signs_in(browser, base, username="officer1"):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors = problems(page)
    sign_in(page, f"{base}/app/", username)
    expect(page.locator("#sync-pill")).to_have_text(re.compile("^Synced"), timeout=WAIT)
    return context, page, errors


def held_types(page) -> list[str]:
    """The type of every record the app holds in IndexedDB."""
    return page.evaluate(
        """new Promise((resolve) => {
             const open = indexedDB.open("doorstep");
             open.onsuccess = () => {
               const all = open.result.transaction("records").objectStore("records").getAll();
               all.onsuccess = () => resolve(all.result.map((r) => r.type));
             };
           })"""
    )


def contact_notes(base, token, uprn) -> list[str]:
    """The notes of every contact on record at a home, over all its tenancies."""
    notes = []
    for tenancy in call("GET", f"{base}/tenancies?uprn={uprn}", token=token)["items"]:
        evidence = call("GET", f"{base}/tenancies/{tenancy['tenancy_ref']}/evidence", token=token)
        notes += [e["record"]["notes"] for e in evidence["entries"] if e["kind"] == "contact"]
    return notes


def open_form(page, title):
    details = page.locator("details", has=page.get_by_role("heading", name=title))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def console_signs_in(browser, base, username="leader1"):
    """A desktop browser signed in to the console; its page and its error list."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors = problems(page)
    sign_in(page, f"{base}/console/", username)
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible(timeout=WAIT)
    return context, page, errors
