"""Where the demo landlord's homes are, and how they are cut into patches.

Homes sit at real postcode unit positions (OS Code-Point Open, ``sync/demo/data/postcodes.csv``)
in Trowbridge, Melksham, Westbury, Devizes and Bradford-on-Avon and the villages between,
with a few metres of jitter: a postcode unit holds a short run of houses along one street,
one block of flats (every flat at the block's single position) or a garage site. The homes
are shared into patches of equal size by median splits, in a grid as near square as the
number of patches allows (70 patches: 7 columns of 10); each patch's boundary is then drawn
around its own homes (the joined Voronoi cells of its homes, ``boundaries``), so it follows
the gaps between neighbouring patches' streets and holds exactly its own homes.
"""

import json
import math
import random
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

import shapely
from shapely import affinity

from sync.demo import data

POST_TOWNS = {
    "BA14": "Trowbridge",
    "SN12": "Melksham",
    "BA13": "Westbury",
    "SN10": "Devizes",
    "BA15": "Bradford-on-Avon",
}


@dataclass
class PatchPlan:
    """A patch to create: its number, name, team (1 or 2) and GeoJSON boundary."""

    number: int
    name: str
    team: int
    boundary: dict


# Town centres, the radius (km) of their built-up area and how much council stock they hold
# relative to their size.
_TOWNS = (
    ("Trowbridge", 51.3190, -2.2085, 2.8, 0.8),
    ("Melksham", 51.3730, -2.1380, 2.2, 1.3),
    ("Westbury", 51.2600, -2.1860, 1.8, 1.0),
    ("Devizes", 51.3510, -1.9950, 2.2, 1.4),
    ("Bradford-on-Avon", 51.3470, -2.2510, 1.6, 0.4),
)
_M_PER_DEG_LAT = 111_200.0
_DISTRICT_MARGIN = 0.01  # degrees of latitude (about 1.1 km) around the outermost homes


def _m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


_POSTCODE_CACHE: list[tuple[str, float, float]] = []


def _postcodes() -> list[tuple[str, float, float]]:
    """(postcode, latitude, longitude) of every unit in the demo districts, by postcode."""
    if not _POSTCODE_CACHE:
        rows = [
            (r["postcode"], float(r["lat"]), float(r["lon"]))
            for r in data.rows("postcodes.csv")
            if r["postcode"].split()[0] in POST_TOWNS
        ]
        rows.sort()
        _POSTCODE_CACHE.extend(rows)
    return _POSTCODE_CACHE


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat1 - lat2) * _M_PER_DEG_LAT
    dx = (lon1 - lon2) * _m_per_deg_lon((lat1 + lat2) / 2)
    return math.hypot(dx, dy) / 1000


def nearest_office(lat: float, lon: float) -> tuple[str, float, float]:
    """(town, latitude, longitude) of the housing office nearest a place: each demo town
    has one, at its centre."""
    town = min(_TOWNS, key=lambda t: _distance_km(lat, lon, t[1], t[2]))
    return town[0], town[1], town[2]


def _setting(lat: float, lon: float) -> tuple[str, float]:
    """'town', 'fringe' (edge of a town) or 'village', and the nearest town's weight."""
    best, weight = min((_distance_km(lat, lon, t[1], t[2]) - t[3], t[4]) for t in _TOWNS)
    if best <= 0:
        return "town", weight
    return ("fringe" if best <= 1.5 else "village"), weight


@dataclass
class _Unit:
    postcode: str
    lat: float  # the postcode unit's position
    lon: float
    kind: str  # "houses", "flats" or "garages"
    size: int
    instance: int  # >0 when a unit is reused for very large landlords
    setting: str
    homes: list = field(default_factory=list)  # (lat, lon) once placed


