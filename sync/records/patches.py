"""Patches: boundaries, owning officers, cover, and which homes fall in each."""

import json
import sqlite3
from datetime import date

from sqlite_utils import Database

from sync import codes
from sync.access.scope import Caller, require_role, visible_patch_ids
from sync.clock import london_today, utc_now
from sync.errors import Conflict, NotFound, ValidationFailed
from sync.records.geometry import PatchIndex, dump_boundary, parse_boundary
from sync.store import changes
from sync.store.db import write_transaction

PATCH_SQL = """
SELECT p.id, p.name, p.team_id, t.name AS team_name, p.officer_id,
       u.username AS officer_username, u.display_name AS officer_name, p.boundary,
       (SELECT count(*) FROM patch_properties pp WHERE pp.patch_id = p.id) AS home_count,
       p.created_at, p.updated_at
FROM patches p JOIN teams t ON t.id = p.team_id LEFT JOIN users u ON u.id = p.officer_id
"""

COVER_SQL = """
SELECT c.id, c.patch_id, c.officer_id, u.username AS officer_username, c.start_date,
       c.end_date, c.reason, c.created_by, c.created_at, c.cancelled_at, c.cancelled_by
FROM patch_covers c JOIN users u ON u.id = c.officer_id
"""


def _patch_out(db: Database, row: dict, today: date) -> dict:
    row["boundary"] = json.loads(row["boundary"])
    row["covers"] = [
        c
        for c in db.query(
            COVER_SQL + " WHERE c.patch_id = ? AND c.cancelled_at IS NULL AND c.end_date >= ? "
            "ORDER BY c.start_date",
            [row["id"], today.isoformat()],
        )
    ]
    return row


def list_patches(db: Database, caller: Caller, today: date | None = None) -> list[dict]:
    today = today or london_today()
    ids = visible_patch_ids(db, caller, today)
    if ids is None:
        rows = db.query(PATCH_SQL + " ORDER BY p.id")
    else:
        marks = ",".join("?" * len(ids)) or "NULL"
        rows = db.query(PATCH_SQL + f" WHERE p.id IN ({marks}) ORDER BY p.id", sorted(ids))
    return [_patch_out(db, r, today) for r in rows]


def get_patch(db: Database, caller: Caller, patch_id: int, today: date | None = None) -> dict:
    today = today or london_today()
    ids = visible_patch_ids(db, caller, today)
    rows = list(db.query(PATCH_SQL + " WHERE p.id = ?", [patch_id]))
    if not rows or (ids is not None and patch_id not in ids):
        raise NotFound(f"Patch {patch_id} not found.")
    return _patch_out(db, rows[0], today)


def _check_officer(db: Database, officer_id: int, field: str) -> None:
    row = db.execute("SELECT role, disabled_at FROM users WHERE id = ?", [officer_id]).fetchone()
    if row is None or row[0] != "officer" or row[1] is not None:
        raise ValidationFailed(
            f"User {officer_id} is not an active officer.",
            errors={field: ["Must be an active officer."]},
        )


def _check_team(db: Database, team_id: int) -> None:
    if db.execute("SELECT 1 FROM teams WHERE id = ?", [team_id]).fetchone() is None:
        raise ValidationFailed(
            f"Team {team_id} does not exist.", errors={"team_id": ["Unknown team."]}
        )


def create_patch(
    db: Database,
    caller: Caller,
    *,
    name: str,
    team_id: int,
    boundary: dict,
    officer_id: int | None = None,
) -> dict:
    require_role(caller, ("admin",), "create patches")
    geom = parse_boundary(boundary)
    _check_team(db, team_id)
    if officer_id is not None:
        _check_officer(db, officer_id, "officer_id")
    now = utc_now()
    try:
        with db.atomic():
            cur = db.execute(
                """INSERT INTO patches (name, team_id, officer_id, boundary, created_at,
                   updated_at) VALUES (?, ?, ?, ?, ?, ?)""",
                [name, team_id, officer_id, dump_boundary(geom), now, now],
            )
            _record_owner(db, cur.lastrowid, officer_id)
            recompute_membership(db)
    except sqlite3.IntegrityError:
        raise Conflict(
            f"A patch called {name!r} already exists.",
            code="patch-name-taken",
            errors={"name": ["Already in use."]},
        ) from None
    return get_patch(db, caller, cur.lastrowid)


