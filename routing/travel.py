"""Travel times between places, behind one interface.

``StraightLine`` (the default, needing no service): great-circle distance x a circuity
factor (roads are not straight) / a speed per mode, plus a per-stop overhead (parking,
finding the door). ``OsrmTable`` asks an OSRM server's table API for road-network times
instead; it is off unless configured (``DOORSTEP_OSRM_URL``). Anything with a
``durations(points)`` method returning seconds can be plugged in.
"""

import json
import urllib.request
from dataclasses import dataclass
from typing import Protocol

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Mode:
    speed_kmh: float
    circuity: float
    overhead_s: float  # added to every leg that arrives at a stop


MODES = {
    # Urban and rural Wiltshire by car, parking included; a brisk walk on pavements.
    "car": Mode(speed_kmh=32.0, circuity=1.35, overhead_s=240.0),
    "walk": Mode(speed_kmh=4.8, circuity=1.25, overhead_s=60.0),
}


class Provider(Protocol):
    def durations(self, points: list[tuple[float, float]], mode: str) -> list[list[float]]:
        """Seconds from each (latitude, longitude) to each other."""


def distances_m(points: list[tuple[float, float]]) -> np.ndarray:
    """Great-circle distances in metres between every pair (haversine, vectorised)."""
    coords = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lat, lon = coords[:, 0][:, None], coords[:, 1][:, None]
    dlat, dlon = lat - lat.T, lon - lon.T
    h = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class StraightLine:
    modes: dict = None  # mode name -> Mode (default: MODES)

    def durations(self, points, mode):
        m = (self.modes or MODES)[mode]
        seconds = distances_m(points) * m.circuity / (m.speed_kmh / 3.6)
        seconds += m.overhead_s
        np.fill_diagonal(seconds, 0.0)
        return np.rint(seconds).tolist()


@dataclass(frozen=True)
class OsrmTable:
    """OSRM's table service (``/table/v1/{profile}/{lon,lat;...}?annotations=duration``)."""

    url: str
    profiles: tuple[tuple[str, str], ...] = (("car", "driving"), ("walk", "foot"))
    overhead_s: dict = None
    timeout_s: float = 30.0

    def durations(self, points, mode):
        profile = dict(self.profiles)[mode]
        where = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{self.url.rstrip('/')}/table/v1/{profile}/{where}?annotations=duration"
        with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
            body = json.loads(response.read())
        if body.get("code") != "Ok":
            raise ValueError(f"OSRM answered {body.get('code')}: {body.get('message')}")
        overhead = (self.overhead_s or {m: v.overhead_s for m, v in MODES.items()})[mode]
        table = body["durations"]
        return [
            [0.0 if i == j else round((table[i][j] or 0.0) + overhead) for j in range(len(points))]
            for i in range(len(points))
        ]
