"""The demo landlord's data files, read through importlib.resources so they ship in the wheel.

Long literal lists (names, street names, notes) live here rather than in the code, so the
generator reads as rules and the lists can grow without touching it. Order matters: the
generator draws from each list by position, so reordering a file changes the landlord.
"""

import csv
import io
from importlib import resources


def text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text("utf-8")


def lines(name: str) -> tuple[str, ...]:
    """A .txt file's items, one a line, in file order; blank lines and # comments skipped."""
    stripped = (line.strip() for line in text(name).splitlines())
    return tuple(line for line in stripped if line and not line.startswith("#"))


def rows(name: str) -> list[dict[str, str]]:
    """A .csv file's rows, in file order, keyed by its header."""
    return list(csv.DictReader(io.StringIO(text(name))))


def grouped(name: str, value: str, *keys: str) -> dict:
    """A .csv file's ``value`` column, gathered by its ``keys`` columns (a tuple of them, or
    the one column's value), in file order within each group."""
    out: dict = {}
    for row in rows(name):
        key = tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]
        out.setdefault(key, []).append(row[value])
    return {k: tuple(v) for k, v in out.items()}
