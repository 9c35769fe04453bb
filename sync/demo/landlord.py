"""A deterministic demo landlord: a Wiltshire council's homes in five west Wiltshire towns.

``generate`` runs the stages in order, each in its own module: where the homes are and the
patches they are cut into (``geography``), their addresses (``homes``), a current tenancy
for each and an older ended one for a few (``tenancies``), the tenants (``people``), six
weekly rent account snapshots with arrangements and Breathing Space (``accounts``) and legal
steps (``legal``), warning markers (``markers``), and the rent transactions the snapshots
agree with and the letters sent (``transactions``).

Every row is a dict in the nightly import format (``sync.intake.run.import_rows``): dates are
ISO strings, booleans are bools. The output depends only on the arguments of ``generate``:
the same (seed, homes_per_patch, patches, as_of) gives the same rows, byte for byte. Each
stage draws from its own seeded random stream, in a fixed order, so keep the order of draws
when changing a stage, or every landlord built from a seed changes.
"""

import random
from dataclasses import dataclass, field
from datetime import date

import shapely
from shapely.geometry import shape

from sync import codes
from sync.clock import london_today
from sync.demo import accounts, geography, homes, markers, people, tenancies, transactions
from sync.demo.geography import PatchPlan


@dataclass
class Landlord:
    patches: list[PatchPlan]
    properties: list[dict]
    tenancies: list[dict]
    tenants: list[dict]
    accounts: list[dict]
    markers: list[dict]
    transactions: list[dict]
    letters: list[dict]
    # What draws the transactions and letters, a part at a time (generate(history=False)
    # leaves them to it).
    history: transactions.History | None = field(default=None, repr=False, compare=False)

    def draw_history(self) -> "Landlord":
        """Draw the transactions and letters that ``generate(history=False)`` left out: the
        same rows ``generate`` would have given."""
        if not self.transactions and self.history is not None:
            self.transactions, self.letters = self.history.draw_all()
        return self


def generate(
    seed: int = 1,
    homes_per_patch: int = 1800,
    patches: int = 6,
    as_of: date | None = None,
    *,
    history: bool = True,
) -> Landlord:
    """A demo landlord of ``patches`` patches of ``homes_per_patch`` properties each. With
    ``history=False`` its transactions and letters, the bulk of its rows, are drawn only
    when ``draw_history()`` is called (the demo build draws them in a second process)."""
    if patches < 1 or homes_per_patch < 1:
        raise ValueError("patches and homes_per_patch must be positive.")
    as_of = as_of or london_today()
    master = random.Random(seed)
    streams = [random.Random(master.getrandbits(64)) for _ in range(8)]
    layout_rng, place_rng, names_rng, stock_rng, people_rng, account_rng, marker_rng, legal_rng = (
        streams
    )

    cells = geography.layout(layout_rng, homes_per_patch, patches)
    geography.place_homes(place_rng, cells)
    plans = geography.patch_plans(cells, patches)
    properties, bedrooms = homes.properties(names_rng, stock_rng, cells)
    drawn = tenancies.tenancies(people_rng, properties, bedrooms, as_of)
    tenancies.assign_refs(people_rng, drawn)
    tenants = people.tenants(people_rng, drawn, as_of)
    accounts.accounts_state(account_rng, legal_rng, drawn, as_of, len(properties))
    account_rows = accounts.accounts(account_rng, drawn, as_of)
    marker_rows = markers.markers(marker_rng, drawn, as_of)
    tenancy_rows = tenancies.tenancy_rows(drawn)
    # A stream of its own, drawn after the others: their rows stay as they were.
    history_seed = master.getrandbits(64)
    landlord = Landlord(
        plans,
        properties,
        tenancy_rows,
        tenants,
        account_rows,
        marker_rows,
        [],
        [],
        transactions.History(history_seed, drawn, as_of),
    )
    return landlord.draw_history() if history else landlord


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
    latest = _latest_snapshots(landlord, as_of)
    kinds = {p["uprn"]: p["kind"] for p in landlord.properties}
    current = [t for t in landlord.tenancies if t["end_date"] is None]
    former = [t for t in landlord.tenancies if t["end_date"] is not None]
    current_dwellings = [t for t in current if kinds[t["uprn"]] == "dwelling"]

    def balance(t: dict) -> float:
        snap = latest.get(t["tenancy_ref"])
        return snap["balance"] if snap else 0.0

    in_arrears = [t for t in current_dwellings if balance(t) > 0]
    stages, breathing, on_uc = _account_counts(current, latest, as_of)
    active, expired = _marker_counts(landlord.markers, as_of)
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
        "per_patch": _per_patch(landlord, current),
    }


def _latest_snapshots(landlord: Landlord, as_of: date) -> dict[str, dict]:
    """Each tenancy's newest account snapshot on or before ``as_of``."""
    latest: dict[str, dict] = {}
    for a in landlord.accounts:
        ref = a["tenancy_ref"]
        if _as_date(a["as_of"]) <= as_of and (
            ref not in latest or _as_date(a["as_of"]) > _as_date(latest[ref]["as_of"])
        ):
            latest[ref] = a
    return latest


def _account_counts(
    current: list[dict], latest: dict[str, dict], as_of: date
) -> tuple[dict[str, int], int, int]:
    """(current tenancies at each legal stage, in an active Breathing Space, on Universal
    Credit)."""
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
    return stages, breathing, on_uc


def _marker_counts(rows: list[dict], as_of: date) -> tuple[int, int]:
    """(active, expired) markers on ``as_of``."""
    active = expired = 0
    for m in rows:
        start, end = _as_date(m["start_date"]), _as_date(m["end_date"])
        if start <= as_of and (end is None or end >= as_of):
            active += 1
        elif end is not None and end < as_of:
            expired += 1
    return active, expired


def _per_patch(landlord: Landlord, current: list[dict]) -> dict[int, dict]:
    """Each patch's properties, homes, garages and annual rent roll, by patch number."""
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
    return per_patch
