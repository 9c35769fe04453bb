"""Travel times: the straight-line default, and a road-network provider plugged in."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from routing.travel import MODES, OsrmTable, StraightLine, distances_m


def test_straight_line_is_distance_times_circuity_over_speed_plus_overhead():
    # Trowbridge to Bradford-on-Avon: about 4.5 km as the crow flies.
    points = [(51.3190, -2.2080), (51.3470, -2.2510)]
    metres = distances_m(points)[0][1]
    assert 4_200 < metres < 4_700
    for mode, m in MODES.items():
        seconds = StraightLine().durations(points, mode)
        expected = metres * m.circuity / (m.speed_kmh / 3.6) + m.overhead_s
        assert seconds[0][1] == pytest.approx(expected, abs=1)
        assert seconds[0][0] == 0 and seconds[1][0] == seconds[0][1]
    assert (
        StraightLine().durations(points, "walk")[0][1]
        > StraightLine().durations(points, "car")[0][1]
    )


class FakeOsrm:
    """An OSRM table service answering every leg with 600 seconds, and recording calls."""

    def __init__(self):
        self.paths = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.paths.append(self.path)
                count = self.path.split("/")[4].split("?")[0].count(";") + 1
                body = {
                    "code": "Ok",
                    "durations": [
                        [0 if i == j else 600 for j in range(count)] for i in range(count)
                    ],
                }
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_road_network_provider_plugs_in(db_path, as_user):
    from server.app import create_app
    from sync.clock import london_today

    osrm = FakeOsrm()
    try:
        table = OsrmTable(osrm.url).durations([(51.3, -2.2), (51.31, -2.21)], "walk")
        assert table == [[0.0, 660], [660, 0.0]]  # 600 s + the walking overhead
        assert osrm.paths[0].startswith("/table/v1/foot/-2.200000,51.300000;")
        client = create_app(
            {"TESTING": True, "DATABASE": str(db_path), "OSRM_URL": osrm.url}
        ).test_client()
        plan = client.post(
            "/plans", json={"date": london_today().isoformat()}, headers=as_user("officer1")
        ).get_json()
        assert plan["stops"]
        assert {s["travel_s"] for s in plan["stops"]} == {600 + MODES["car"].overhead_s}
    finally:
        osrm.close()