def _choose_units(rng: random.Random, need: int, max_block: int, max_garages: int) -> list[_Unit]:
    """Postcode units (favouring the towns) holding at least ``need`` properties."""
    keyed = []
    for postcode, lat, lon in _postcodes():
        setting, weight = _setting(lat, lon)
        weight *= {"town": 1.0, "fringe": 0.3, "village": 0.1}[setting]
        keyed.append((-math.log(1.0 - rng.random()) / weight, postcode, lat, lon, setting))
    keyed.sort()
    units: list[_Unit] = []
    total = 0
    instance = 0
    while total < need:
        for _, postcode, lat, lon, setting in keyed:
            if total >= need:
                break
            p_flats, p_garages = (0.11, 0.039) if setting == "town" else (0.03, 0.025)
            if not max_block:  # patches too small to hold a block of flats
                p_flats = 0.0
            r = rng.random()
            if r < p_flats:
                kind, size = "flats", 12 + int((max_block - 12) * rng.random() ** 1.8 + 0.5)
            elif r < p_flats + p_garages:
                kind, size = "garages", rng.randint(4, max_garages)
            else:
                kind = "houses"
                size = rng.choices(range(1, 9), weights=(4, 8, 12, 16, 16, 16, 14, 14))[0]
            units.append(_Unit(postcode, lat, lon, kind, size, instance, setting))
            total += size
        instance += 1
    return units


@dataclass
class _Group:
    """All units of one postcode: the thing a split line must not cut."""

    postcode: str
    lat: float
    lon: float
    units: list[_Unit]

    @property
    def count(self) -> int:
        return sum(u.size for u in self.units)


def _split(groups: list[_Group], axis: str, parts: int) -> tuple[list[list[_Group]], list]:
    """Cut groups along ``axis`` into ``parts`` runs of (nearly) equal home counts.

    Cuts fall midway between the distinct coordinates of neighbouring postcode units."""
    groups = sorted(groups, key=lambda g: (getattr(g, axis), g.postcode))
    if parts == 1:
        return [groups], []
    values = [getattr(g, axis) for g in groups]
    cum = list(accumulate(g.count for g in groups))
    total = cum[-1]
    candidates = [i for i in range(len(groups) - 1) if values[i] < values[i + 1]]
    chosen: list[int] = []
    for j in range(1, parts):
        target = total * j / parts
        usable = [i for i in candidates if not chosen or i > chosen[-1]]
        usable = usable[: max(0, len(usable) - (parts - 1 - j))]
        if not usable:
            raise ValueError("Too few distinct postcode positions to split into patches.")
        chosen.append(min(usable, key=lambda i: (abs(cum[i] - target), i)))
    bounds = [0, *(i + 1 for i in chosen), len(groups)]
    runs = [groups[a:b] for a, b in pairwise(bounds)]
    cuts = [round((values[i] + values[i + 1]) / 2, 7) for i in chosen]
    return runs, cuts


@dataclass
class Cell:
    column: int
    row: int  # 0 = northernmost
    west: float | None  # None = the outer edge of the district box
    east: float | None
    south: float | None
    north: float | None
    units: list[_Unit]

    @property
    def count(self) -> int:
        return sum(u.size for u in self.units)


def grid_columns(patches: int) -> int:
    """Patches are laid out in a grid as near square as ``patches`` allows: this many
    columns, the divisor nearest its square root (the fewer on a tie). 6 patches: 2 x 3;
    70 patches: 7 x 10."""
    divisors = [c for c in range(1, patches + 1) if patches % c == 0]
    return min(divisors, key=lambda c: (abs(c - math.sqrt(patches)), c))


def _cells(units: list[_Unit], patches: int) -> list[Cell]:
    by_postcode: dict[str, _Group] = {}
    for u in units:
        g = by_postcode.get(u.postcode)
        if g is None:
            g = by_postcode[u.postcode] = _Group(u.postcode, u.lat, u.lon, [])
        g.units.append(u)
    groups = [by_postcode[k] for k in sorted(by_postcode)]
    columns = grid_columns(patches)
    rows = patches // columns
    col_runs, col_cuts = _split(groups, "lon", columns)
    cells = []
    for c, run in enumerate(col_runs):
        west = col_cuts[c - 1] if c > 0 else None
        east = col_cuts[c] if c < columns - 1 else None
        row_runs, row_cuts = _split(run, "lat", rows)  # south to north
        for r in range(rows):
            k = rows - 1 - r  # r counts from the north
            south = row_cuts[k - 1] if k > 0 else None
            north = row_cuts[k] if k < rows - 1 else None
            members = [u for g in row_runs[k] for u in g.units]
            cells.append(Cell(c, r, west, east, south, north, members))
    return cells


