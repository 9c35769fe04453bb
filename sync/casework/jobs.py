"""Maintenance's jobs: the repairs queue, and each repair with what a visit to it needs.

A repair record (sync.records.repairs) says what is wrong and when Awaab's Law wants it
done. Whoever goes also needs to know where and to whom: the home's address and patch,
the tenants' names, numbers and access needs, and the warning markers in force at the
home. Only that: no rent account (maintenance is not a finance role), no safeguarding
concern (those are for the safeguarding lead), and of the tenants' vulnerabilities only
those that change how a visit is made (``VISIT_NEEDS``), so a printed job sheet carries
nothing a contractor need not know.

The queue is in one of two orders: by hazard class then oldest (``hazard``, keyed in
SQL), or by urgency (``urgency``: the earliest unmet Awaab's Law deadline first, so every
overdue repair comes before every other, then repairs with no deadline running by
hazard class and age). Deadlines are computed when asked, so the urgency order is worked
out over every repair the filters keep, then paged by its key.
"""

import re
from collections import defaultdict
from datetime import UTC, date, datetime

import orjson
from sqlite_utils import Database

from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.clock import london_today
from sync.errors import ValidationFailed
from sync.records import repairs
from sync.records.properties import ADDRESS, active_markers, one_line
from sync.store.pages import page, postcode_clause
from sync.store.rows import chunks

ORDERS = ("hazard", "urgency")
# Vulnerabilities that change how a repair visit is made (access, communication, time).
VISIT_NEEDS = (
    "physical_disability",
    "hearing_impairment",
    "visual_impairment",
    "learning_disability",
    "older_person",
    "young_children",
    "low_literacy",
)
RUNNING = ("overdue", "due_soon", "open")
_RANK = {"emergency": 0, "significant": 1}


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _homes(db: Database, uprns: list[int]) -> dict[int, dict]:
    homes: dict[int, dict] = {}
    for chunk in chunks(uprns):
        for row in db.query(
            f"SELECT uprn, {', '.join(ADDRESS)} FROM properties WHERE uprn IN ({_marks(chunk)})",
            chunk,
        ):
            homes[row["uprn"]] = {
                "address": one_line(row),
                "postcode": row["postcode"],
                "patches": [],
            }
        for row in db.query(
            "SELECT pp.uprn, p.id, p.name FROM patch_properties pp "
            f"JOIN patches p ON p.id = pp.patch_id WHERE pp.uprn IN ({_marks(chunk)}) "
            "ORDER BY p.id",
            chunk,
        ):
            homes[row.pop("uprn")]["patches"].append(row)
    return homes


def _tenancies(db: Database, found: list[dict], day: str) -> dict[str, str | None]:
    """Each repair's tenancy to visit: its own while current, else the home's current one
    (a referral made before a move meets the new household)."""
    uprns = sorted({r["uprn"] for r in found})
    current: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(uprns):
        for ref, uprn in db.execute(
            f"SELECT tenancy_ref, uprn FROM tenancies WHERE uprn IN ({_marks(chunk)}) "
            "AND start_date <= ? AND (end_date IS NULL OR end_date >= ?) "
            "ORDER BY start_date DESC",
            [*chunk, day, day],
        ):
            current[uprn].append(ref)
    out = {}
    for r in found:
        here = current.get(r["uprn"], [])
        out[r["id"]] = r["tenancy_ref"] if r["tenancy_ref"] in here else next(iter(here), None)
    return out


def _tenants(db: Database, refs: list[str]) -> dict[str, list[dict]]:
    tenants: dict[str, list[dict]] = defaultdict(list)
    for chunk in chunks(refs):
        for t in db.query(
            "SELECT tenancy_ref, is_lead, title, first_name, last_name, phone, mobile, "
            "preferred_contact, language, interpreter_needed, reasonable_adjustments, "
            f"vulnerabilities FROM tenants WHERE tenancy_ref IN ({_marks(chunk)}) "
            "ORDER BY is_lead DESC, person_ref",
            chunk,
        ):
            names = (t.pop("title"), t.pop("first_name"), t.pop("last_name"))
            held = orjson.loads(t.pop("vulnerabilities"))
            tenants[t.pop("tenancy_ref")].append(
                t
                | {
                    "name": " ".join(n for n in names if n),
                    "is_lead": bool(t["is_lead"]),
                    "interpreter_needed": bool(t["interpreter_needed"]),
                    "access_needs": [v for v in VISIT_NEEDS if v in held],
                }
            )
    return tenants