def update_patch(db: Database, caller: Caller, patch_id: int, changes: dict) -> dict:
    """Team leaders assign the owning officer of their team's patches; admins may also
    rename, move a patch to another team or redraw its boundary (membership follows)."""
    get_patch(db, caller, patch_id)
    require_role(caller, codes.PATCH_MANAGER_ROLES, "change a patch")
    admin_only = {"name", "team_id", "boundary"} & changes.keys()
    if admin_only:
        require_role(caller, ("admin",), f"change a patch's {', '.join(sorted(admin_only))}")
    fields: dict = {}
    if "officer_id" in changes:
        if changes["officer_id"] is not None:
            _check_officer(db, changes["officer_id"], "officer_id")
            team = db.execute(
                "SELECT team_id FROM users WHERE id = ?", [changes["officer_id"]]
            ).fetchone()[0]
            if caller.role == "team_leader" and team != caller.team_id:
                raise ValidationFailed(
                    "A team leader assigns patches to their own officers; "
                    "cover is for lending a patch to another team.",
                    errors={"officer_id": ["Not in your team."]},
                )
        fields["officer_id"] = changes["officer_id"]
    if "team_id" in changes:
        _check_team(db, changes["team_id"])
        fields["team_id"] = changes["team_id"]
    if "name" in changes:
        fields["name"] = changes["name"]
    if "boundary" in changes:
        fields["boundary"] = dump_boundary(parse_boundary(changes["boundary"]))
    if fields:
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        try:
            with db.atomic():
                db.execute(
                    f"UPDATE patches SET {sets}, updated_at = :now WHERE id = :id",
                    {**fields, "now": utc_now(), "id": patch_id},
                )
                if "officer_id" in fields:
                    _record_owner(db, patch_id, fields["officer_id"])
                if "boundary" in fields:
                    recompute_membership(db)
        except sqlite3.IntegrityError:
            raise Conflict(
                "Another patch already has that name.",
                code="patch-name-taken",
                errors={"name": ["Already in use."]},
            ) from None
    return get_patch(db, caller, patch_id)


def _record_owner(db: Database, patch_id: int, officer_id: int | None) -> None:
    """Keep the history of who owned a patch when (for the reassignment grace period)."""
    current = db.execute(
        "SELECT officer_id FROM patch_assignments WHERE patch_id = ? AND ended_at IS NULL",
        [patch_id],
    ).fetchone()
    if current and current[0] == officer_id:
        return
    now = utc_now()
    db.execute(
        "UPDATE patch_assignments SET ended_at = ? WHERE patch_id = ? AND ended_at IS NULL",
        [now, patch_id],
    )
    if officer_id is not None:
        db.execute(
            "INSERT INTO patch_assignments (patch_id, officer_id, started_at) VALUES (?, ?, ?)",
            [patch_id, officer_id, now],
        )


