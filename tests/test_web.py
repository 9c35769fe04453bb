"""Serving the two front ends: files, headers, the service worker and the code lists."""

import json
import shutil
import subprocess

import pytest

from server import web


def test_the_app_shell_is_served_with_a_strict_policy(client):
    for path in ("/app/", "/console/", "/app/app.js", "/web/api.js", "/web/style.css"):
        response = client.get(path)
        response.close()
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe" not in policy
        assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-cache"
    with client.get("/app/manifest.webmanifest") as response:
        assert response.mimetype == "application/manifest+json"
    assert client.get("/").headers["Location"].endswith("/app/")


def test_the_service_worker_caches_every_shell_file_under_a_versioned_name(client):
    body = client.get("/app/sw.js").get_data(as_text=True)
    assert "__VERSION__" not in body and web.shell_version() in body
    urls = web.shell_urls()
    assert len(urls) == len(web.SHELL) + 1 and "/app/" in urls
    for url in urls:
        assert f'"{url}"' in body
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_the_shell_is_every_file_the_officer_app_loads(client):
    """Offline, a module missing from the service worker's cache stops the app opening:
    every file of the officer app (but the service worker itself) and every shared file
    is in the shell."""
    files = {
        f"{path.parent.name}/{path.name}"
        for folder in ("officer", "shared")
        for path in (web.ROOT / folder).iterdir()
    }
    assert set(web.SHELL) == files - {"officer/sw.js"}


def test_code_lists_come_from_the_server(client):
    config = client.get("/web/config.json").get_json()
    assert config["codes"]["visit_outcomes"]["contact_made"] == "Contact made with the tenant"
    assert config["codes"]["arrangement_frequencies"]["four_weekly"] == "Four weekly"
    assert config["tile_url"] is None


def test_a_tile_server_is_allowed_only_when_configured(db_path):
    from server.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(db_path),
            "TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
        }
    )
    with app.test_client().get("/console/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' blob: data: https://tiles.example.org;" in policy


def test_directions_go_to_a_configurable_web_map(client, db_path):
    from server.app import create_app

    default = client.get("/web/config.json").get_json()["directions_url"]
    assert default == "https://www.openstreetmap.org/directions?to={lat},{lon}"
    url = "https://maps.example.org/route?dest={lat},{lon}"
    app = create_app({"TESTING": True, "DATABASE": str(db_path), "DIRECTIONS_URL": url})
    assert app.test_client().get("/web/config.json").get_json()["directions_url"] == url


def test_unknown_and_escaping_paths_are_problem_404s(client):
    for path in ("/app/nope.js", "/app/../server/app.py", "/web/..%2fserver/app.py", "/console/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_moments_shown_with_their_year_unless_it_is_this_year():
    # A last contact of two years ago once read like one of this year.
    script = (
        f"import {{ when }} from '{web.ROOT / 'shared' / 'ui.js'}';"
        "console.log(JSON.stringify([when('2020-03-01T10:00:00Z'),"
        " when(new Date().toISOString()).includes(String(new Date().getFullYear())),"
        " when(null)]));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["1 Mar 2020, 10:00", False, "never"]
