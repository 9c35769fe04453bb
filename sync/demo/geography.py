"""A deterministic demo landlord: a Wiltshire council's homes in five west Wiltshire towns.

Homes sit at real postcode unit positions (OS Code-Point Open, ``sync/data/postcodes.csv``)
in Trowbridge, Melksham, Westbury, Devizes and Bradford-on-Avon and the villages between,
with a few metres of jitter: a postcode unit holds a short run of houses along one street,
one block of flats (every flat at the block's single position) or a garage site. The homes
are cut into contiguous rectangular patches of equal size by median splits, in a grid as
near square as the number of patches allows (70 patches: 7 columns of 10), and each home
gets a current tenancy, tenants, six weekly rent account snapshots and, for a few, an older
ended tenancy and warning markers.

Every row is a dict in the nightly import format (``sync.intake.kinds``): dates are ISO
strings, booleans are bools. The output depends only on the arguments of ``generate``: the
same (seed, homes_per_patch, patches, as_of) gives the same rows, byte for byte.
"""

import csv
import io
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from itertools import accumulate, pairwise

import shapely
from shapely.geometry import shape

from sync import codes
from sync.clock import london_today

POST_TOWNS = {
    "BA14": "Trowbridge",
    "SN12": "Melksham",
    "BA13": "Westbury",
    "SN10": "Devizes",
    "BA15": "Bradford-on-Avon",
}


@dataclass
class PatchPlan:
    number: int
    name: str
    team: int
    boundary: dict


@dataclass
class Landlord:
    patches: list[PatchPlan]
    properties: list[dict]
    tenancies: list[dict]
    tenants: list[dict]
    accounts: list[dict]
    markers: list[dict]


# --- geography -------------------------------------------------------------------------

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
_BOX_MARGIN = 0.01  # degrees around the homes' bounding box
_WINDOW_WEEKS = 6  # account snapshots per tenancy


def _m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


_POSTCODE_CACHE: list[tuple[str, float, float]] = []


