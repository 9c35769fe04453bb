"""Cover when an officer is away: which patches an officer plans on a day, which days of
an absence are covered, and whom to ask to cover the rest.

A cover hands a patch to another officer for its days: the coverer plans its homes, and
the owner does not (sync.access.scope still lets the owner's phone hold the patch; this
is only whose day the homes go into). The officer proposed for an uncovered patch is the
one holding the patch nearest to it (between the middles of their homes), of the same
team, who is not away on any of those days; one not already covering another patch then
is preferred.
"""

import math
from datetime import date, timedelta

from sqlite_utils import Database

from routing.travel import distances_m
from sync.errors import ValidationFailed

COVERS_ON = """
SELECT c.id, c.patch_id, c.officer_id, u.username AS officer, u.display_name AS officer_name,
       c.start_date, c.end_date, c.reason
FROM patch_covers c JOIN users u ON u.id = c.officer_id
WHERE c.cancelled_at IS NULL AND c.start_date <= :last AND c.end_date >= :first
"""


def planning_patches(db: Database, officer: dict, day: date) -> set[int]:
    """The patches whose homes go into the officer's plan on ``day``: those they own,
    less those another officer covers that day, and those they cover that day."""
    rows = db.execute(
        """
        SELECT id FROM patches p WHERE officer_id = :me AND NOT EXISTS (
            SELECT 1 FROM patch_covers c WHERE c.patch_id = p.id AND c.officer_id != :me
              AND c.cancelled_at IS NULL AND c.start_date <= :day AND c.end_date >= :day)
        UNION
        SELECT patch_id FROM patch_covers WHERE officer_id = :me AND cancelled_at IS NULL
          AND start_date <= :day AND end_date >= :day
        """,
        {"me": officer["id"], "day": day.isoformat()},
    )
    patch_ids = {r[0] for r in rows}
    if not patch_ids:
        covered = _covered_by_others(db, officer["id"], day)
        raise ValidationFailed(
            f"The officer holds no patch to plan on {day.isoformat()}{covered}.",
            errors={"officer_id": [f"No patch on {day.isoformat()}{covered}."]},
        )
    return patch_ids


def _covered_by_others(db: Database, officer_id: int, day: date) -> str:
    names = [
        f"{r[0]} by {r[1]}"
        for r in db.execute(
            "SELECT p.name, u.username FROM patches p JOIN patch_covers c ON c.patch_id = p.id "
            "JOIN users u ON u.id = c.officer_id WHERE p.officer_id = ? "
            "AND c.cancelled_at IS NULL AND c.start_date <= ? AND c.end_date >= ?",
            [officer_id, day.isoformat(), day.isoformat()],
        )
    ]
    return f" (covered: {', '.join(names)})" if names else ""


def spoken(day: date) -> str:
    """``7 December 2026``: a day in words, for people."""
    return f"{day.day} {day:%B %Y}"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def status(db: Database, absence: dict) -> list[dict]:
    """For each patch the absent officer owns: its covers during the absence, the days
    left uncovered and, when there are some, whom to ask (``proposal``)."""
    first = date.fromisoformat(absence["start_date"])
    last = date.fromisoformat(absence["end_date"])
    span = {"first": first.isoformat(), "last": last.isoformat()}
    out = []
    for patch_id, name in db.execute(
        "SELECT id, name FROM patches WHERE officer_id = ? ORDER BY id", [absence["officer_id"]]
    ).fetchall():
        covers = list(
            db.query(
                COVERS_ON + " AND c.patch_id = :patch AND c.officer_id != :owner "
                "ORDER BY c.start_date",
                {**span, "patch": patch_id, "owner": absence["officer_id"]},
            )
        )
        held = {
            d
            for c in covers
            for d in _days(date.fromisoformat(c["start_date"]), date.fromisoformat(c["end_date"]))
        }
        uncovered = [d for d in _days(first, last) if d not in held]
        out.append(
            {
                "patch_id": patch_id,
                "name": name,
                "covers": covers,
                "uncovered_days": [d.isoformat() for d in uncovered],
                "proposal": propose(db, patch_id, absence, uncovered) if uncovered else None,
            }
        )
    return out


def _centres(db: Database) -> dict[int, tuple[float, float]]:
    """The middle of each patch's homes (latitude, longitude)."""
    return {
        r[0]: (r[1], r[2])
        for r in db.execute(
            "SELECT pp.patch_id, avg(pr.latitude), avg(pr.longitude) FROM patch_properties pp "
            "JOIN properties pr ON pr.uprn = pp.uprn GROUP BY pp.patch_id"
        )
    }


def propose(db: Database, patch_id: int, absence: dict, uncovered: list[date]) -> dict | None:
    """Whom to ask to cover ``patch_id`` on its uncovered days, and why (None: nobody of
    the team is free)."""
    first, last = min(uncovered), max(uncovered)
    span = {"first": first.isoformat(), "last": last.isoformat()}
    candidates = list(
        db.query(
            """
            SELECT p.id AS patch_id, p.name AS patch_name, u.id AS officer_id,
                   u.username AS officer, u.display_name AS officer_name,
                   EXISTS (SELECT 1 FROM patch_covers c WHERE c.officer_id = u.id
                     AND c.cancelled_at IS NULL AND c.start_date <= :last
                     AND c.end_date >= :first) AS covering
            FROM patches p JOIN users u ON u.id = p.officer_id
            WHERE u.team_id = :team AND u.role = 'officer' AND u.disabled_at IS NULL
              AND u.id != :owner AND p.id != :patch
              AND NOT EXISTS (SELECT 1 FROM absences a WHERE a.officer_id = u.id
                AND a.cancelled_at IS NULL AND a.start_date <= :last AND a.end_date >= :first)
            """,
            {**span, "team": absence["team_id"], "owner": absence["officer_id"]}
            | {"patch": patch_id},
        )
    )
    centres = _centres(db)
    here = centres.get(patch_id)
    if not candidates or here is None:
        return None
    metres = distances_m([here, *(centres.get(c["patch_id"], here) for c in candidates)])[0]
    for c, m in zip(candidates, metres[1:], strict=True):
        c["distance_km"] = round(m / 1000, 1) if c["patch_id"] in centres else math.inf
    best = min(candidates, key=lambda c: (c["covering"], c["distance_km"], c["officer_id"]))
    if not math.isfinite(best["distance_km"]):
        return None
    nearest = "the nearest patch of the team"
    if best["covering"]:
        nearest += " (every officer free then already covers another patch)"
    elif any(c["distance_km"] < best["distance_km"] for c in candidates):
        nearest = "the nearest patch of the team whose officer covers no other patch then"
    best["why"] = (
        f"{best['officer_name'] or best['officer']} holds {best['patch_name']}, {nearest}: "
        f"{best['distance_km']} km between the middles of their homes; not away on any day "
        f"from {spoken(first)} to {spoken(last)}."
    )
    best["covering"] = bool(best["covering"])
    return {**best, "start_date": first.isoformat(), "end_date": last.isoformat()}
