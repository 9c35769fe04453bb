"""The two web front ends Doorstep serves itself, from ``server/web/``.

- ``/app/``: the officer app, an offline-first PWA for a phone. Its service worker
  (``/app/sw.js``) keeps the app shell; its data lives in IndexedDB.
- ``/console/``: the staff console (team leaders first), for a desktop browser.

Both are plain ES modules with no build step, and speak only the public API. The files
are public (no data in them); everything personal comes from the API with a token.
Nothing is fetched from another origin, except map tiles when ``DOORSTEP_TILE_URL`` is
set (``DOORSTEP_TILES_MBTILES`` serves them from this origin instead: ``server.tiles``).
"""

import hashlib
import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, send_from_directory

from sync import codes

ROOT = Path(__file__).parent / "web"
# What the service worker keeps for offline use: the officer app's whole shell.
SHELL = (
    "officer/index.html",
    "officer/app.js",
    "officer/context.js",
    "officer/login.js",
    "officer/today.js",
    "officer/homes.js",
    "officer/statement.js",
    "officer/checkins.js",
    "officer/forms.js",
    "officer/sense.js",
    "officer/day.js",
    "officer/status.js",
    "officer/sync.js",
    "officer/push.js",
    "officer/pull.js",
    "officer/photos.js",
    "officer/session.js",
    "officer/store.js",
    "officer/manifest.webmanifest",
    "officer/icon.svg",
    "shared/api.js",
    "shared/map.js",
    "shared/ui.js",
    "shared/style.css",
)

# Where a stop's "Web map" directions link goes ({lat}, {lon}, {label}): DOORSTEP_DIRECTIONS_URL
# overrides it. The "Directions" link beside it opens the phone's own maps app (geo:).
DIRECTIONS_URL = "https://www.openstreetmap.org/directions?to={lat},{lon}"

blp = Blueprint("web", __name__)


@cache
def shell_version() -> str:
    """A digest of the shell's files: a new release gets a new service worker cache."""
    digest = hashlib.sha256()
    for name in SHELL:
        digest.update((ROOT / name).read_bytes())
    digest.update(json.dumps(_code_lists()).encode())
    return digest.hexdigest()[:16]


def _csp() -> str:
    images = "'self' blob: data:"
    tile_url = current_app.config.get("TILE_URL")
    parts = urlsplit((tile_url or "").replace("{", "").replace("}", ""))
    if parts.netloc:  # tiles from another origin (this origin's /tiles/ is 'self')
        images += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _csp()
    # Revalidate every time: the service worker, not the HTTP cache, makes the app offline.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _file(folder: str, name: str) -> Response:
    response = send_from_directory(ROOT / folder, name, max_age=0)
    if name.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    return _page_headers(response)


@blp.get("/")
def home():
    return redirect("/app/")


@blp.get("/app/")
def officer_index():
    return _file("officer", "index.html")


@blp.get("/app/sw.js")
def service_worker():
    body = (ROOT / "officer" / "sw.js").read_text(encoding="utf-8")
    body = body.replace("__VERSION__", shell_version())
    body = body.replace("__SHELL__", json.dumps(shell_urls()))
    response = Response(body, mimetype="text/javascript")
    return _page_headers(response)


def shell_urls() -> list[str]:
    """The addresses the service worker caches: the shell's files and the code lists."""
    return ["/web/config.json", *map(shell_url, SHELL)]


def shell_url(name: str) -> str:
    """Where a shell file is served: the officer app's under /app/ (its page is /app/
    itself), the shared files under /web/."""
    folder, _, file = name.partition("/")
    if folder != "officer":
        return f"/web/{file}"
    return "/app/" if file == "index.html" else f"/app/{file}"


@blp.get("/app/<path:name>")
def officer_file(name):
    return _file("officer", name)


@blp.get("/console/")
def console_index():
    return _file("console", "index.html")


@blp.get("/console/<path:name>")
def console_file(name):
    return _file("console", name)


@blp.get("/web/<path:name>")
def shared_file(name):
    return _file("shared", name)


@blp.get("/web/config.json")
def config():
    """What the front ends need to know that is not personal: code lists and the map."""
    return _page_headers(
        current_app.response_class(
            json.dumps(
                {
                    "codes": _code_lists(),
                    "tile_url": current_app.config.get("TILE_URL"),
                    "tile_attribution": current_app.config.get("TILE_ATTRIBUTION"),
                    "directions_url": current_app.config.get("DIRECTIONS_URL") or DIRECTIONS_URL,
                    # [lowest, highest] zoom the tiles exist at (an MBTiles file's), or null.
                    "tile_zoom": current_app.config.get("TILE_ZOOM"),
                    "version": shell_version(),
                }
            ),
            mimetype="application/json",
        )
    )


@cache
def _code_lists() -> dict:
    lists = {}
    for name in dir(codes):
        value = getattr(codes, name)
        if name.isupper() and isinstance(value, dict | tuple):
            items = value.items() if isinstance(value, dict) else ((v, v) for v in value)
            lists[name.lower()] = {k: _label(v) for k, v in items}
    return lists


def _label(value) -> str:
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]
