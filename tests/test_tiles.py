"""An offline base map: raster tiles from an MBTiles file, served by Doorstep itself."""

import sqlite3
import struct
import zlib

import pytest

from server.app import config_from_env, create_app


def _png(grey: int) -> bytes:
    """A one-pixel greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, grey])))
        + chunk(b"IEND", b"")
    )


NORTH, SOUTH = _png(10), _png(200)


def _mbtiles(path, fmt="png", **metadata):
    """A tiny MBTiles file: zoom 1's two western tiles, stored in TMS rows (row 0 south)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    meta = {"name": "Test", "format": fmt, "minzoom": "1", "maxzoom": "1", **metadata}
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    conn.executemany("INSERT INTO tiles VALUES (1, 0, ?, ?)", [(1, NORTH), (0, SOUTH)])
    conn.commit()
    conn.close()
    return str(path)


def _app(db_path, **config):
    return create_app({"TESTING": True, "DATABASE": str(db_path), **config})


def test_tiles_are_served_from_the_mbtiles_file_with_the_rows_flipped(db_path, tmp_path):
    path = _mbtiles(tmp_path / "map.mbtiles", attribution="© Test mappers")
    client = _app(db_path, TILES_MBTILES=path).test_client()
    north = client.get("/tiles/1/0/0.png")  # no token: an <image> cannot send one
    assert north.status_code == 200 and north.mimetype == "image/png"
    assert north.data == NORTH
    assert "max-age" in north.headers["Cache-Control"]
    assert client.get("/tiles/1/0/1.png").data == SOUTH

    config = client.get("/web/config.json").get_json()
    assert config["tile_url"] == "/tiles/{z}/{x}/{y}.png"
    assert config["tile_zoom"] == [1, 1]
    assert config["tile_attribution"] == "© Test mappers"
    with client.get("/console/") as page:
        policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' blob: data:;" in policy


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/1/1/0.png",  # not in the file
        "/tiles/1/2/0.png",  # beyond zoom 1's two columns
        "/tiles/1/0/0.jpg",  # the file holds PNG
        "/tiles/a/0/0.png",
        "/tiles/1/-1/0.png",
        "/tiles/99/0/0.png",
        "/tiles/%C2%B2/0/0.png",  # a digit to str.isdigit, not to int()
        "/tiles/0/0/" + "1" * 5000 + ".png",  # past int()'s limit on digits
    ],
)
def test_a_tile_not_in_the_file_is_a_problem_404(db_path, tmp_path, path):
    client = _app(db_path, TILES_MBTILES=_mbtiles(tmp_path / "map.mbtiles")).test_client()
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_without_a_file_there_are_no_tiles_and_a_tile_server_is_left_alone(db_path, tmp_path):
    assert _app(db_path).test_client().get("/tiles/0/0/0.png").status_code == 404
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    app = _app(db_path, TILE_URL=url, TILES_MBTILES=_mbtiles(tmp_path / "map.mbtiles"))
    assert app.test_client().get("/web/config.json").get_json()["tile_url"] == url


def test_a_file_that_cannot_be_drawn_stops_the_start_with_the_reason(db_path, tmp_path):
    vector = _mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    (tmp_path / "text.mbtiles").write_text("not a database")
    for path, reason in (
        (str(tmp_path / "missing.mbtiles"), "no such file"),
        (str(tmp_path / "text.mbtiles"), "not an MBTiles file"),
        (vector, "only raster tiles"),
    ):
        with pytest.raises(RuntimeError, match=reason):
            _app(db_path, TILES_MBTILES=path)


def test_the_file_is_named_in_the_environment():
    config = config_from_env({"DOORSTEP_TILES_MBTILES": "/srv/map.mbtiles"})
    assert config["TILES_MBTILES"] == "/srv/map.mbtiles"
