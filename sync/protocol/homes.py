"""Where a pushed record is: its home's patches, tenancies and the warning markers in
force on it today. Every record a push makes names a home, and its checks read these."""

from typing import NamedTuple

from sqlite_utils import Database

MAX_UPRN = 10**12  # UPRNs have at most 12 digits (every payload's uprn check)


class Home(NamedTuple):
    patches: frozenset[int]
    tenancies: frozenset[str]
    markers: frozenset[str]  # codes of the warning markers in force (approved) today


_NONE: frozenset = frozenset()


def read(db: Database, uprns: list[int], today: str) -> dict[int, Home | None]:
    """These homes (at most a chunk of them), as they stand ``today``."""
    marks = ",".join("?" * len(uprns))
    patches: dict[int, list[int]] = {}
    for uprn, patch_id in db.execute(
        f"SELECT uprn, patch_id FROM patch_properties WHERE uprn IN ({marks})", uprns
    ):
        patches.setdefault(uprn, []).append(patch_id)
    # A home in no patch still exists (and is refused as such, not as unknown).
    unplaced = [u for u in uprns if u not in patches]
    if unplaced:
        for (uprn,) in db.execute(
            f"SELECT uprn FROM properties WHERE uprn IN ({','.join('?' * len(unplaced))})",
            unplaced,
        ):
            patches[uprn] = []
    tenancies: dict[int, list[str]] = {}
    for uprn, ref in db.execute(
        f"SELECT uprn, tenancy_ref FROM tenancies WHERE uprn IN ({marks})", uprns
    ):
        tenancies.setdefault(uprn, []).append(ref)
    markers: dict[int, list[str]] = {}
    for uprn, code in db.execute(
        f"SELECT uprn, code FROM warning_markers WHERE uprn IN ({marks}) "
        "AND status = 'approved' AND start_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?)",
        [*uprns, today, today],
    ):
        markers.setdefault(uprn, []).append(code)
    out: dict[int, Home | None] = {}
    for uprn in uprns:
        placed = patches.get(uprn)
        out[uprn] = (
            None
            if placed is None
            else Home(
                frozenset(placed),
                frozenset(tenancies[uprn]) if uprn in tenancies else _NONE,
                frozenset(markers[uprn]) if uprn in markers else _NONE,
            )
        )
    return out
