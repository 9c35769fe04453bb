"""Where a pushed record is: its home's patches, tenancies and the warning markers in
force on it today. Every record a push makes names a home, and its checks read these.

A push reads each home it names once (``Homes.load``). What it read is kept for the
next push on the same connection (a worker keeps its connection between requests), for
as long as it is still true: the key it is kept under is the database's epoch, the day
(markers are in force by day), and ``sync_state.homes_version``, which triggers on the
four tables a home is read from (properties, patch_properties, tenancies and
warning_markers) count up on any change to what is read, in the same transaction as the
change (migration 0024). So a home moved to another patch, a new tenancy or a marker
approved is read afresh by the next push, whichever connection made the change; and a
push that itself changed one of those tables keeps nothing. Only a committed push keeps
what it read, only the homes that exist, and at most ``MAX_KEPT`` a connection.
"""

from typing import NamedTuple
from weakref import WeakKeyDictionary

from sqlite_utils import Database

from sync.store.rows import chunks

MAX_UPRN = 10**12  # UPRNs have at most 12 digits (every payload's uprn check)


class Home(NamedTuple):
    """Tuples, not sets: a home has one patch and a tenancy or two, and thousands are kept."""

    patches: tuple[int, ...]
    tenancies: tuple[str, ...]
    markers: tuple[str, ...]  # codes of the warning markers in force (approved) today


_MISSING = object()
# At most this many homes kept a connection (some ten patches; about 6 MB): a worker that
# serves the pushes of a landlord's every patch reads again rather than hold them all.
MAX_KEPT = 20_000

# Per connection: (the key the homes were read under, uprn -> Home of the homes that exist).
_KEPT: "WeakKeyDictionary[Database, tuple[tuple, dict[int, Home | None]]]" = WeakKeyDictionary()


def _key(db: Database, today: str) -> tuple:
    epoch, version = db.execute("SELECT epoch, homes_version FROM sync_state").fetchone()
    return (epoch, version, today)


class Homes:
    """One push's homes: uprn -> ``Home``, or None when there is no such home."""

    def __init__(self, db: Database, today: str):
        self.db, self.today = db, today
        self.key = _key(db, today)
        kept = _KEPT.get(db)
        self._kept = kept[1] if kept is not None and kept[0] == self.key else {}
        self.read: dict[int, Home | None] = {}  # what this push has, kept or read

    def load(self, uprns) -> None:
        """Have these homes at hand. Only whole numbers a UPRN can be are looked up (SQLite
        takes none past 64 bits): anything else is refused by its payload check."""
        read, kept = self.read, self._kept
        wanted = []
        for uprn in {u for u in uprns if type(u) is int and 0 < u < MAX_UPRN}:
            if uprn not in read:
                home = kept.get(uprn, _MISSING)
                if home is _MISSING:
                    wanted.append(uprn)
                else:
                    read[uprn] = home
        for chunk in chunks(sorted(wanted)):
            read.update(_read(self.db, chunk, self.today))

    def get(self, uprn: int) -> Home | None:
        home = self.read.get(uprn, _MISSING)
        if home is _MISSING:
            self.load([uprn])
            home = self.read.get(uprn)
        return home

    def keep(self) -> None:
        """After the push committed: keep what it read for the next push on this
        connection, unless the homes changed meanwhile (the push itself changed them)."""
        if _key(self.db, self.today) != self.key:
            _KEPT.pop(self.db, None)
            return
        kept = _KEPT.get(self.db)
        if kept is None or kept[0] != self.key or len(kept[1]) + len(self.read) > MAX_KEPT:
            kept = (self.key, {})  # a worker serving many patches starts again from this push
            _KEPT[self.db] = kept
        # Only homes that exist: what a phone names that is no home is read again.
        kept[1].update((uprn, home) for uprn, home in self.read.items() if home is not None)


def _read(db: Database, uprns: list[int], today: str) -> dict[int, Home | None]:
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
            else Home(tuple(placed), tuple(tenancies.get(uprn, ())), tuple(markers.get(uprn, ())))
        )
    return out