def _postcodes() -> list[tuple[str, float, float]]:
    """(postcode, latitude, longitude) of every unit in the demo districts, by postcode."""
    if not _POSTCODE_CACHE:
        text = resources.files("sync.demo.data").joinpath("postcodes.csv").read_text("utf-8")
        rows = [
            (r["postcode"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(io.StringIO(text))
            if r["postcode"].split()[0] in POST_TOWNS
        ]
        rows.sort()
        _POSTCODE_CACHE.extend(rows)
    return _POSTCODE_CACHE


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat1 - lat2) * _M_PER_DEG_LAT
    dx = (lon1 - lon2) * _m_per_deg_lon((lat1 + lat2) / 2)
    return math.hypot(dx, dy) / 1000


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
class _Cell:
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


def _cells(units: list[_Unit], patches: int) -> list[_Cell]:
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
            cells.append(_Cell(c, r, west, east, south, north, members))
    return cells


def _trim(rng: random.Random, cell: _Cell, target: int) -> None:
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


def _recentre_cuts(cells: list[_Cell]) -> None:
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


def _place(rng: random.Random, unit: _Unit, cell: _Cell) -> None:
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


# --- names -----------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_STREET_STEMS = _words("""
Acacia Alder Ash Aspen Beech Birch Blackthorn Bramble Cedar Chestnut Elm Hawthorn Hazel
Holly Juniper Larch Laurel Lime Maple Oak Poplar Rowan Sycamore Willow Yew Abbey Albert
Alexandra Balmoral Cambridge Coronation Victoria Windsor York Kings Queens Meadow Orchard
Mill Church Station Bridge Brook Canal Castle Chapel Field Forest Manor Market Spring Wharf
Well Farm Furlong Brunel Cobbett Hardy Tennyson Keats Shelley Wordsworth Milton Chaucer
Elgar Purcell Handel Nelson Drake Raleigh Wellington Churchill Attlee Bevan Wessex Mercia
Cotswold Mendip Quantock Purbeck Bluebell Buttercup Cowslip Foxglove Heather Lavender
Primrose Snowdrop Teasel Clover Kestrel Heron Kingfisher Lapwing Linnet Mallard Skylark
Swallow Wren Curlew Plover Downland Ridgeway Wansdyke Sarsen Bourne Combe Lynch Saxon Roman
Tudor Norman Longfield Broadmead Westfield Eastfield Northfield Southfield Greenhill
Fairfield Woodland Hillside Valley Ashton Charlotte Prospect Union Weavers Fullers
Clothiers Dyers Tanners Coopers Millers Masons Wheelwright Shepherds Drovers Carters Barley
Wheatfield Harvest Haymaker Sheepcote Oakfield Elmfield Beechfield Pound Cross Bell Crown
Rose Lark Paddock
""")
_STREET_SUFFIXES = (
    ("Road", 14),
    ("Close", 16),
    ("Way", 8),
    ("Avenue", 6),
    ("Crescent", 5),
    ("Drive", 7),
    ("Gardens", 4),
    ("Lane", 5),
    ("Walk", 3),
    ("Place", 3),
    ("Grove", 3),
    ("Rise", 2),
    ("View", 2),
    ("Green", 2),
    ("Street", 5),
    ("Mead", 3),
    ("Leaze", 2),
    ("Park", 2),
)
_BLOCK_STEMS = _words("""
Kennet Avon Brunel Wessex Churchill Attlee Orchard Mendip Sarsen Ridgeway Fairfield Cedar
Lime Harding Nightingale Beaufort Seymour Hungerford Longleat Selwood Wylye Nadder Pewsey
Salisbury Savernake Barnes Cunnington Aubrey Hazlitt Morris Lansdown Marlborough Woodland
Meadow Riverside Millbrook Parkside Greenway Highfield Elizabeth Victoria Alexandra Windsor
Jubilee Coronation Sovereign Heron Kingfisher Swallow Kestrel Oakley Ashley Bradley Hanson
Bythesea Stallard Castle Abbey Priory Chantry Rectory Mill
""")
_BLOCK_SUFFIXES = (("House", 45), ("Court", 40), ("Lodge", 10), ("Heights", 5))
_DIRECTIONS = ("Upper", "Lower", "North", "South", "East", "West", "Little")


class _NamePool:
    """Unique names per post town, drawn in a seeded, weighted order."""

    def __init__(self, rng: random.Random, stems, suffixes):
        self.rng = rng
        self.combos = [
            f"{s} {x}"
            for s in stems
            for x, _ in suffixes
            if x.lower() not in s.lower() and s.lower() not in x.lower()
        ]
        self.weights = dict(suffixes)
        self.pools: dict[str, list[str]] = {}
        self.rounds: dict[str, int] = {}

    def take(self, town: str) -> str:
        pool = self.pools.setdefault(town, [])
        if not pool:
            done = self.rounds.get(town, 0)
            if done > len(_DIRECTIONS):
                raise ValueError(f"Ran out of names in {town}.")
            prefix = f"{_DIRECTIONS[done - 1]} " if done else ""
            keyed = sorted(
                (-math.log(1 - self.rng.random()) / self.weights[c.rsplit(" ", 1)[1]], c)
                for c in self.combos
            )
            pool.extend(prefix + c for _, c in reversed(keyed))
            self.rounds[town] = done + 1
        return pool.pop()


_BRITISH_MALE = {
    "old": _words("""
        John David Michael Peter Robert Brian Alan Keith Terence Colin Derek Roy Kenneth
        Raymond Anthony Graham Barry Trevor Malcolm Geoffrey Dennis Gordon Stanley Ronald
    """),
    "mid": _words("""
        Paul Mark Andrew Stephen Gary Darren Lee Wayne Neil Simon Jason Craig Richard Carl
        Dean Martin Shaun Ian Kevin Stuart Christopher James Matthew Daniel
    """),
    "young": _words("""
        Jack Thomas Ryan Liam Connor Jordan Callum Kieran Jake Luke Josh Nathan Aaron
        Joshua Bradley Ben Alfie Harry Charlie Tyler Kyle Reece Lewis Sam
    """),
}
_BRITISH_FEMALE = {
    "old": _words("""
        Margaret Patricia Jean Sheila Brenda Joan Maureen Sylvia Doreen Pauline Valerie
        Janet Barbara Christine Carol Susan Linda Irene Eileen Kathleen Shirley Beryl
        Jennifer Ann
    """),
    "mid": _words("""
        Karen Tracey Julie Sharon Michelle Nicola Lisa Joanne Donna Claire Kelly Amanda
        Sarah Dawn Deborah Alison Emma Samantha Lorraine Angela Louise Rachel Kerry Helen
    """),
    "young": _words("""
        Chloe Jessica Amy Sophie Lauren Hannah Megan Jade Charlotte Rebecca Danielle Stacey
        Gemma Katie Shannon Courtney Bethany Holly Ellie Leah Abbie Paige Georgia Kayleigh
    """),
}
_BRITISH_SURNAMES = _words("""
Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans
Walker White Roberts Green Hall Wood Jackson Clarke Hughes Edwards Baker Harris Lewis King
Cooper Turner Moore Hill Ward Morris Parker Young Allen Mitchell Bennett Price Bailey Cook
Collins Gibbs Pearce Pike Hiscock Tucker Hibberd Sweet Rawlings Stokes Chivers Keel Gingell
Ferris Hobbs Maslen Brewer Dowse Goddard Hillier Lucas Sims Webb Pope Ponting Gale Tanner
Hunt Ball Burgess Payne Dyer Sparrow Harding Fry Gough Perrett Bull Neate Oatley Wiltshire
Coombs Francis Marsh Newman Powell Sheppard Watts Carter Fisher Murphy O'Brien Kelly
Campbell Stewart Reid Griffiths Jenkins Morgan
""")
# group: (male first names, female first names, surnames, language)
_MINORITY_NAMES = {
    "polish": (
        _words("""
            Piotr Tomasz Krzysztof Marcin Paweł Łukasz Michał Grzegorz Kamil Jakub
        """),
        _words("""
            Anna Katarzyna Agnieszka Magdalena Joanna Małgorzata Monika Ewa Aleksandra
            Justyna
        """),
        _words("""
            Nowak Kowalski Wiśniewski Wójcik Kamiński Lewandowski Zieliński Szymański
            Woźniak Dąbrowski Kaczmarek Mazur
        """),
        "Polish",
    ),
    "nepali": (
        _words("""
            Ram Bishnu Krishna Hari Dil Tek Prem Bhim Suresh Dipendra
        """),
        _words("""
            Sita Gita Kamala Sarita Laxmi Radhika Mina Sunita Bimala Anita
        """),
        _words("""
            Gurung Rai Limbu Thapa Magar Tamang Shrestha Pun Ale
        """),
        "Nepali",
    ),
    "romanian": (
        _words("""
            Andrei Ionuț Mihai Alexandru Florin Gheorghe Marius Cristian Bogdan Vasile
        """),
        _words("""
            Elena Ioana Maria Andreea Mihaela Gabriela Florentina Alina Daniela Roxana
        """),
        _words("""
            Popescu Popa Ionescu Dumitru Stan Stoica Rusu Munteanu Matei Constantin
        """),
        "Romanian",
    ),
    "portuguese": (
        _words("""
            João José Manuel António Rui Paulo Nuno Carlos Tiago Pedro
        """),
        _words("""
            Maria Ana Sofia Catarina Inês Joana Rita Marta Filipa Fátima
        """),
        _words("""
            Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Fernandes Gomes
            D'Souza
        """),
        "Portuguese",
    ),
    "urdu": (
        _words("""
            Mohammed Imran Tariq Asif Zahid Nadeem Shahid Kamran Adnan Faisal
        """),
        _words("""
            Nasreen Shazia Fatima Samina Parveen Rukhsana Ayesha Saima Nazia Bushra
        """),
        _words("""
            Khan Hussain Ahmed Ali Iqbal Akhtar Mahmood Rashid Butt
        """),
        "Urdu",
    ),
    "punjabi": (
        _words("""
            Harjit Gurpreet Sukhvinder Amarjit Rajinder Balwinder Jaswant Kuldip Paramjit
            Manjit
        """),
        _words("""
            Harpreet Jaspreet Manjeet Kulwinder Surinder Rajwinder Navdeep Simran Gurmeet
            Parminder
        """),
        _words("""
            Singh Sandhu Gill Dhillon Sidhu Bains Johal Sahota
        """),
        "Punjabi",
    ),
    "arabic": (
        _words("""
            Ahmad Mohammad Khaled Omar Yousef Mahmoud Ali Hassan Abdullah Bilal
        """),
        _words("""
            Fatima Amina Rania Layla Huda Noor Maryam Hala Reem Samar
        """),
        _words("""
            Al-Hassan Al-Ahmad Haddad Khalil Ibrahim Mansour Saleh Hamdan Nasser Darwish
        """),
        "Arabic",
    ),
}
# (group, weight, earliest tenancy start year, share not speaking English well)
_GROUPS = (
    ("british", 880, 0, 0.0),
    ("polish", 35, 2005, 0.4),
    ("nepali", 20, 2010, 0.65),
    ("romanian", 15, 2008, 0.5),
    ("portuguese", 20, 2001, 0.45),
    ("urdu", 12, 1995, 0.35),
    ("punjabi", 8, 1995, 0.3),
    ("arabic", 10, 2016, 0.75),
)

_VULNERABILITY_WEIGHTS = (
    ("mental_health", 25),
    ("physical_disability", 18),
    ("financial_hardship", 10),
    ("learning_disability", 6),
    ("serious_illness", 6),
    ("hearing_impairment", 4),
    ("visual_impairment", 3),
    ("substance_misuse", 5),
    ("domestic_abuse", 5),
    ("care_leaver", 3),
    ("bereavement", 4),
    ("pregnancy", 3),
    ("young_children", 8),
    ("low_literacy", 5),
)
_GENERAL_ADJUSTMENTS = (
    "Call before visiting",
    "Prefers visits after 11am",
    "Large print letters",
    "Needs time to reach the door",
    "Prefers letters to be explained by phone",
    "Prefers a female officer",
    "Speak slowly and check understanding",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-")).lower()


def _feminine(surname: str, group: str) -> str:
    if group == "polish" and surname.endswith("ski"):
        return surname[:-1] + "a"
    if group == "punjabi" and surname == "Singh":
        return "Kaur"
    return surname


# --- dates -----------------------------------------------------------------------------


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _monday_on_or_before(d: date) -> date:
    return d - _days(d.weekday())


def _working(d: date) -> bool:
    """Not a weekend, Christmas Day, Boxing Day or New Year's Day (courts do not sit)."""
    return d.weekday() < 5 and (d.month, d.day) not in ((12, 25), (12, 26), (1, 1))


def _weekday_on_or_after(d: date) -> date:
    while not _working(d):
        d += _days(1)
    return d


def _weekday_on_or_before(d: date) -> date:
    while not _working(d):
        d -= _days(1)
    return d


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


# --- the landlord ----------------------------------------------------------------------


@dataclass
class _Tenancy:
    uprn: int
    kind: str  # property kind
    bedrooms: int | None
    tenure: str
    start: date
    end: date | None
    rent: int  # pence a week
    lead_age: int
    group: str
    ref: str = ""
    people: list = field(default_factory=list)
    # account state
    weeks: float = 0.0  # arrears target in weeks of rent on the latest snapshot
    benefit: str = "none"
    uc_day: int | None = None
    managed: bool = False
    deduction: int | None = None  # pence a week
    arrangement: dict | None = None
    legal: dict | None = None
    breathing: dict | None = None
    trend: str = "stable"

    @property
    def current(self) -> bool:
        return self.end is None


_AGE_BANDS = (
    (18, 24, 5),
    (25, 34, 15),
    (35, 44, 17),
    (45, 54, 17),
    (55, 64, 17),
    (65, 74, 14),
    (75, 84, 10),
    (85, 96, 5),
)
_YOUNG_AGE_BANDS = (
    (18, 24, 30),
    (25, 34, 35),
    (35, 44, 15),
    (45, 54, 10),
    (55, 64, 6),
    (65, 80, 4),
)
_RENT_BANDS = {
    0: (70.0, 78.0),
    1: (78.0, 90.0),
    2: (88.0, 102.0),
    3: (98.0, 112.0),
    4: (108.0, 122.0),
}


def _draw_age(rng: random.Random, bands) -> int:
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(low, high)


def _truncated_exp(rng: random.Random, mean: float, high: float) -> float:
    """A draw from Exp(mean) conditioned to [0, high]."""
    if high <= 0:
        return 0.0
    return -mean * math.log(1 - rng.random() * (1 - math.exp(-high / mean)))


def generate(
    seed: int = 1, homes_per_patch: int = 1800, patches: int = 6, as_of: date | None = None
) -> Landlord:
    """A demo landlord of ``patches`` patches of ``homes_per_patch`` properties each."""
    if patches < 1 or homes_per_patch < 1:
        raise ValueError("patches and homes_per_patch must be positive.")
    as_of = as_of or london_today()
    master = random.Random(seed)
    streams = [random.Random(master.getrandbits(64)) for _ in range(8)]
    layout_rng, place_rng, names_rng, stock_rng, people_rng, account_rng, marker_rng, legal_rng = (
        streams
    )

    cells = _layout(layout_rng, homes_per_patch, patches)
    for cell in cells:
        for unit in cell.units:
            _place(place_rng, unit, cell)
    plans = _patch_plans(cells, patches)
    properties, dwellings = _properties(names_rng, stock_rng, cells)
    tenancies = _tenancies(people_rng, properties, dwellings, as_of)
    _assign_refs(people_rng, tenancies)
    tenants = _tenants(people_rng, tenancies, as_of)
    _accounts_state(account_rng, legal_rng, tenancies, as_of, len(properties))
    accounts = _accounts(account_rng, tenancies, as_of)
    markers = _markers(marker_rng, tenancies, as_of)
    tenancy_rows = [
        {
            "tenancy_ref": t.ref,
            "uprn": t.uprn,
            "tenure": t.tenure,
            "start_date": _iso(t.start),
            "end_date": _iso(t.end),
            "weekly_rent": t.rent / 100,
        }
        for t in sorted(tenancies, key=lambda t: t.ref)
    ]
    return Landlord(plans, properties, tenancy_rows, tenants, accounts, markers)


def _layout(rng: random.Random, homes_per_patch: int, patches: int) -> list[_Cell]:
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


def _patch_plans(cells: list[_Cell], patches: int) -> list[PatchPlan]:
    homes = [(lat, lon) for c in cells for u in c.units for lat, lon in u.homes]
    south = round(min(p[0] for p in homes) - _BOX_MARGIN, 6)
    north = round(max(p[0] for p in homes) + _BOX_MARGIN, 6)
    west = round(min(p[1] for p in homes) - _BOX_MARGIN, 6)
    east = round(max(p[1] for p in homes) + _BOX_MARGIN, 6)
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
        points = []
        for i in members:
            pts = [
                p
                for u in cells[i].units
                if POST_TOWNS[u.postcode.split()[0]] == town
                for p in u.homes
            ]
            points.append((sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)))
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
    plans = []
    for number, (cell, name) in enumerate(zip(cells, names, strict=True), start=1):
        x0 = west if cell.west is None else cell.west
        x1 = east if cell.east is None else cell.east
        y0 = south if cell.south is None else cell.south
        y1 = north if cell.north is None else cell.north
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        team = 1 + (number - 1) * 2 // patches
        plans.append(PatchPlan(number, name, team, {"type": "Polygon", "coordinates": [ring]}))
    return plans


