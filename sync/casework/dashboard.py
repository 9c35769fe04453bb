"""The team leader's view: what each officer did, day by day, and how arrears move.

For a team and a period (a week by default, Monday to Sunday in England):

- per officer per day and in total: contacts by channel, home visits, outcomes, the
  contact rate (contacts that reached the tenant), arrangements and promises made,
  repairs raised by hazard class, safeguarding concerns raised; the officer's repairs
  still overdue; and each of their devices' last sync;
- the arrears trend of each of the team's patches and of the team: week by week, the
  total owed by current tenants on each tenancy's latest account snapshot at the end of
  the week (today, for this week): the figure the console's map and cases show.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from sync.access.devices import DEVICE_COLUMNS
from sync.access.scope import Caller
from sync.clock import LONDON, iso, london_today
from sync.errors import Forbidden, NotFound, ValidationFailed
from sync.records import repairs

MAX_DAYS = 31
TREND_WEEKS = 8
REACHED = ("contact_made", "appointment_made")


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None:
        today = end or london_today()
        start = today - timedelta(days=today.weekday())
    end = end or start + timedelta(days=6)
    if end < start or (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            f"The period must run forwards and be at most {MAX_DAYS} days.",
            errors={"to": [f"At most {MAX_DAYS} days after from."]},
        )
    return start, end


def _instant(day: date) -> str:
    """The start of a day in England, as a stored instant."""
    return iso(datetime.combine(day, datetime.min.time(), LONDON))


def _blank() -> dict:
    return {
        "contacts": 0,
        "home_visits": 0,
        "reached": 0,
        "contact_rate": None,
        "channels": {},
        "outcomes": {},
        "arrangements": 0,
        "promises": 0,
        "repairs": {"emergency": 0, "significant": 0, "routine": 0},
        "concerns": 0,
    }


def _add(into: dict, key: str, sub: str | None = None, n: int = 1) -> None:
    if sub is None:
        into[key] += n
    else:
        into[key][sub] = into[key].get(sub, 0) + n


def team_dashboard(
    db: Database,
    caller: Caller,
    team_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
) -> dict:
    if not db.execute("SELECT 1 FROM teams WHERE id = ?", [team_id]).fetchone():
        raise NotFound(f"Team {team_id} not found.")
    if caller.role == "team_leader" and caller.team_id != team_id:
        raise NotFound(f"Team {team_id} not found.")
    if caller.role not in ("team_leader", "admin"):
        raise Forbidden(f"{caller.a_role} may not see team dashboards.")
    start, end = _period(start, end)
    since, until = _instant(start), _instant(end + timedelta(days=1))
    officers = list(
        db.query(
            "SELECT id AS user_id, username, display_name FROM users "
            "WHERE team_id = ? AND role = 'officer' AND disabled_at IS NULL ORDER BY username",
            [team_id],
        )
    )
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    stats = {o["user_id"]: {d.isoformat(): _blank() for d in days} for o in officers}

    def day_of(instant: str) -> str:
        return datetime.fromisoformat(instant).astimezone(LONDON).date().isoformat()

    def cell(user_id, instant):
        return stats.get(user_id, {}).get(day_of(instant))

    for officer, observed, channel, outcome, promise in db.execute(
        "SELECT v.officer_id, v.observed_at, v.channel, v.outcome, v.promise_amount "
        "FROM visits v JOIN users u ON u.id = v.officer_id "
        "WHERE u.team_id = ? AND v.observed_at >= ? AND v.observed_at < ?",
        [team_id, since, until],
    ):
        c = cell(officer, observed)
        if c is None:
            continue
        _add(c, "contacts")
        _add(c, "channels", channel)
        _add(c, "outcomes", outcome)
        if channel == "home_visit":
            _add(c, "home_visits")
        if outcome in REACHED:
            _add(c, "reached")
        if promise is not None:
            _add(c, "promises")
    for officer, observed in db.execute(
        "SELECT a.created_by, a.observed_at FROM arrangements a JOIN users u "
        "ON u.id = a.created_by WHERE a.source = 'device' AND u.team_id = ? "
        "AND a.observed_at >= ? AND a.observed_at < ?",
        [team_id, since, until],
    ):
        if (c := cell(officer, observed)) is not None:
            _add(c, "arrangements")
    for officer, observed, hazard in db.execute(
        "SELECT r.reported_by, r.observed_at, r.hazard_class FROM repairs r JOIN users u "
        "ON u.id = r.reported_by WHERE u.team_id = ? AND r.observed_at >= ? "
        "AND r.observed_at < ?",
        [team_id, since, until],
    ):
        if (c := cell(officer, observed)) is not None:
            _add(c, "repairs", hazard)
    for officer, observed in db.execute(
        "SELECT c.raised_by, c.observed_at FROM concerns c JOIN users u ON u.id = c.raised_by "
        "WHERE u.team_id = ? AND c.observed_at >= ? AND c.observed_at < ?",
        [team_id, since, until],
    ):
        if (c := cell(officer, observed)) is not None:
            _add(c, "concerns")

    # Open repairs each officer raised, with a deadline overdue now.
    open_ids = defaultdict(list)
    for repair_id, officer in db.execute(
        "SELECT r.id, r.reported_by FROM repairs r JOIN users u ON u.id = r.reported_by "
        f"WHERE u.team_id = ? AND r.status IN ({','.join('?' * len(repairs.OPEN))})",
        [team_id, *repairs.OPEN],
    ):
        open_ids[officer].append(repair_id)
    now = datetime.now(UTC)
    overdue = {}
    for officer, ids in open_ids.items():
        found = repairs.read(db, ids, now)
        overdue[officer] = sorted(i for i, r in found.items() if r["overdue"])

    devices = defaultdict(list)
    for device in db.query(
        f"SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id "
        "WHERE u.team_id = ? AND d.revoked_at IS NULL ORDER BY d.id",
        [team_id],
    ):
        devices[device["user_id"]].append(device)

    out = []
    for officer in officers:
        by_day = stats[officer["user_id"]]
        total = _blank()
        for c in by_day.values():
            _rate(c)
            for key, value in c.items():
                if isinstance(value, dict):
                    for sub, n in value.items():
                        _add(total, key, sub, n)
                elif key != "contact_rate":
                    _add(total, key, None, value)
        _rate(total)
        out.append(
            officer
            | {
                "days": [{"date": d, **c} for d, c in by_day.items()],
                "total": total,
                "overdue_repairs": overdue.get(officer["user_id"], []),
                "devices": devices.get(officer["user_id"], []),
            }
        )
    return {
        "team_id": team_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "officers": out,
        "arrears": arrears_trend(db, team_id, end),
    }


def _rate(c: dict) -> None:
    c["contact_rate"] = round(c["reached"] / c["contacts"], 3) if c["contacts"] else None


def arrears_trend(
    db: Database, team_id: int, end: date, weeks: int = TREND_WEEKS, today: date | None = None
) -> dict:
    """Week by week to ``end``: per patch and for the team, the arrears owed and the
    tenancies in arrears, by the one definition the console's map and cases use too
    (sync.casework.cases): the positive balances on the latest account snapshot of each
    tenancy current on the day (started, not ended), the day being the week's Sunday, or
    today for the week in progress. What former tenants still owe (a tenancy ended by the
    day) is ``former_arrears``, apart: it is collected otherwise, and no visit is planned
    for it. A week before any account snapshot of the patch (or team) has ``null``
    figures: not known, rather than nothing owed."""
    today = today or london_today()
    days = [min(end - timedelta(weeks=n), today) for n in range(weeks - 1, -1, -1)]
    ends = [end - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    patches = list(
        db.query("SELECT id, name FROM patches WHERE team_id = ? ORDER BY id", [team_id])
    )
    points = {p["id"]: _no_arrears(ends) for p in patches}
    first, last = days[0].isoformat(), days[-1].isoformat()
    # Each tenancy's snapshot in force on the first day, and every one after it.
    rows = db.execute(
        "SELECT pp.patch_id, t.tenancy_ref, t.start_date, t.end_date, s.as_of, s.balance "
        "FROM tenancies t JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id "
        "JOIN account_snapshots s ON s.tenancy_ref = t.tenancy_ref "
        "WHERE p.team_id = :team AND s.as_of <= :last AND (s.as_of > :first OR s.as_of = "
        "(SELECT max(q.as_of) FROM account_snapshots q WHERE q.tenancy_ref = t.tenancy_ref "
        "AND q.as_of <= :first)) ORDER BY pp.patch_id, t.tenancy_ref, s.as_of",
        {"team": team_id, "first": first, "last": last},
    ).fetchall()
    index = 0
    while index < len(rows):
        patch_id, ref, began, ended = rows[index][:4]
        history = []
        while index < len(rows) and rows[index][:2] == (patch_id, ref):
            history.append(rows[index][4:])
            index += 1
        at = 0
        for point, day in zip(points[patch_id], days, strict=True):
            day = day.isoformat()
            while at + 1 < len(history) and history[at + 1][0] <= day:
                at += 1
            as_of, balance = history[at]
            if as_of > day:
                continue
            point["known"] = True
            if balance <= 0 or began > day:
                continue
            if ended is not None and ended < day:
                point["former_arrears"] += balance
            else:
                point["arrears"] += balance
                point["in_arrears"] += 1
    team = _no_arrears(ends)
    for series in points.values():
        for total, point in zip(team, series, strict=True):
            total["known"] |= point["known"]
            total["in_arrears"] += point["in_arrears"]
            for key in ("arrears", "former_arrears"):  # the team is the sum of its patches
                total[key] += round(point[key], 2)
    trends = [
        {"patch_id": p["id"], "name": p["name"], "trend": _shown(points[p["id"]])} for p in patches
    ]
    return {"team": _shown(team), "patches": trends, "figures_from": _first_snapshot(db, team_id)}


def _no_arrears(ends: list[date]) -> list[dict]:
    """A trend to add up: each week ending in ``ends``, nothing owed yet, nothing known."""
    return [
        {
            "week_ending": e.isoformat(),
            "arrears": 0.0,
            "in_arrears": 0,
            "former_arrears": 0.0,
            "known": False,
        }
        for e in ends
    ]


def _shown(trend: list[dict]) -> list[dict]:
    """The trend as answered: pounds rounded; a week nothing was known of is null."""
    out = []
    for point in trend:
        known = point.pop("known")
        for key in ("arrears", "former_arrears"):
            point[key] = round(point[key], 2) if known else None
        point["in_arrears"] = point["in_arrears"] if known else None
        out.append(point)
    return out


def _first_snapshot(db: Database, team_id: int) -> str | None:
    """The day of the first account snapshot held for the team's homes: the trend's figures
    begin then."""
    return db.execute(
        "SELECT min(s.as_of) FROM account_snapshots s "
        "JOIN tenancies t ON t.tenancy_ref = s.tenancy_ref "
        "JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id WHERE p.team_id = ?",
        [team_id],
    ).fetchone()[0]
