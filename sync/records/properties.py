"""Reading homes (and garages) in the caller's scope."""

from collections import defaultdict
from datetime import date

import orjson
from sqlite_utils import Database

from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.clock import london_today
from sync.errors import NotFound
from sync.protocol.kinds import Kind
from sync.store.pages import page, postcode_clause
from sync.store.rows import load

PROPERTY_COLUMNS = (
    "p.uprn, p.address_line_1, p.address_line_2, p.address_line_3, p.post_town, p.postcode, "
    "p.latitude, p.longitude, p.kind, p.building, p.bedrooms, p.imported_at, p.updated_at"
)

ADDRESS = ("address_line_1", "address_line_2", "address_line_3", "post_town", "postcode")


def one_line(row: dict) -> str:
    """A home's address on one line, for people: the parts it has, comma-separated."""
    return ", ".join(row[k] for k in ADDRESS if row[k])


MARKER_COLUMNS = (
    "m.marker_ref, m.uprn, m.tenancy_ref, m.code, m.description, m.source_incident, "
    "m.start_date, m.review_date, m.end_date"
)


def active_markers(
    db: Database, uprns: list[int], today: date, tenancy_ref: str | None = None
) -> dict[int, list[dict]]:
    """Markers in force today, by home. Expired or future markers are never served.
    With ``tenancy_ref``, markers tied to a different tenancy of the home are left out."""
    found: dict[int, list[dict]] = defaultdict(list)
    day = today.isoformat()
    for start in range(0, len(uprns), 500):
        chunk = uprns[start : start + 500]
        sql = (
            f"SELECT {MARKER_COLUMNS} FROM warning_markers m "
            f"WHERE m.uprn IN ({','.join('?' * len(chunk))}) AND m.status = 'approved' "
            "AND m.start_date <= ? "
            "AND (m.end_date IS NULL OR m.end_date >= ?)"
        )
        params = [*chunk, day, day]
        if tenancy_ref is not None:
            sql += " AND (m.tenancy_ref IS NULL OR m.tenancy_ref = ?)"
            params.append(tenancy_ref)
        for row in db.query(sql + " ORDER BY m.start_date, m.marker_ref", params):
            row["review_overdue"] = row["review_date"] < day
            found[row["uprn"]].append(row)
    return found


def patch_ids_of(db: Database, uprns: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(uprns), 500):
        chunk = uprns[start : start + 500]
        for uprn, pid in db.execute(
            f"SELECT uprn, patch_id FROM patch_properties "
            f"WHERE uprn IN ({','.join('?' * len(chunk))}) ORDER BY patch_id",
            chunk,
        ):
            found[uprn].append(pid)
    return found


def _decorate(db: Database, rows: list[dict], today: date) -> list[dict]:
    uprns = [r["uprn"] for r in rows]
    patches = patch_ids_of(db, uprns)
    markers = active_markers(db, uprns, today)
    for row in rows:
        row["patch_ids"] = patches.get(row["uprn"], [])
        row["markers"] = markers.get(row["uprn"], [])
    return rows


def list_properties(
    db: Database,
    caller: Caller,
    *,
    patch_id: int | None = None,
    postcode: str | None = None,
    kind: str | None = None,
    building: str | None = None,
    after: int | None = None,
    limit: int = 100,
    today: date | None = None,
) -> dict:
    today = today or london_today()
    where, params = [], []
    clause, args = scope_clause(visible_patch_ids(db, caller, today), "p.uprn")
    where.append(clause)
    params += args
    if patch_id is not None:
        where.append("p.uprn IN (SELECT uprn FROM patch_properties WHERE patch_id = ?)")
        params.append(patch_id)
    if postcode:
        clause, args = postcode_clause(postcode, "p.postcode")
        where.append(clause)
        params += args
    if kind:
        where.append("p.kind = ?")
        params.append(kind)
    if building:
        where.append("p.building = ?")
        params.append(building)
    if after is not None:
        where.append("p.uprn > ?")
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {PROPERTY_COLUMNS} FROM properties p WHERE {' AND '.join(where)} "
            "ORDER BY p.uprn LIMIT ?",
            [*params, limit + 1],
        )
    )
    result = page(rows, limit, "uprn")
    _decorate(db, result["items"], today)
    return result


def get_property(db: Database, caller: Caller, uprn: int, today: date | None = None) -> dict:
    today = today or london_today()
    clause, args = scope_clause(visible_patch_ids(db, caller, today), "p.uprn")
    rows = list(
        db.query(
            f"SELECT {PROPERTY_COLUMNS} FROM properties p WHERE p.uprn = ? AND {clause}",
            [uprn, *args],
        )
    )
    if not rows:
        raise NotFound(f"Property {uprn} not found.")
    row = _decorate(db, rows, today)[0]
    row["tenancy_refs"] = [
        r[0]
        for r in db.execute(
            "SELECT tenancy_ref FROM tenancies WHERE uprn = ? ORDER BY start_date DESC", [uprn]
        )
    ]
    return row


def read_properties(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    """Homes as phones hold them, each with the patches it lies in (one query)."""
    rows = load(
        db,
        f"SELECT {PROPERTY_COLUMNS}, (SELECT json_group_array(patch_id) FROM "
        "(SELECT patch_id FROM patch_properties pp WHERE pp.uprn = p.uprn ORDER BY patch_id)"
        ") AS patch_ids FROM properties p WHERE p.uprn IN ({marks})",
        [int(i) for i in ids],
        "uprn",
    )
    for row in rows.values():
        row["patch_ids"] = orjson.loads(row["patch_ids"])
    return rows


PROPERTY_KIND = Kind("property", table="properties", key="uprn", read=read_properties)