def _properties(
    names_rng: random.Random, rng: random.Random, cells: list[_Cell]
) -> tuple[list[dict], list[int]]:
    """Property rows, and for each the bedroom count (None for garages)."""
    streets = _NamePool(names_rng, _STREET_STEMS, _STREET_SUFFIXES)
    blocks = _NamePool(names_rng, _BLOCK_STEMS, _BLOCK_SUFFIXES)
    units = sorted((u for c in cells for u in c.units), key=lambda u: (u.postcode, u.instance))
    rows: list[dict] = []
    bedrooms_of: list = []
    uprn = 100121000000
    for u in units:
        town = POST_TOWNS[u.postcode.split()[0]]
        street = streets.take(town)
        base = {
            "address_line_2": None,
            "address_line_3": None,
            "post_town": town,
            "postcode": u.postcode,
            "building": None,
        }
        if u.kind == "houses":
            step = 2 if rng.random() < 0.7 else 1
            first = rng.randint(1, 60) * step - (step - 1) * rng.randint(0, 1)
            main = rng.choices((1, 2, 3, 4), weights=(8, 48, 38, 6))[0]
            labels = [(f"{first + i * step} {street}", None) for i in range(u.size)]
            beds = [
                main
                if rng.random() < 0.75
                else rng.choices((1, 2, 3, 4), weights=(8, 48, 38, 6))[0]
                for _ in labels
            ]
        elif u.kind == "flats":
            block = blocks.take("")  # unique across the landlord, not just the town
            labels = [(f"Flat {i + 1}, {block}", block) for i in range(u.size)]
            beds = [rng.choices((0, 1, 2, 3), weights=(12, 58, 27, 3))[0] for _ in labels]
            base["address_line_2"] = street
        else:
            site = f"{street} Garages"
            labels = [(f"Garage {i + 1}, Rear of {street}", site) for i in range(u.size)]
            beds = [None] * u.size
        for (line_1, building), bedrooms, (lat, lon) in zip(labels, beds, u.homes, strict=True):
            uprn += rng.randint(1, 3)
            rows.append(
                {
                    "uprn": uprn,
                    "address_line_1": line_1,
                    **base,
                    "latitude": lat,
                    "longitude": lon,
                    "kind": "garage" if u.kind == "garages" else "dwelling",
                    "building": building,
                    "bedrooms": bedrooms,
                }
            )
            bedrooms_of.append(bedrooms)
    return rows, bedrooms_of


def _rent(rng: random.Random, bedrooms: int | None) -> int:
    if bedrooms is None:
        return round(rng.uniform(10.0, 15.0) * 4) * 25  # garages: to the quarter pound
    low, high = _RENT_BANDS[min(bedrooms, 4)]
    share = min(1.0, max(0.0, rng.gauss(0.3, 0.2)))
    return round((low + (high - low) * share) * 100)