def _trim(rng: random.Random, cell: Cell, target: int) -> None:
    """Drop whole units, then homes from house runs, until the cell holds ``target``."""
    excess = cell.count - target
    order = cell.units[:]
    rng.shuffle(order)
    for u in order:
        if excess <= 0:
            break
        if u.size <= excess:
            excess -= u.size
            u.size = 0
    minimum = {"houses": 1, "garages": 2, "flats": 12}
    for kind in ("houses", "garages", "flats"):
        for u in order:
            if excess <= 0:
                break
            if u.kind == kind and u.size > 0:
                cut = min(excess, u.size - minimum[kind])
                if cut > 0:
                    u.size -= cut
                    excess -= cut
    cell.units = [u for u in cell.units if u.size > 0]


def _recentre_cuts(cells: list[Cell]) -> None:
    """Put each cut midway between the nearest remaining postcode units on either side."""
    columns = max(c.column for c in cells) + 1
    for c in range(columns - 1):
        west = max(u.lon for cell in cells if cell.column == c for u in cell.units)
        east = min(u.lon for cell in cells if cell.column == c + 1 for u in cell.units)
        cut = round((west + east) / 2, 7)
        for cell in cells:
            if cell.column == c:
                cell.east = cut
            elif cell.column == c + 1:
                cell.west = cut
    for c in range(columns):
        column = sorted((cell for cell in cells if cell.column == c), key=lambda x: x.row)
        for upper, lower in pairwise(column):
            south = min(u.lat for u in upper.units)
            north = max(u.lat for u in lower.units)
            upper.south = lower.north = round((south + north) / 2, 7)


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value > low) and (high is None or value < high)


def _keep_inside(centre: float, value: float, low: float | None, high: float | None) -> float:
    """``value`` if inside (low, high); else mirrored about ``centre``; else ``centre``."""
    for v in (round(value, 6), round(2 * centre - value, 6)):
        if _within(v, low, high):
            return v
    return centre


def place_homes(rng: random.Random, cells: list[Cell]) -> None:
    """Give every unit's homes their positions, inside their cell."""
    for cell in cells:
        for unit in cell.units:
            _place(rng, unit, cell)


def _place(rng: random.Random, unit: _Unit, cell: Cell) -> None:
    """Positions of the unit's homes, a few metres around the postcode position."""
    m_lon = _m_per_deg_lon(unit.lat)
    east, north = rng.uniform(-15, 15), rng.uniform(-15, 15)
    if unit.instance:
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(60, 150)
        east += dist * math.cos(angle)
        north += dist * math.sin(angle)

    def point(e: float, n: float) -> tuple[float, float]:
        lat = _keep_inside(unit.lat, unit.lat + n / _M_PER_DEG_LAT, cell.south, cell.north)
        lon = _keep_inside(unit.lon, unit.lon + e / m_lon, cell.west, cell.east)
        return lat, lon

    if unit.kind == "houses":
        bearing = rng.uniform(0, math.pi)
        spacing = rng.uniform(6, 11)
        homes = []
        for i in range(unit.size):
            along = (i - (unit.size - 1) / 2) * spacing + rng.uniform(-1, 1)
            across = rng.uniform(-2.5, 2.5)
            homes.append(
                point(
                    east + along * math.cos(bearing) - across * math.sin(bearing),
                    north + along * math.sin(bearing) + across * math.cos(bearing),
                )
            )
        unit.homes = homes
    else:  # a block of flats or a garage site: one shared position
        unit.homes = [point(east, north)] * unit.size