def details(db: Database, found: list[dict], today: date | None = None) -> list[dict]:
    """Add to each repair what a visit needs: ``address``, ``postcode``, ``patches``,
    ``visit_tenancy_ref``, ``tenants`` (with ``access_needs``), ``markers``, and the
    ``next_actions`` that may be recorded now."""
    if not found:
        return found
    today = today or london_today()
    homes = _homes(db, sorted({r["uprn"] for r in found}))
    visiting = _tenancies(db, found, today.isoformat())
    tenants = _tenants(db, sorted({ref for ref in visiting.values() if ref}))
    markers = active_markers(db, sorted({r["uprn"] for r in found}), today)
    for r in found:
        ref = visiting[r["id"]]
        r |= homes.get(r["uprn"], {"address": None, "postcode": None, "patches": []})
        r["visit_tenancy_ref"] = ref
        r["next_actions"] = repairs.next_actions(r)
        r["tenants"] = tenants.get(ref, []) if ref else []
        r["markers"] = [
            {k: m[k] for k in ("code", "description", "review_date")}
            for m in markers.get(r["uprn"], [])
            if m["tenancy_ref"] in (None, ref)
        ]
    return found


def get(db: Database, caller: Caller, repair_id: str) -> dict:
    return details(db, [repairs.get(db, caller, repair_id)])[0]


def act(db: Database, caller: Caller, repair_id: str, **step) -> dict:
    return details(db, [repairs.act(db, caller, repair_id, **step)])[0]


def _hazard_key(repair: dict) -> str:
    return f"{_RANK.get(repair['hazard_class'], 2)}|{repair['observed_at']}|{repair['id']}"


# The forms of ``queue_key`` in each order (urgency's, then hazard's), to refuse an
# ``after`` that is none: it would sort past every repair and look like the end.
_HAZARD_KEY = r"[0-2]\|[0-9]{4}-[0-9]{2}-[0-9]{2}T[^|]+\|[^|]+"
_KEYS = {
    True: re.compile(_HAZARD_KEY),
    False: re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[^|]+|~)\|" + _HAZARD_KEY),
}


def urgency_key(repair: dict) -> str:
    """The earliest deadline still running (overdue ones are in the past, so they come
    first), then hazard class and age; ``~`` sorts after any date."""
    running = [d["due_at"] for d in repair["deadlines"] if d["state"] in RUNNING]
    return f"{min(running, default='~')}|{_hazard_key(repair)}"


def queue(
    db: Database,
    caller: Caller,
    *,
    status: str | None = None,
    still_open: bool | None = None,
    hazard_class: str | None = None,
    due: str | None = None,
    uprn: int | None = None,
    patch_id: int | None = None,
    postcode: str | None = None,
    order: str = "hazard",
    after: str | None = None,
    limit: int = 100,
) -> dict:
    """Repairs in the caller's scope (maintenance: the whole landlord) in ``order``,
    filtered; ``due`` keeps only ``overdue`` or ``due_soon`` open ones, ``still_open``
    those still open (or, false, closed), ``patch_id`` and ``postcode`` (full, sector or
    outward code) the homes in an area."""
    where, params = scope_clause(visible_patch_ids(db, caller), "r.uprn")
    clauses, args = [where], list(params)
    if status is not None:
        clauses.append("r.status = ?")
        args.append(status)
    # A deadline runs only while the repair is open; open and closed together match none.
    for wanted in ([True] if due else []) + ([] if still_open is None else [still_open]):
        clauses.append(f"r.status {'' if wanted else 'NOT '}IN ({_marks(repairs.OPEN)})")
        args += list(repairs.OPEN)
    for column, value in (("r.hazard_class", hazard_class), ("r.uprn", uprn)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if patch_id is not None:
        clauses.append("r.uprn IN (SELECT uprn FROM patch_properties WHERE patch_id = ?)")
        args.append(patch_id)
    if postcode:
        clause, more = postcode_clause(postcode, "p.postcode")
        clauses.append(f"r.uprn IN (SELECT p.uprn FROM properties p WHERE {clause})")
        args += more
    rank = "CASE r.hazard_class WHEN 'emergency' THEN 0 WHEN 'significant' THEN 1 ELSE 2 END"
    keyed = f"({rank}) || '|' || r.observed_at || '|' || r.id"
    by_hazard = order == "hazard"
    if after is not None and not _KEYS[by_hazard].fullmatch(after):
        raise ValidationFailed(
            f"after must be the queue_key of the last repair of a page in {order} order.",
            errors={"after": [f"Not a queue_key of the {order} order."]},
        )
    if by_hazard and after is not None:
        clauses.append(f"{keyed} > ?")
        args.append(after)
    ids = [
        r[0]
        for r in db.execute(
            f"SELECT r.id FROM repairs r WHERE {' AND '.join(clauses)} ORDER BY {keyed}", args
        )
    ]
    key = _hazard_key if by_hazard else urgency_key
    now, items = datetime.now(UTC), []
    for chunk in chunks(ids, 200):
        found = repairs.read(db, chunk, now)
        for repair_id in chunk:
            repair = found[repair_id]
            repair["queue_key"] = key(repair)
            later = by_hazard or after is None or repair["queue_key"] > after
            if later and (due is None or repair[due]):
                items.append(repair)
        # In hazard order the ids come sorted: one page and one more is enough.
        if by_hazard and len(items) > limit:
            break
    if not by_hazard:
        items.sort(key=lambda r: r["queue_key"])
    result = page(items, limit, "queue_key")
    details(db, result["items"])
    return result