def _tenancies(
    rng: random.Random, properties: list[dict], bedrooms: list, as_of: date
) -> list[_Tenancy]:
    out: list[_Tenancy] = []
    earliest = date(1995, 1, 2)
    for prop, beds in zip(properties, bedrooms, strict=True):
        garage = prop["kind"] == "garage"
        rent = _rent(rng, beds)
        if garage:
            tenure = "garage"
        else:
            tenure = rng.choices(("secure", "introductory", "flexible"), weights=(84, 9, 7))[0]
        age = _draw_age(rng, _YOUNG_AGE_BANDS if tenure == "introductory" else _AGE_BANDS)
        if tenure in ("secure", "flexible"):
            age = max(age, 20)
        dob_limit = _years_before(as_of, age - 18)  # the date they turned 18, roughly
        if tenure == "introductory":
            days = rng.randint(1, 84) if rng.random() < 0.33 else rng.randint(85, 364)
        else:
            low = 0 if (garage or rng.random() < 0.008) else 365
            first = max(
                earliest, dob_limit, date(2013, 4, 1) if tenure == "flexible" else earliest
            )
            span = max(low, (as_of - first).days)
            days = low + int(_truncated_exp(rng, 18 * 365, span - low))
            if low == 0:
                days = max(days, 1)
        start = _monday_on_or_before(as_of - _days(days))
        group = _draw_group(rng, start)
        out.append(
            _Tenancy(prop["uprn"], prop["kind"], beds, tenure, start, None, rent, age, group)
        )
    # About 3% of dwellings had an earlier tenancy that ended with arrears.
    for t in [t for t in out if t.kind == "dwelling"]:
        if rng.random() >= 0.03:
            continue
        if t.tenure == "introductory":
            t.start = _monday_on_or_before(as_of - _days(rng.randint(30, 360)))
        else:
            t.start = _monday_on_or_before(as_of - _days(rng.randint(365, 1100)))
        t.lead_age = max(t.lead_age, 19 + (as_of - t.start).days // 365)
        end = t.start - _days(rng.randint(7, 56) // 7 * 7 + 1)  # a Sunday
        length = max(30, int(_truncated_exp(rng, 6 * 365, (end - date(1988, 1, 4)).days)))
        start = _monday_on_or_before(end - _days(length))
        tenure = (
            "introductory"
            if (end - start).days < 365 and start >= date(1997, 4, 1)
            else ("flexible" if start >= date(2013, 4, 1) and rng.random() < 0.1 else "secure")
        )
        years = (as_of - end).days / 365
        rent = round(t.rent * (1 - 0.03 * years) * rng.uniform(0.97, 1.0))
        age = max(_draw_age(rng, _AGE_BANDS), 18 + math.ceil((as_of - start).days / 365))
        out.append(
            _Tenancy(
                t.uprn, t.kind, t.bedrooms, tenure, start, end, rent, age, _draw_group(rng, start)
            )
        )
    return out


def _draw_group(rng: random.Random, start: date) -> str:
    eligible = [g for g in _GROUPS if start.year >= g[2]]
    return rng.choices([g[0] for g in eligible], weights=[g[1] for g in eligible])[0]


def _assign_refs(rng: random.Random, tenancies: list[_Tenancy]) -> None:
    """Tenancy references in order of start date, as a housing system would issue them."""
    number = 10000
    for t in sorted(tenancies, key=lambda t: (t.start, t.uprn, t.end is None)):
        number += rng.randint(1, 3)
        t.ref = f"TEN{number:07d}"


def _person(
    rng: random.Random, group: str, female: bool, age: int, as_of: date, surname: str | None = None
) -> dict:
    birth_year = as_of.year - age
    if group == "british":
        era = "old" if birth_year < 1960 else "mid" if birth_year < 1985 else "young"
        first = rng.choice((_BRITISH_FEMALE if female else _BRITISH_MALE)[era])
        last = surname or rng.choice(_BRITISH_SURNAMES)
    else:
        males, females, surnames, _ = _MINORITY_NAMES[group]
        first = rng.choice(females if female else males)
        last = surname or rng.choice(surnames)
        if female:
            last = _feminine(last, group)
    dob = _years_before(as_of, age) - _days(rng.randint(1, 364))
    if female:
        title = rng.choices(
            ("Mrs", "Ms", "Miss"), weights=(45, 30, 25) if age >= 30 else (15, 35, 50)
        )[0]
    else:
        title = "Mr"
    r = rng.random()
    if r < 0.01:
        title = "Mx"
    elif r < 0.03:
        title = None
    return {
        "title": title,
        "first_name": first,
        "last_name": last,
        "dob": dob,
        "age": age,
        "female": female,
    }


def _contact(rng: random.Random, person: dict) -> dict:
    age = person["age"]
    mobile = phone = email = None
    if rng.random() < (0.93 if age < 60 else 0.78 if age < 75 else 0.45):
        mobile = f"07700 900{rng.randint(0, 999):03d}"
    if rng.random() < (0.1 if age < 40 else 0.25 if age < 65 else 0.6):
        phone = f"01632 960{rng.randint(0, 999):03d}"
    if rng.random() < (0.55 if age < 45 else 0.4 if age < 60 else 0.22 if age < 75 else 0.06):
        first, last = _ascii(person["first_name"]), _ascii(person["last_name"])
        pattern = rng.randint(0, 3)
        local = (
            f"{first}.{last}"
            if pattern == 0
            else f"{first}{last}{rng.randint(1, 99)}"
            if pattern == 1
            else f"{first[0]}{last}{person['dob'].year % 100:02d}"
            if pattern == 2
            else f"{last}.{first}{rng.randint(1, 9)}"
        )
        email = f"{local}@example.com"
    weights = (
        {"phone": 27, "sms": 35, "email": 16, "letter": 16, "visit": 6}
        if age < 60
        else {"phone": 38, "sms": 6, "email": 6, "letter": 38, "visit": 12}
    )
    possible = {
        "phone": bool(phone or mobile),
        "sms": bool(mobile),
        "email": bool(email),
        "letter": True,
        "visit": True,
    }
    methods = [m for m in codes.CONTACT_METHODS if possible[m]]
    preferred = rng.choices(methods, weights=[weights[m] for m in methods])[0]
    return {"phone": phone, "mobile": mobile, "email": email, "preferred_contact": preferred}


def _vulnerabilities(rng: random.Random, person: dict, chance: float) -> list[str]:
    found = ["older_person"] if person["age"] >= 75 else []
    if rng.random() >= chance:
        return found
    age, female = person["age"], person["female"]
    allowed = [
        (c, w)
        for c, w in _VULNERABILITY_WEIGHTS
        if not (c == "pregnancy" and (not female or age > 44))
        and not (c == "young_children" and age > 50)
        and not (c == "care_leaver" and age > 25)
        and not (c == "domestic_abuse" and not female and rng.random() < 0.8)
    ]
    count = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
    for _ in range(count):
        code = rng.choices([c for c, _ in allowed], weights=[w for _, w in allowed])[0]
        if code not in found:
            found.append(code)
    order = list(codes.VULNERABILITIES)
    return sorted(found, key=order.index)


def _adjustments(rng: random.Random, vulns: list[str], contact: dict) -> str | None:
    notes = []
    if "hearing_impairment" in vulns and rng.random() < 0.7:
        notes.append("Deaf: contact by SMS")
        if not contact["mobile"]:
            contact["mobile"] = f"07700 900{rng.randint(0, 999):03d}"
        contact["preferred_contact"] = "sms"
    if "visual_impairment" in vulns and rng.random() < 0.7:
        notes.append("Large print letters")
    if ("physical_disability" in vulns or "older_person" in vulns) and rng.random() < 0.15:
        notes.append("Needs time to reach the door")
    if "learning_disability" in vulns and rng.random() < 0.5:
        notes.append(
            rng.choice(
                ("Autism: avoid unannounced visits", "Easy-read letters; explain things slowly")
            )
        )
    if "mental_health" in vulns and rng.random() < 0.25:
        notes.append(
            rng.choice(("Call before visiting", "Anxiety: arrange visits in advance by text"))
        )
    if "low_literacy" in vulns and rng.random() < 0.5:
        notes.append("Cannot read letters: explain by phone or in person")
    if not notes and rng.random() < 0.045:
        notes.append(rng.choice(_GENERAL_ADJUSTMENTS))
    return "; ".join(notes) or None


def _tenants(rng: random.Random, tenancies: list[_Tenancy], as_of: date) -> list[dict]:
    rows = []
    number = 100000
    for t in sorted(tenancies, key=lambda t: t.ref):
        female = rng.random() < 0.62
        lead = _person(rng, t.group, female, t.lead_age, as_of)
        people = [lead]
        joint_chance = {None: 0.0, 0: 0.05, 1: 0.15, 2: 0.35, 3: 0.5, 4: 0.55}[t.bedrooms]
        if rng.random() < joint_chance:
            partner_female = (not female) if rng.random() < 0.93 else female
            age = max(18, t.lead_age + rng.randint(-6, 6))
            surname = lead["last_name"] if rng.random() < 0.75 else None
            if surname and t.group != "british" and not partner_female:
                surname = surname.replace("ska", "ski").replace("Kaur", "Singh")
            people.append(_person(rng, t.group, partner_female, age, as_of, surname))
        language = None
        share = next(g[3] for g in _GROUPS if g[0] == t.group)
        if share and rng.random() < share:
            language = _MINORITY_NAMES[t.group][3]
        arrears_prone = t.lead_age < 66
        for i, person in enumerate(people):
            number += rng.randint(1, 3)
            contact = _contact(rng, person)
            chance = (0.12 + (0.04 if arrears_prone else 0.0)) if i == 0 else 0.07
            vulns = _vulnerabilities(rng, person, chance)
            adjustments = _adjustments(rng, vulns, contact)
            speaks = language if (i == 0 or rng.random() < 0.7) else None
            interpreter = bool(speaks) and rng.random() < 0.45
            if interpreter and not adjustments and rng.random() < 0.5:
                adjustments = f"Use a {speaks} interpreter for visits and calls"
            if speaks and contact["preferred_contact"] == "email" and interpreter:
                contact["preferred_contact"] = "visit"
            person_row = {
                "person_ref": f"P{number:08d}",
                "tenancy_ref": t.ref,
                "is_lead": i == 0,
                "title": person["title"],
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "date_of_birth": _iso(person["dob"]),
                **contact,
                "language": speaks,
                "interpreter_needed": interpreter,
                "reasonable_adjustments": adjustments,
                "vulnerabilities": vulns,
            }
            rows.append(person_row)
            t.people.append(person_row)
    return rows


# --- rent accounts ---------------------------------------------------------------------


def _weighted_pick(rng: random.Random, items: list, weight, count: int) -> list:
    """``count`` items sampled without replacement, favouring larger ``weight(item)``."""
    keyed = sorted(
        ((-math.log(1 - rng.random()) / max(weight(x), 1e-9), i) for i, x in enumerate(items))
    )
    return [items[i] for _, i in keyed[:count]]


def _notice(rng: random.Random, tenure: str, served: date) -> dict:
    notice_type = {
        "introductory": "notice_to_quit",
        "assured": "section_8",
        "starter": "section_8",
    }.get(tenure, "nosp")
    if notice_type == "notice_to_quit":
        expiry = served + _days(28)
        expiry += _days((6 - expiry.weekday()) % 7)  # the end of a rent week (Sunday)
    else:
        expiry = served + _days(rng.randint(28, 35))
    return {"notice_type": notice_type, "notice_served_date": served, "notice_expiry_date": expiry}


def _legal_chain(rng: random.Random, stage: str, t: _Tenancy, as_of: date) -> dict:
    if stage == "notice":
        served = _weekday_on_or_before(as_of - _days(rng.randint(7, 180)))
        served = max(served, _weekday_on_or_after(t.start + _days(56)))
        return _notice(rng, t.tenure, served)
    if stage == "claim":
        served = _weekday_on_or_before(as_of - _days(rng.randint(70, 240)))
        served = max(served, _weekday_on_or_after(t.start + _days(56)))
        legal = _notice(rng, t.tenure, served)
        expiry = legal["notice_expiry_date"]
        claim = min(expiry + _days(rng.randint(7, 70)), as_of - _days(rng.randint(5, 12)))
        claim = _weekday_on_or_before(max(claim, expiry + _days(1)))
        if claim <= expiry:
            claim = _weekday_on_or_after(expiry + _days(1))
        hearing = None
        if rng.random() < 0.88 or claim < as_of - _days(42):
            hearing = _weekday_on_or_after(as_of + _days(rng.randint(7, 42)))
        return {**legal, "claim_date": claim, "hearing_date": hearing}
    # order or warrant
    if stage == "order":
        order_type = rng.choices(("suspended", "outright", "adjourned"), weights=(70, 12, 18))[0]
        back = rng.randint(7, 40) if order_type == "outright" else rng.randint(14, 300)
    else:
        order_type = rng.choices(("suspended", "outright"), weights=(75, 25))[0]
        back = rng.randint(60, 400) if order_type == "suspended" else rng.randint(35, 90)
    order_date = _weekday_on_or_before(as_of - _days(back))
    claim = _weekday_on_or_before(order_date - _days(rng.randint(35, 63)))
    expiry_limit = claim - _days(rng.randint(7, 60))
    served = _weekday_on_or_before(expiry_limit - _days(rng.randint(28, 35)))
    legal = _notice(rng, t.tenure, served)
    legal.update(
        {
            "claim_date": claim,
            "hearing_date": order_date,
            "order_type": order_type,
            "order_date": order_date,
        }
    )
    if stage == "warrant":
        warrant = _weekday_on_or_before(
            max(order_date + _days(28), as_of - _days(rng.randint(7, 42)))
        )
        warrant = min(warrant, _weekday_on_or_before(as_of - _days(3)))
        legal.update(
            {
                "warrant_date": warrant,
                "eviction_date": _weekday_on_or_after(as_of + _days(rng.randint(7, 28))),
            }
        )
    return legal


def _arrangement(
    rng: random.Random, t: _Tenancy, as_of: date, status: str, start: date | None = None
) -> dict:
    if t.benefit == "universal_credit":
        frequency = rng.choices(("weekly", "fortnightly", "monthly"), weights=(30, 10, 60))[0]
    else:
        frequency = rng.choices(("weekly", "fortnightly", "monthly"), weights=(60, 18, 22))[0]
    if frequency == "monthly":
        amount = rng.choice((15, 20, 20, 25, 30, 40, 40, 50, 60, 75, 100)) * 100
        weekly = round(amount * 12 / 52)
    else:
        weekly = rng.choice((3, 4, 5, 5, 6, 7.5, 8, 10, 10, 12, 15, 15, 20, 25))
        weekly = round(weekly * 100)
        amount = weekly * (2 if frequency == "fortnightly" else 1)
    if start is None:
        start = as_of - _days(rng.randint(21, 300))
        start = max(start, t.start + _days(28))
    change = None  # when it was breached, completed or cancelled
    if status != "live":
        earliest = max(start + _days(14), as_of - _days(40))
        change = earliest + _days(rng.randint(0, max(0, (as_of - earliest).days - 3)))
        change = min(change, as_of)
    return {
        "amount": amount,
        "weekly": weekly,
        "frequency": frequency,
        "start": start,
        "status": status,
        "change": change,
    }


def _accounts_state(
    rng: random.Random,
    legal_rng: random.Random,
    tenancies: list[_Tenancy],
    as_of: date,
    property_count: int,
) -> None:
    """Decide each account's latest position: arrears, benefit, arrangement, legal steps."""
    window_start = as_of - _days(7 * (_WINDOW_WEEKS - 1))
    for t in tenancies:
        if not t.current:
            t.weeks = math.exp(rng.gauss(math.log(8), 0.9))
            continue
        new = t.start > as_of - _days(84)
        if t.kind == "garage":
            t.weeks = rng.uniform(1, 8) if rng.random() < 0.12 else 0.0
            if t.weeks == 0.0 and rng.random() < 0.3:
                t.weeks = -rng.uniform(0.5, 4)
            continue
        pensioner = t.lead_age >= 66
        chance = 0.55 if new else 0.10 if pensioner else 0.375
        if rng.random() < chance:
            t.weeks = min(60.0, max(0.15, math.exp(rng.gauss(math.log(2.4), 1.0))))
            if new:
                t.weeks = min(t.weeks, (as_of - t.start).days / 7 + 1)
        elif rng.random() < 0.55:
            t.weeks = -min(8.0, math.exp(rng.gauss(math.log(0.8), 0.8)))
        if pensioner:
            t.benefit = "housing_benefit" if rng.random() < 0.68 else "none"
        else:
            uc = 0.68 if t.weeks > 0 else 0.4
            r = rng.random()
            t.benefit = (
                "universal_credit" if r < uc else "housing_benefit" if r < uc + 0.04 else "none"
            )
        if t.benefit == "universal_credit":
            t.uc_day = rng.randint(1, 28)
    dwellings = [t for t in tenancies if t.current and t.kind == "dwelling"]
    established = [t for t in dwellings if t.start <= as_of - _days(130)]

    # Legal steps, deepest first, on cases with enough arrears.
    scale = property_count / 10800
    wanted = {"warrant": 5, "order": 10, "claim": 12, "notice": 30}
    thresholds = {"warrant": 10.0, "order": 8.0, "claim": 8.0, "notice": 6.0}
    for stage in ("warrant", "order", "claim", "notice"):
        count = round(wanted[stage] * scale)
        if property_count >= 300:
            count = max(1, count)
        old_enough = as_of - _days(730 if stage in ("warrant", "order") else 130)
        pool = [t for t in established if t.legal is None and t.start <= old_enough]
        ready = [t for t in pool if t.weeks >= thresholds[stage]]
        if len(ready) < count:  # deepen some arrears cases so the stage is represented
            others = [t for t in pool if t.weeks < thresholds[stage]]
            for t in _weighted_pick(
                legal_rng, others, lambda t: 1 + max(t.weeks, 0), count - len(ready)
            ):
                t.weeks = thresholds[stage] + legal_rng.uniform(0, 12)
                if t.benefit == "none" and t.lead_age < 66 and legal_rng.random() < 0.6:
                    t.benefit, t.uc_day = "universal_credit", legal_rng.randint(1, 28)
            ready = [t for t in pool if t.weeks >= thresholds[stage]]
        # Introductory tenancies are a share of early notices and claims (notices to quit).
        trial = [t for t in ready if t.tenure == "introductory"]
        picked = _weighted_pick(legal_rng, trial, lambda t: t.weeks, round(count * 0.1))
        taken = {t.uprn for t in picked}
        ready = [t for t in ready if t.uprn not in taken]
        picked += _weighted_pick(legal_rng, ready, lambda t: t.weeks, count - len(picked))
        for t in picked:
            t.legal = _legal_chain(legal_rng, stage, t, as_of)
            t.legal["stage"] = stage

    arrears = [t for t in dwellings if t.weeks > 0]
    # Breathing Space on about 1% of arrears cases, none with legal steps.
    count = round(0.01 * len(arrears))
    if property_count >= 300:
        count = max(1, count)
    pool = [
        t for t in arrears if t.legal is None and t.weeks >= 1.5 and t.start <= as_of - _days(130)
    ]
    chosen = _weighted_pick(rng, pool, lambda t: 1.0, count)
    ended = round(count * 0.08) if count >= 5 else 0
    for i, t in enumerate(chosen):
        if i < ended:
            start = as_of - _days(rng.randint(65, 150))
            t.breathing = {"type": "standard", "start": start, "end": start + _days(60)}
        elif rng.random() < 0.2:
            start = as_of - _days(rng.randint(10, 200))
            end = None if rng.random() < 0.5 else as_of + _days(rng.randint(10, 90))
            t.breathing = {"type": "mental_health_crisis", "start": start, "end": end}
        else:
            start = as_of - _days(rng.randint(1, 59))
            t.breathing = {"type": "standard", "start": start, "end": start + _days(60)}
        t.breathing["start"] = max(t.breathing["start"], t.start + _days(28))

    # Universal Credit: managed payments and deductions for arrears.
    for t in dwellings:
        if t.benefit != "universal_credit" or t.weeks <= 0 or t.start > as_of - _days(84):
            continue
        if t.weeks >= 8 and rng.random() < 0.55:
            t.managed = True
        if t.weeks >= 4 and rng.random() < 0.35:
            t.deduction = rng.randint(36, 100) * 25

    # Arrangements: about 40% of arrears cases, plus a few completed on cleared accounts.
    for t in arrears:
        if t.start > as_of - _days(50):
            continue
        stage = t.legal["stage"] if t.legal else None
        if stage in ("order", "warrant") and t.legal["order_type"] == "suspended":
            status = "breached" if stage == "warrant" or rng.random() < 0.4 else "live"
            t.arrangement = _arrangement(rng, t, as_of, status, start=t.legal["order_date"])
            if status == "breached":
                low = t.legal["order_date"] + _days(14)
                t.arrangement["change"] = min(
                    as_of, low + _days(rng.randint(0, max(0, (as_of - low).days - 7)))
                )
                if stage == "warrant":
                    t.arrangement["change"] = min(
                        t.arrangement["change"], t.legal["warrant_date"] - _days(7)
                    )
            continue
        if rng.random() >= (0.5 if stage else 0.4):
            continue
        status = rng.choices(("live", "breached", "cancelled"), weights=(74, 21, 5))[0]
        if stage and status == "live" and rng.random() < 0.5:
            status = "breached"
        t.arrangement = _arrangement(rng, t, as_of, status)
    made = sum(1 for t in arrears if t.arrangement)
    cleared = [t for t in dwellings if t.weeks <= 0 and t.start <= as_of - _days(200)]
    for t in _weighted_pick(rng, cleared, lambda t: 1.0, round(made * 0.05)):
        t.arrangement = _arrangement(rng, t, as_of, "completed")

    # How the balance has moved over the snapshot window.
    for t in tenancies:
        if not t.current:
            t.trend = "former"
        elif t.arrangement and t.arrangement["status"] in ("live", "completed"):
            t.trend = "arrangement"
        elif t.arrangement and t.arrangement["status"] in ("breached", "cancelled"):
            t.trend = "breached"
        elif t.breathing or t.weeks <= 0:
            t.trend = "stable"
        else:
            t.trend = rng.choices(("rising", "stable", "falling"), weights=(45, 35, 20))[0]
        if t.start > window_start - _days(28):
            t.trend = "new"


def _payment_dates(rng: random.Random, mode: str, begin: date, as_of: date) -> list[date]:
    """Dates of regular payments in [begin, as_of - 1], newest last."""
    dates: list[date] = []
    if mode in ("weekly", "fourweekly"):
        step = 7 if mode == "weekly" else 28
        d = as_of - _days(rng.randint(1, step))
        while d >= begin:
            dates.append(d)
            d -= _days(step)
    elif mode == "monthly":
        day = rng.randint(1, 28)
        if day == as_of.day:
            day = day % 28 + 1
        month = date(as_of.year, as_of.month, 1)
        while True:
            d = month.replace(day=day)
            if d < begin:
                break
            if d < as_of:
                dates.append(d)
            month = _add_months(month, -1)
    return dates[::-1]


def _ledger(rng: random.Random, t: _Tenancy, as_of: date) -> tuple[int, list, list]:
    """(opening balance, charges, payments) over the window: lists of (date, pence)."""
    begin = as_of - _days(7 * (_WINDOW_WEEKS - 1) + 35)
    rent = t.rent
    target = round(t.weeks * rent)
    if not t.current:
        payments = []
        if rng.random() < 0.2:
            d = as_of - _days(rng.randint(1, 30))
            while d >= begin:
                payments.append((d, rng.choice((5, 10, 10, 15, 20, 25)) * 100))
                d -= _days(rng.randint(25, 35))
            payments.reverse()
        opening = target + sum(p for _, p in payments)
        return opening, [], payments
    charge_from = max(begin, t.start)
    first_monday = charge_from + _days((7 - charge_from.weekday()) % 7)
    charges = []
    d = first_monday
    while d <= as_of:
        charges.append((d, rent))
        d += _days(7)

    arrangement = t.arrangement
    weekly_extra = arrangement["weekly"] if arrangement else round(rng.uniform(3, 15) * 100)
    if t.trend == "new":
        if t.weeks > 0 and t.benefit == "universal_credit":
            base, after = 0, None  # waiting for the first Universal Credit payment
        elif t.weeks > 0:
            base, after = round(rent * rng.uniform(0.4, 0.85)), None
        else:
            base, after = rent, None
    elif t.trend == "arrangement":
        base = rent + weekly_extra
        after = rent if arrangement["status"] == "completed" else None
    elif t.trend == "breached":
        base = rent + weekly_extra
        after = round(rent * rng.uniform(0.2, 0.8))
    elif t.trend == "rising":
        base, after = round(rent * rng.uniform(0.5, 0.9)), None
    elif t.trend == "falling":
        base, after = rent + weekly_extra, None
    else:
        base, after = rent, None
    if t.deduction:
        base += t.deduction
        if after is not None:
            after += t.deduction
    change = arrangement["change"] if arrangement and after is not None else None

    sporadic = t.weeks >= 8 and t.trend in ("rising", "breached", "stable") and not t.managed
    if sporadic:
        lo = 12 if t.weeks >= 15 else 5
        d = as_of - _days(rng.randint(lo, 30))
        dates = []
        while d >= max(begin, t.start):
            dates.append(d)
            d -= _days(rng.randint(10, 30))
        dates.reverse()
        payments = []
        previous = None
        for d in dates:
            gap = (d - previous).days if previous else 21
            weekly = after if (change and d >= change) else base
            payments.append((d, max(500, round(weekly * gap / 7 * rng.uniform(0.6, 1.2)))))
            previous = d
    else:
        if t.managed:
            mode, periods = "fourweekly", 4.0
        elif t.benefit == "universal_credit" or (t.kind == "dwelling" and rng.random() < 0.3):
            mode, periods = "monthly", 52 / 12
        else:
            mode, periods = "weekly", 1.0
        if t.trend == "new" and base == 0:
            dates = []
        else:
            dates = _payment_dates(rng, mode, max(begin, t.start), as_of)
        payments = []
        for d in dates:
            weekly = after if (change and d >= change) else base
            amount = round(weekly * periods)
            if amount <= 0:
                amount = rng.choice((5, 10, 20)) * 100  # a token payment
            payments.append((d, amount))
    if t.trend == "new":
        opening = 0
    else:
        opening = target - sum(c for _, c in charges) + sum(p for _, p in payments)
    return opening, charges, payments


def _accounts(rng: random.Random, tenancies: list[_Tenancy], as_of: date) -> list[dict]:
    rows = []
    snapshot_dates = [as_of - _days(7 * k) for k in range(_WINDOW_WEEKS - 1, -1, -1)]
    for t in sorted(tenancies, key=lambda t: t.ref):
        opening, charges, payments = _ledger(rng, t, as_of)
        last_paid = None
        if not t.current:
            last_paid = (
                max(t.start, t.end - _days(rng.randint(0, 60))),
                round(t.rent * rng.choice((1, 2, 4))),
            )
        dated = t.current and t.start > snapshot_dates[0]
        balance, ci, pi = opening, 0, 0
        legal, a, b = t.legal, t.arrangement, t.breathing
        fixed = {
            "tenancy_ref": t.ref,
            "benefit": t.benefit,
            "uc_managed_payment": t.managed,
            "uc_deduction_weekly": t.deduction / 100 if t.deduction else None,
            "uc_assessment_day": t.uc_day,
        }
        for d in snapshot_dates:
            while ci < len(charges) and charges[ci][0] <= d:
                balance += charges[ci][1]
                ci += 1
            while pi < len(payments) and payments[pi][0] <= d:
                balance -= payments[pi][1]
                last_paid = payments[pi]
                pi += 1
            if dated and d < t.start:
                continue
            row = {
                "tenancy_ref": t.ref,
                "as_of": d.isoformat(),
                "balance": balance / 100,
                "arrears_weeks": None,
                "last_payment_date": last_paid[0].isoformat() if last_paid else None,
                "last_payment_amount": last_paid[1] / 100 if last_paid else None,
                **fixed,
                "arrangement_amount": None,
                "arrangement_frequency": None,
                "arrangement_start": None,
                "arrangement_status": None,
            }
            if a and a["start"] <= d:
                status = a["status"]
                if a["change"] and d < a["change"]:
                    status = "breached" if status == "cancelled" else "live"
                row.update(
                    {
                        "arrangement_amount": a["amount"] / 100,
                        "arrangement_frequency": a["frequency"],
                        "arrangement_start": a["start"].isoformat(),
                        "arrangement_status": status,
                    }
                )
            row.update(_legal_fields(legal, d) if legal else _NO_LEGAL)
            shown = b and b["start"] <= d
            row.update(
                {
                    "breathing_space_type": b["type"] if shown else None,
                    "breathing_space_start": _iso(b["start"]) if shown else None,
                    "breathing_space_end": _iso(b["end"]) if shown else None,
                }
            )
            rows.append(row)
    return rows


_LEGAL_STEPS = (
    ("notice_served_date", ("notice_type", "notice_served_date", "notice_expiry_date")),
    ("claim_date", ("claim_date", "hearing_date")),
    ("order_date", ("order_type", "order_date")),
    ("warrant_date", ("warrant_date", "eviction_date")),
)


_NO_LEGAL = {f: None for _, fields in _LEGAL_STEPS for f in fields}


def _legal_fields(legal: dict | None, on: date) -> dict:
    out: dict = {}
    for key, fields in _LEGAL_STEPS:
        happened = bool(legal) and legal.get(key) is not None and legal[key] <= on
        for f in fields:
            value = legal.get(f) if happened else None
            out[f] = _iso(value) if isinstance(value, date) else value
    return out


# --- warning markers -------------------------------------------------------------------

_MARKER_WEIGHTS = (
    ("no_lone_visits", 26),
    ("verbal_abuse", 26),
    ("physical_abuse", 7),
    ("dangerous_animals", 13),
    ("unsafe_environment", 10),
    ("do_not_attend", 5),
    ("no_female_staff", 5),
    ("interpreter_needed", 8),
)
_PERSON_TEXT = {
    "no_lone_visits": (
        "Tenant's partner aggressive when arrears raised; officers to visit in pairs.",
        "Threatened officer at the door; paired visits only, daytime.",
        "Visitors to the property known to police; two officers to attend.",
        "Intimidating behaviour towards staff during a tenancy visit; visit in pairs.",
    ),
    "verbal_abuse": (
        "Tenant shouted and swore at officer during an arrears visit.",
        "Abusive phone calls to the income team; keep contact short and record it.",
        "Verbally abusive to a contractor attending a repair.",
        "Racist remarks made to a member of staff at the door.",
    ),
    "physical_abuse": (
        "Pushed officer off the doorstep during a visit.",
        "Threw an object at a repairs operative.",
        "Assault on a housing officer reported to police (crime reference on file).",
    ),
    "dangerous_animals": (
        "Two large dogs (XL Bully type); phone ahead so they are shut away before entry.",
        "Aggressive dog at the property; do not enter the garden unless it is secured.",
    ),
    "unsafe_environment": (
        "Severe hoarding: restricted access to rooms and a fire risk.",
        "Hoarding and vermin; wear PPE and do not enter the kitchen.",
        "Drug paraphernalia and used needles seen in the hallway.",
    ),
    "do_not_attend": (
        "Tenant has asked for no home visits after a complaint; phone or letter only.",
        "Police advice: do not attend without the team leader's agreement.",
    ),
    "no_female_staff": (
        "Inappropriate comments to female staff; female officers not to visit alone.",
        "Sexualised remarks to a female officer; male or paired visits only.",
    ),
}
_PROPERTY_TEXT = {
    "dangerous_animals": (
        "Loose dogs in the rear garden of this property; use the front door only.",
        "Large dog kept in the yard; wait at the gate and ring ahead.",
    ),
    "unsafe_environment": (
        "Unstable garden wall at the front of the property pending repair.",
        "Ceiling in the back bedroom unsafe pending repair; do not enter.",
        "Communal stairwell lighting faulty; visit in daylight.",
    ),
}


def _markers(rng: random.Random, tenancies: list[_Tenancy], as_of: date) -> list[dict]:
    dwellings = [t for t in tenancies if t.current and t.kind == "dwelling"]
    count = round(0.015 * len(dwellings) / 1.07)
    needs_interpreter = [t for t in dwellings if any(p["interpreter_needed"] for p in t.people)]
    chosen = _weighted_pick(rng, needs_interpreter, lambda t: 1.0, round(count * 0.07))
    taken = {t.uprn for t in chosen}
    others = [t for t in dwellings if t.uprn not in taken]
    chosen += _weighted_pick(
        rng, others, lambda t: 2.0 if t.weeks > 2 else 1.0, count - len(chosen)
    )
    chosen.sort(key=lambda t: t.ref)
    weights = [(c, w) for c, w in _MARKER_WEIGHTS if c != "interpreter_needed"]
    events = []  # one recorded incident each, behind one or two markers
    for t in chosen:
        interpreter = [p for p in t.people if p["interpreter_needed"]]
        if t.uprn in taken:
            code = "interpreter_needed"
        else:
            code = rng.choices([c for c, _ in weights], weights=[w for _, w in weights])[0]
        months = 3 if rng.random() < 0.3 else 12
        held = (as_of - t.start).days  # how long this tenancy has run
        if held > 260 and rng.random() < 0.15:  # expired
            start = as_of - _days(rng.randint(200, min(1500, held)))
            end = min(start + _days(rng.randint(90, 730)), as_of - _days(rng.randint(1, 60)))
        else:
            period = months * 30
            if rng.random() < 0.8:
                start = as_of - _days(rng.randint(7, period - 3))
            else:
                start = as_of - _days(period + rng.randint(1, 120))  # review overdue
            start = max(start, t.start)
            end = None
        incident = max(t.start, start - _days(rng.randint(0, 14)))
        events.append(
            (incident, t.uprn, t, code, start, _add_months(start, months), end, interpreter)
        )
    events.sort(key=lambda e: (e[0], e[1]))
    drafts = []
    numbers: dict[int, int] = {}
    for incident, _, t, code, start, review, end, interpreter in events:
        # Incident reports are numbered through the year, about one a working day.
        number = max(
            numbers.get(incident.year, 0) + 1,
            round(incident.timetuple().tm_yday * 0.6) + rng.randint(0, 4),
        )
        numbers[incident.year] = number
        source = (
            f"Incident IR-{incident.year}-{number:04d}, {incident.day} "
            f"{_MONTHS[incident.month - 1]} {incident.year}"
        )
        for c in [code, "no_lone_visits"] if code == "physical_abuse" else [code]:
            if c == "interpreter_needed":
                language = interpreter[0]["language"]
                text = f"{language} speaker; book an interpreter (telephone is fine) for visits."
                tenancy_ref = t.ref
            elif c in _PROPERTY_TEXT and rng.random() < 0.5:
                text, tenancy_ref = rng.choice(_PROPERTY_TEXT[c]), None
            else:
                text, tenancy_ref = rng.choice(_PERSON_TEXT[c]), t.ref
            if c == "no_lone_visits" and code == "physical_abuse":
                text = "Following an assault on staff: visit in pairs only."
            drafts.append(
                {
                    "uprn": t.uprn,
                    "tenancy_ref": tenancy_ref,
                    "code": c,
                    "description": text,
                    "source_incident": source,
                    "start_date": start,
                    "review_date": review,
                    "end_date": end,
                }
            )
    drafts.sort(key=lambda m: (m["start_date"], m["uprn"], m["code"]))
    rows = []
    number = 100
    for m in drafts:
        number += rng.randint(1, 4)
        rows.append(
            {
                "marker_ref": f"WM{number:06d}",
                **m,
                "start_date": _iso(m["start_date"]),
                "review_date": _iso(m["review_date"]),
                "end_date": _iso(m["end_date"]),
            }
        )
    return rows


# --- summary ---------------------------------------------------------------------------


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def summary(landlord: Landlord, as_of: date | None = None) -> dict:
    """The landlord's shape: stock, arrears, legal stages, markers and each patch's share."""
    if as_of is None:
        dates = [_as_date(a["as_of"]) for a in landlord.accounts]
        as_of = max(dates) if dates else london_today()
    latest: dict[str, dict] = {}
    for a in landlord.accounts:
        ref = a["tenancy_ref"]
        if _as_date(a["as_of"]) <= as_of and (
            ref not in latest or _as_date(a["as_of"]) > _as_date(latest[ref]["as_of"])
        ):
            latest[ref] = a
    kinds = {p["uprn"]: p["kind"] for p in landlord.properties}
    current = [t for t in landlord.tenancies if t["end_date"] is None]
    former = [t for t in landlord.tenancies if t["end_date"] is not None]
    current_dwellings = [t for t in current if kinds[t["uprn"]] == "dwelling"]

    def balance(t: dict) -> float:
        snap = latest.get(t["tenancy_ref"])
        return snap["balance"] if snap else 0.0

    in_arrears = [t for t in current_dwellings if balance(t) > 0]
    stages = dict.fromkeys(codes.LEGAL_STAGES[1:], 0)
    breathing = 0
    on_uc = 0
    for t in current:
        snap = latest.get(t["tenancy_ref"])
        if not snap:
            continue
        stage = codes.legal_stage(snap)
        if stage in stages:
            stages[stage] += 1
        on_uc += snap["benefit"] == "universal_credit"
        start, end = (
            _as_date(snap.get("breathing_space_start")),
            _as_date(snap.get("breathing_space_end")),
        )
        if start and start <= as_of and (end is None or end >= as_of):
            breathing += 1
    active = expired = 0
    for m in landlord.markers:
        start, end = _as_date(m["start_date"]), _as_date(m["end_date"])
        if start <= as_of and (end is None or end >= as_of):
            active += 1
        elif end is not None and end < as_of:
            expired += 1

    rent_of = {t["uprn"]: t["weekly_rent"] for t in current}
    xs = [p["longitude"] for p in landlord.properties]
    ys = [p["latitude"] for p in landlord.properties]
    per_patch = {}
    for plan in landlord.patches:
        geom = shape(plan.boundary)
        inside = shapely.intersects_xy(geom, xs, ys)
        members = [p for p, hit in zip(landlord.properties, inside, strict=True) if hit]
        per_patch[plan.number] = {
            "name": plan.name,
            "team": plan.team,
            "properties": len(members),
            "homes": sum(1 for p in members if p["kind"] == "dwelling"),
            "garages": sum(1 for p in members if p["kind"] == "garage"),
            "annual_rent_roll": round(sum(rent_of.get(p["uprn"], 0.0) for p in members) * 52, 2),
        }
    garages = sum(1 for p in landlord.properties if p["kind"] == "garage")
    return {
        "as_of": as_of.isoformat(),
        "homes": len(landlord.properties) - garages,
        "garages": garages,
        "tenancies": len(current),
        "former_tenancies": len(former),
        "tenants": len(landlord.tenants),
        "share_in_arrears": round(len(in_arrears) / len(current_dwellings), 4)
        if current_dwellings
        else 0.0,
        "total_arrears": round(sum(max(balance(t), 0.0) for t in landlord.tenancies), 2),
        "share_on_uc": round(on_uc / len(current), 4) if current else 0.0,
        "legal_stages": stages,
        "breathing_spaces_active": breathing,
        "markers_active": active,
        "markers_expired": expired,
        "per_patch": per_patch,
    }
