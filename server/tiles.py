"""A base map with no tile server: raster tiles from an MBTiles file, served by Doorstep.

``DOORSTEP_TILES_MBTILES`` names the file (an SQLite database, as tile tools such as
``gdal_translate``, TileMill or ``mb-util`` write it; the format is
https://github.com/mapbox/mbtiles-spec). Its tiles are served at
``/tiles/{z}/{x}/{y}.{format}``, and the console draws them under its maps, from this
origin, so a council can run the map on a network with no route to the internet.

MBTiles numbers rows from the south (TMS), while web maps number them from the north
(XYZ): row ``y`` of zoom ``z`` is stored as ``2**z - 1 - y``.

Tiles hold no personal data, and an ``<image>`` in the map cannot send a bearer token, so
the tiles are public, like the front ends' own files.
"""

import re
import sqlite3
from contextlib import closing
from pathlib import Path

from flask import Blueprint, Response, current_app

from sync.errors import NotFound

MIMETYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_ZOOM = 24
_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "²" is a digit to str.isdigit

blp = Blueprint("tiles", __name__)


def _connect(path: str) -> closing:
    """The file, read-only (Doorstep never writes to it), closed after use."""
    return closing(sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True))


def read_metadata(path: str) -> dict:
    """The file's metadata, checked once at start-up: a missing or unreadable file, or one
    of vector tiles, stops Doorstep with the reason rather than drawing an empty map."""
    if not Path(path).is_file():
        raise RuntimeError(f"DOORSTEP_TILES_MBTILES: no such file: {path}.")
    try:
        with _connect(path) as conn:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms = conn.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    except sqlite3.Error as exc:
        raise RuntimeError(
            f"DOORSTEP_TILES_MBTILES: {path} is not an MBTiles file ({exc})."
        ) from None
    fmt = (meta.get("format") or "png").lower()
    if fmt not in MIMETYPES:
        raise RuntimeError(
            f"DOORSTEP_TILES_MBTILES: {path} holds {fmt} tiles; only raster tiles "
            f"({', '.join(sorted(MIMETYPES))}) can be drawn."
        )
    if zooms[0] is None:
        raise RuntimeError(f"DOORSTEP_TILES_MBTILES: {path} holds no tiles.")
    return {
        "format": "jpg" if fmt == "jpeg" else fmt,
        "min_zoom": int(meta.get("minzoom", zooms[0])),
        "max_zoom": int(meta.get("maxzoom", zooms[1])),
        "attribution": meta.get("attribution"),
    }


def configure(app) -> None:
    """With ``TILES_MBTILES`` set: the tile layer is this origin's ``/tiles/`` (unless
    ``TILE_URL`` names another), its zoom levels, and the file's attribution."""
    path = app.config.get("TILES_MBTILES")
    if not path:
        return
    meta = read_metadata(path)
    app.config["TILES_META"] = meta
    if not app.config.get("TILE_URL"):
        app.config["TILE_URL"] = f"/tiles/{{z}}/{{x}}/{{y}}.{meta['format']}"
        app.config["TILE_ZOOM"] = [meta["min_zoom"], meta["max_zoom"]]
        if not app.config.get("TILE_ATTRIBUTION") and meta["attribution"]:
            app.config["TILE_ATTRIBUTION"] = meta["attribution"]


@blp.get("/tiles/<z>/<x>/<name>")
def tile(z: str, x: str, name: str):
    meta = current_app.config.get("TILES_META")
    if not meta:
        raise NotFound("No tiles are served here: set DOORSTEP_TILES_MBTILES.")
    y, _, ext = name.partition(".")
    if not all(_NUMBER.fullmatch(part) for part in (z, x, y)) or int(z) > MAX_ZOOM:
        raise NotFound("A tile's address is /tiles/{z}/{x}/{y}.{format}, in whole numbers.")
    if ext != meta["format"]:
        raise NotFound(f"The tiles here are .{meta['format']}.")
    z_, x_, y_ = int(z), int(x), int(y)
    if x_ >= 2**z_ or y_ >= 2**z_:
        raise NotFound(f"Zoom {z_} has no tile {x_}/{y_}.")
    with _connect(current_app.config["TILES_MBTILES"]) as conn:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
            "AND tile_row = ?",
            [z_, x_, 2**z_ - 1 - y_],
        ).fetchone()
    if row is None:
        raise NotFound(f"The map has no tile {z_}/{x_}/{y_}.")
    response = Response(bytes(row[0]), mimetype=MIMETYPES[meta["format"]])
    # A map's tiles change only with a new file (and a restart): let browsers keep them.
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
