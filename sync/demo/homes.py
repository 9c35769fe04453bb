"""The demo landlord's properties: street and block names, house numbers and bedrooms.

Every row is a dict in the nightly import format for properties. Names come from the stems
and suffixes in ``sync/demo/data/``, unique within a post town (flat blocks: across the
landlord), so no two streets in Trowbridge share a name.
"""

import math
import random

from sync.demo import data
from sync.demo.geography import POST_TOWNS, Cell

_DIRECTIONS = ("Upper", "Lower", "North", "South", "East", "West", "Little")


def _suffixes(name: str) -> tuple[tuple[str, int], ...]:
    return tuple((r["suffix"], int(r["weight"])) for r in data.rows(name))


_STREET_STEMS = data.lines("street_stems.txt")
_STREET_SUFFIXES = _suffixes("street_suffixes.csv")
_BLOCK_STEMS = data.lines("block_stems.txt")
_BLOCK_SUFFIXES = _suffixes("block_suffixes.csv")


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
        """The next unused name in ``town``; once every name is used, the names again with
        "Upper", "Lower" ... in front."""
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


def properties(
    names_rng: random.Random, rng: random.Random, cells: list[Cell]
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
            labels, beds = _houses(rng, u.size, street)
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


def _houses(rng: random.Random, size: int, street: str) -> tuple[list, list[int]]:
    """A run of house numbers (odd or even on one side, or consecutive) and their bedrooms:
    most houses in a run share its main size."""
    step = 2 if rng.random() < 0.7 else 1
    first = rng.randint(1, 60) * step - (step - 1) * rng.randint(0, 1)
    main = rng.choices((1, 2, 3, 4), weights=(8, 48, 38, 6))[0]
    labels = [(f"{first + i * step} {street}", None) for i in range(size)]
    beds = [
        main if rng.random() < 0.75 else rng.choices((1, 2, 3, 4), weights=(8, 48, 38, 6))[0]
        for _ in labels
    ]
    return labels, beds