def layout(rng: random.Random, homes_per_patch: int, patches: int) -> list[Cell]:
    """Cells of exactly ``homes_per_patch`` properties each, from seeded postcode units."""
    max_block = max(12, min(40, homes_per_patch // 3)) if homes_per_patch >= 30 else 0
    max_garages = max(4, min(16, homes_per_patch // 6))
    surplus = max(max_block, 8) + max_garages + math.ceil(0.02 * homes_per_patch)
    for _ in range(8):
        attempt = random.Random(rng.getrandbits(64))
        need = patches * (homes_per_patch + surplus)
        units = _choose_units(attempt, need, max_block, max_garages)
        cells = _cells(units, patches)
        if all(c.count >= homes_per_patch for c in cells):
            for cell in cells:
                _trim(attempt, cell, homes_per_patch)
            _recentre_cuts(cells)
            return cells
        surplus = surplus * 2 + 10
    raise ValueError("Could not lay out equal patches; try other sizes.")


def _compass(offsets: list[tuple[float, float]]) -> list[str] | None:
    """Compass words for cells at (east, north) offsets (km) from their town's centre."""
    if len(offsets) == 2:
        (e1, n1), (e2, n2) = offsets
        if abs(n1 - n2) >= abs(e1 - e2):
            return ["North", "South"] if n1 > n2 else ["South", "North"]
        return ["East", "West"] if e1 > e2 else ["West", "East"]
    words = (
        "East",
        "North East",
        "North",
        "North West",
        "West",
        "South West",
        "South",
        "South East",
    )
    far = max(math.hypot(e, n) for e, n in offsets) or 1.0
    names = []
    for e, n in offsets:
        if math.hypot(e, n) < 0.25 * far:
            names.append("Central")
        else:
            names.append(words[round(math.atan2(n, e) / (math.pi / 4)) % 8])
    return names if len(set(names)) == len(names) else None


def patch_plans(cells: list[Cell], patches: int) -> list[PatchPlan]:
    """One boundary per cell (``boundaries``), named after its main town. The first half of
    the patches is team 1, the rest team 2."""
    plans = []
    shapes = boundaries(cells)
    for number, (name, geom) in enumerate(zip(_patch_names(cells), shapes, strict=True), 1):
        team = 1 + (number - 1) * 2 // patches
        plans.append(PatchPlan(number, name, team, _geojson(geom)))
    return plans


def boundaries(cells: list[Cell]) -> list:
    """Each cell's patch as a shapely (Multi)Polygon: the Voronoi cells of its homes, joined,
    within a district drawn ``_DISTRICT_MARGIN`` around every home. The patches tile the
    district and each home lies strictly inside its own patch (its Voronoi cell holds it),
    so the lines follow the gaps between neighbouring patches' streets, not a grid. A patch
    whose homes interleave with a neighbour's has more than one part, as real patches do.

    The cells are computed with longitude scaled by cos(latitude), so that they are
    shaped by distance on the ground; the scaling is undone before returning."""
    homes = [(lat, lon) for c in cells for u in c.units for lat, lon in u.homes]
    scale = math.cos(math.radians(sum(lat for lat, _ in homes) / len(homes)))
    owner: dict[tuple[float, float], int] = {}
    for k, cell in enumerate(cells):
        for u in cell.units:
            for lat, lon in u.homes:
                if owner.setdefault((lon * scale, lat), k) != k:
                    raise ValueError("Two patches have a home at the same position.")
    sites = shapely.multipoints(list(owner))
    district = sites.convex_hull.buffer(_DISTRICT_MARGIN)
    parts = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=district, ordered=True))
    members: list[list] = [[] for _ in cells]
    for part, k in zip(parts, owner.values(), strict=True):
        members[k].append(part)
    return [
        affinity.scale(
            shapely.coverage_union_all(m).intersection(district), 1 / scale, 1.0, origin=(0, 0)
        )
        for m in members
    ]


def _geojson(geom) -> dict:
    """A GeoJSON (Multi)Polygon with plain lists, as the import and the API expect."""
    return json.loads(shapely.to_geojson(geom))


def _patch_names(cells: list[Cell]) -> list[str]:
    """Each cell's main town; where a town has several cells, a compass word (or a number)
    tells them apart: "Melksham North", "Melksham South"."""
    towns = []
    for cell in cells:
        counts: dict[str, int] = {}
        for u in cell.units:
            town = POST_TOWNS[u.postcode.split()[0]]
            counts[town] = counts.get(town, 0) + u.size
        towns.append(max(sorted(counts), key=lambda t: counts[t]))
    names = list(towns)
    for town in sorted(set(towns)):
        members = [i for i, t in enumerate(towns) if t == town]
        if len(members) < 2:
            continue
        points = [_town_centre(cells[i], town) for i in members]
        mid_lat = sum(p[0] for p in points) / len(points)
        mid_lon = sum(p[1] for p in points) / len(points)
        offsets = [
            (
                (p[1] - mid_lon) * _m_per_deg_lon(mid_lat) / 1000,
                (p[0] - mid_lat) * _M_PER_DEG_LAT / 1000,
            )
            for p in points
        ]
        words = _compass(offsets) or [str(k + 1) for k in range(len(members))]
        for i, word in zip(members, words, strict=True):
            names[i] = f"{town} {word}"
    return names


def _town_centre(cell: Cell, town: str) -> tuple[float, float]:
    """The mean position of the cell's homes in ``town``."""
    pts = [p for u in cell.units if POST_TOWNS[u.postcode.split()[0]] == town for p in u.homes]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