def add_cover(
    db: Database,
    caller: Caller,
    patch_id: int,
    *,
    officer_id: int,
    start_date: date,
    end_date: date,
    reason: str | None = None,
) -> dict:
    """Officer X covers patch P from one date to another, inclusive (Europe/London days)."""
    patch = get_patch(db, caller, patch_id)
    require_role(caller, codes.PATCH_MANAGER_ROLES, "arrange cover")
    _check_officer(db, officer_id, "officer_id")
    if end_date < start_date:
        raise ValidationFailed(
            "Cover cannot end before it starts.", errors={"end_date": ["Before start_date."]}
        )
    if officer_id == patch["officer_id"]:
        raise ValidationFailed(
            "The patch is that officer's own: cover lends it to another officer.",
            errors={"officer_id": ["Owns the patch."]},
        )
    with write_transaction(db):
        _check_present(db, officer_id, start_date, end_date)
        _check_uncovered(db, patch_id, start_date, end_date)
        cur = db.execute(
            """INSERT INTO patch_covers (patch_id, officer_id, start_date, end_date, reason,
               created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                patch_id,
                officer_id,
                start_date.isoformat(),
                end_date.isoformat(),
                reason,
                caller.user_id,
                utc_now(),
            ],
        )
    return get_cover(db, patch_id, cur.lastrowid)


def _check_uncovered(db: Database, patch_id: int, first: date, last: date) -> None:
    """``Conflict`` (``cover-overlaps``) when another cover of the patch holds one of these
    days: a patch goes into one officer's plans a day, never two."""
    held = db.execute(
        "SELECT c.id, u.username, c.start_date, c.end_date FROM patch_covers c "
        "JOIN users u ON u.id = c.officer_id WHERE c.patch_id = ? AND c.cancelled_at IS NULL "
        "AND c.start_date <= ? AND c.end_date >= ? ORDER BY c.start_date",
        [patch_id, last.isoformat(), first.isoformat()],
    ).fetchone()
    if held:
        cover_id, officer, start, end = held
        raise Conflict(
            f"{officer} covers this patch from {start} to {end} (cover {cover_id}): cancel "
            "that cover, or cover other days.",
            code="cover-overlaps",
            errors={"start_date": [f"Covered by {officer} from {start} to {end}."]},
        )


def _check_present(db: Database, officer_id: int, first: date, last: date) -> None:
    """``ValidationFailed`` (``officer-absent``) when the officer is away on a day of the
    cover: an absent officer plans no day, so the patch would go unplanned."""
    away = db.execute(
        "SELECT id, start_date, end_date FROM absences WHERE officer_id = ? "
        "AND cancelled_at IS NULL AND start_date <= ? AND end_date >= ? ORDER BY start_date",
        [officer_id, last.isoformat(), first.isoformat()],
    ).fetchone()
    if away:
        raise ValidationFailed(
            f"The officer is away from {away[1]} to {away[2]} (absence {away[0]}): an absent "
            "officer cannot cover a patch.",
            code="officer-absent",
            errors={"officer_id": [f"Away from {away[1]} to {away[2]} (absence {away[0]})."]},
        )


def get_cover(db: Database, patch_id: int, cover_id: int) -> dict:
    rows = list(db.query(COVER_SQL + " WHERE c.id = ? AND c.patch_id = ?", [cover_id, patch_id]))
    if not rows:
        raise NotFound(f"Cover {cover_id} not found on patch {patch_id}.")
    return rows[0]


def list_covers(db: Database, caller: Caller, patch_id: int) -> list[dict]:
    get_patch(db, caller, patch_id)
    return list(
        db.query(COVER_SQL + " WHERE c.patch_id = ? ORDER BY c.start_date, c.id", [patch_id])
    )


def cancel_cover(db: Database, caller: Caller, patch_id: int, cover_id: int) -> dict:
    get_patch(db, caller, patch_id)
    require_role(caller, codes.PATCH_MANAGER_ROLES, "cancel cover")
    get_cover(db, patch_id, cover_id)
    with db.atomic():
        db.execute(
            """UPDATE patch_covers SET cancelled_at = ?, cancelled_by = ?
                      WHERE id = ? AND cancelled_at IS NULL""",
            [utc_now(), caller.user_id, cover_id],
        )
    return get_cover(db, patch_id, cover_id)


def patch_index(db: Database) -> PatchIndex:
    return PatchIndex([(r[0], r[1]) for r in db.execute("SELECT id, boundary FROM patches")])


def assign_properties(
    db: Database, index: PatchIndex, homes: list[tuple[int, float, float]]
) -> None:
    """Recompute membership of the given (uprn, latitude, longitude) homes. A home whose
    patches change is re-numbered in the change sequence, with everything it holds, and
    each patch it left records a scope exit, so phones gain or drop it on their next pull."""
    if not homes:
        return
    found = index.assign([(lon, lat) for _, lat, lon in homes])
    new = {uprn: set(pids) for (uprn, _, _), pids in zip(homes, found, strict=True)}
    old: dict[int, set[int]] = {uprn: set() for uprn in new}
    uprns = list(new)
    for start in range(0, len(uprns), 500):
        chunk = uprns[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for uprn, pid in db.execute(
            f"SELECT uprn, patch_id FROM patch_properties WHERE uprn IN ({marks})", chunk
        ):
            old[uprn].add(pid)
        db.execute(f"DELETE FROM patch_properties WHERE uprn IN ({marks})", chunk)
    db.conn.executemany(
        "INSERT INTO patch_properties (patch_id, uprn) VALUES (?, ?)",
        [(pid, uprn) for uprn, pids in new.items() for pid in sorted(pids)],
    )
    # A home placed in a patch for the first time is renumbered too: it may have been in
    # one before (a boundary drawn too small, then corrected), and phones holding the
    # patch have passed its records' numbers.
    moved = [uprn for uprn in uprns if old[uprn] != new[uprn]]
    changes.record_exits(
        db, [(pid, uprn) for uprn in moved for pid in sorted(old[uprn] - new[uprn])]
    )
    changes.touch_homes(db, moved)


def recompute_membership(db: Database) -> None:
    """Which patch each home falls in, from the boundaries. Runs inside the caller's
    transaction when there is one."""
    with db.atomic():
        homes = [tuple(r) for r in db.execute("SELECT uprn, latitude, longitude FROM properties")]
        assign_properties(db, patch_index(db), homes)


def coverage_report(db: Database, *, limit: int = 1000) -> dict:
    """Homes in no patch, and homes in more than one."""
    outside = list(
        db.query(
            """SELECT uprn, address_line_1, postcode, latitude, longitude FROM properties
           WHERE uprn NOT IN (SELECT uprn FROM patch_properties) ORDER BY uprn LIMIT ?""",
            [limit],
        )
    )
    overlapping = list(
        db.query(
            """SELECT pr.uprn, pr.address_line_1, pr.postcode, pr.latitude, pr.longitude,
                  json_group_array(pp.patch_id) AS patch_ids
           FROM patch_properties pp JOIN properties pr ON pr.uprn = pp.uprn
           GROUP BY pp.uprn HAVING count(*) > 1 ORDER BY pp.uprn LIMIT ?""",
            [limit],
        )
    )
    for row in overlapping:
        row["patch_ids"] = json.loads(row["patch_ids"])
    counts = db.execute(
        """SELECT (SELECT count(*) FROM properties),
                  (SELECT count(*) FROM properties
                   WHERE uprn NOT IN (SELECT uprn FROM patch_properties)),
                  (SELECT count(*) FROM (SELECT uprn FROM patch_properties GROUP BY uprn
                                         HAVING count(*) > 1))"""
    ).fetchone()
    return {
        "homes": counts[0],
        "outside_count": counts[1],
        "overlap_count": counts[2],
        "outside": outside,
        "overlapping": overlapping,
    }
