"""Cases: what planning needs to know about each current tenancy, read in bulk.

A case gathers the current account and the one before it, the arrangement and promises,
the contact history (last successful contact, failed visits since, a visit yesterday),
vulnerability, Breathing Space, and the home's position and markers. routing.priority
scores it; sync.casework.days plans the visits.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from routing import priority
from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.clock import LONDON, iso
from sync.errors import Forbidden, NotFound
from sync.records import notices
from sync.store.rows import chunks

_CASES = """
SELECT t.tenancy_ref, t.uprn, t.start_date AS tenancy_start, t.end_date AS tenancy_end,
       t.weekly_rent, t.tenure, p.address_line_1, p.postcode, p.latitude, p.longitude,
       s.as_of, s.balance, s.arrears_weeks, s.benefit, s.uc_managed_payment, s.hearing_date,
       s.notice_type, s.notice_served_date, s.notice_expiry_date, s.claim_date,
       s.breathing_space_type, s.breathing_space_start, s.breathing_space_end,
       coalesce(b.moratorium_debt, s.moratorium_debt) AS moratorium_debt,
       s.arrangement_status,
       (SELECT q.balance FROM account_snapshots q WHERE q.tenancy_ref = t.tenancy_ref
         AND q.as_of < s.as_of ORDER BY q.as_of DESC LIMIT 1) AS previous_balance
FROM tenancies t
JOIN properties p ON p.uprn = t.uprn
JOIN account_snapshots s ON s.id = t.current_snapshot_id
LEFT JOIN breathing_spaces b ON b.tenancy_ref = t.tenancy_ref
  AND b.start_date = s.breathing_space_start
WHERE (t.end_date IS NULL OR t.end_date >= :first) AND t.start_date <= :last AND {where}
ORDER BY t.tenancy_ref
"""


# What a case says before its history is read: nothing known against it.
_UNKNOWN = {
    "arrangement": None,
    "arrangement_kept": False,
    "broken_promise": False,
    "promise_due": None,
    "last_contact": None,
    "failed_visits": 0,
    "vulnerable": False,
    "visited_yesterday": False,
}


def _midnight(day: date) -> str:
    return iso(datetime.combine(day, datetime.min.time(), LONDON))


def load(db: Database, where: str, params: dict, today: date) -> list[dict]:
    """Cases for the current tenancies matching ``where`` (on ``t`` and ``p``)."""
    return load_days(db, where, params, [today])[today]


def load_days(db: Database, where: str, params: dict, days: list[date]) -> dict[date, list]:
    """``load`` for several days at once (a week plan): the tenancies current on each day,
    each case as it stands that day (broken promises of the last 30 days, a visit the day
    before, markers in force), from one read of what does not depend on the day."""
    first, last = min(days), max(days)
    cases = [
        dict(r)
        for r in db.query(
            _CASES.format(where=where),
            {**params, "first": first.isoformat(), "last": last.isoformat()},
        )
    ]
    for case in cases:
        case.update(_UNKNOWN, markers=[])
        status = case["arrangement_status"]
        if status == "breached":
            case["arrangement"] = "breached"
        elif status == "live":
            case["arrangement"] = "live"
            previous = case["previous_balance"]
            case["arrangement_kept"] = previous is not None and case["balance"] < previous
    broken = _read_histories(db, {c["tenancy_ref"]: c for c in cases}, first)
    visits, markers = _read_homes(db, sorted({c["uprn"] for c in cases}), first, last)
    return {day: _as_on(day, cases, broken, visits, markers) for day in days}


def _read_histories(db: Database, by_ref: dict[str, dict], first: date) -> dict[str, list]:
    """Fill in each case's arrangement, pending promise, contact history and vulnerability;
    the due dates of the promises broken since 30 days before ``first``, by tenancy."""
    broken = defaultdict(list)
    for chunk in chunks(list(by_ref)):
        marks = ",".join("?" * len(chunk))
        # The latest doorstep arrangement outranks the housing system's.
        for ref, status, checked in db.execute(
            f"SELECT tenancy_ref, status, checked_at FROM arrangements WHERE source = 'device' "
            f"AND tenancy_ref IN ({marks}) ORDER BY observed_at",
            chunk,
        ):
            case = by_ref[ref]
            if status in ("live", "breached"):
                case["arrangement"] = status
                case["arrangement_kept"] = status == "live" and checked is not None
        for ref, status, due in db.execute(
            f"SELECT tenancy_ref, status, due_date FROM promises WHERE tenancy_ref IN ({marks}) "
            "AND (status = 'pending' OR (status = 'broken' AND due_date >= ?))",
            [*chunk, (first - timedelta(days=30)).isoformat()],
        ):
            case = by_ref[ref]
            if status == "broken":
                broken[ref].append(due)
            elif case["promise_due"] is None or due < case["promise_due"]:
                case["promise_due"] = due
        contacts = defaultdict(list)
        for ref, observed, channel, outcome in db.execute(
            f"SELECT tenancy_ref, observed_at, channel, outcome FROM visits "
            f"WHERE tenancy_ref IN ({marks}) ORDER BY observed_at",
            chunk,
        ):
            contacts[ref].append((observed, channel, outcome))
        for ref, history in contacts.items():
            _note_contacts(by_ref[ref], history)
        for (ref,) in db.execute(
            f"SELECT DISTINCT tenancy_ref FROM tenants WHERE tenancy_ref IN ({marks}) "
            "AND vulnerabilities != '[]'",
            chunk,
        ):
            by_ref[ref]["vulnerable"] = True
    return broken


def _note_contacts(case: dict, history: list[tuple]) -> None:
    """The last contact made, and the home visits without access since (oldest first)."""
    reached = [o for o, _, outcome in history if outcome == "contact_made"]
    case["last_contact"] = reached[-1] if reached else None
    after = case["last_contact"] or ""
    failed = [o for o, ch, outcome in history if ch == "home_visit" and outcome == "no_access"]
    case["failed_visits"] = sum(1 for o in failed if o > after)


def _read_homes(db: Database, uprns: list[int], first: date, last: date) -> tuple[dict, list]:
    """The home visits from the day before ``first`` to ``last`` (by home), and the
    approved warning markers in force at some time in those days."""
    markers, visits = [], defaultdict(list)
    for chunk in chunks(uprns):
        marks = ",".join("?" * len(chunk))
        for uprn, observed in db.execute(
            f"SELECT uprn, observed_at FROM visits WHERE uprn IN ({marks}) "
            "AND channel = 'home_visit' AND observed_at >= ? AND observed_at < ?",
            [*chunk, _midnight(first - timedelta(days=1)), _midnight(last)],
        ):
            visits[uprn].append(observed)
        markers += db.execute(
            "SELECT uprn, code, start_date, end_date FROM warning_markers "
            f"WHERE uprn IN ({marks}) AND status = 'approved' AND start_date <= ? "
            "AND (end_date IS NULL OR end_date >= ?)",
            [*chunk, last.isoformat(), first.isoformat()],
        ).fetchall()
    return visits, markers


def _as_on(day: date, cases: list[dict], broken: dict, visits: dict, markers: list) -> list:
    """The tenancies current on ``day``, each case as it stands that day: a promise broken
    in the last 30 days, a home visit the day before, the markers in force."""
    today = day.isoformat()
    since, until = _midnight(day - timedelta(days=1)), _midnight(day)
    recent = (day - timedelta(days=30)).isoformat()
    broke = {ref for ref, dues in broken.items() if any(d >= recent for d in dues)}
    visited = {u for u, seen in visits.items() if any(since <= o < until for o in seen)}
    in_force = defaultdict(set)
    for uprn, code, begins, ends in markers:
        if begins <= today and (ends is None or ends >= today):
            in_force[uprn].add(code)
    shown = {uprn: sorted(codes) for uprn, codes in in_force.items()}
    current = [
        case
        for case in cases
        if case["tenancy_start"] <= today
        and (case["tenancy_end"] is None or case["tenancy_end"] >= today)
    ]
    return [
        case
        | {
            "broken_promise": case["tenancy_ref"] in broke,
            "markers": list(shown.get(case["uprn"], ())),
            "visited_yesterday": case["uprn"] in visited,
            **_notice(case, day),
        }
        for case in current
    ]


def _notice(case: dict, day: date) -> dict:
    """Whether the case's notice is valid on ``day`` (a notice lapses with time), and the
    first problem in words: the priority rests no step on a notice that is not valid."""
    found = notices.validity(case["tenure"], case["tenancy_start"], case, day)
    if found is None:
        return {"notice_status": None, "notice_problem": None}
    first = found["problems"][0]["text"] if found["problems"] else None
    return {"notice_status": found["status"], "notice_problem": first}


def assess_all(cases: list[dict], today: date, rules: dict | None = None) -> list[dict]:
    rules = rules or priority.load_rules()
    for case in cases:
        case["priority"] = priority.assess(case, rules, today)
    return cases


def _require_finance(caller: Caller) -> None:
    if not caller.sees_finance:
        raise Forbidden(f"{caller.a_role} may not see arrears priorities.")


def patch_priorities(db: Database, caller: Caller, patch_id: int, today: date) -> list[dict]:
    """Every current tenancy of a patch with its home's position and its priority: what a
    team leader's map colours homes by (finance roles, the patch in scope)."""
    visible = visible_patch_ids(db, caller, today)
    exists = db.execute("SELECT 1 FROM patches WHERE id = ?", [patch_id]).fetchone()
    if not exists or (visible is not None and patch_id not in visible):
        raise NotFound(f"Patch {patch_id} not found.")
    _require_finance(caller)
    where = "t.uprn IN (SELECT uprn FROM patch_properties WHERE patch_id = :patch)"
    found = assess_all(load(db, where, {"patch": patch_id}, today), today)
    return [
        {
            "tenancy_ref": case["tenancy_ref"],
            "uprn": case["uprn"],
            "address": f"{case['address_line_1']}, {case['postcode']}",
            "latitude": case["latitude"],
            "longitude": case["longitude"],
            "balance": case["balance"],
            "score": case["priority"]["score"],
            "action": case["priority"]["action"],
            "markers": case["markers"],
        }
        for case in found
    ]


def tenancy_priority(db: Database, caller: Caller, tenancy_ref: str, today: date) -> dict:
    """One tenancy's priority, for the API (finance roles, in scope)."""
    where, params = scope_clause(visible_patch_ids(db, caller, today), "t.uprn")
    named = {f"s{k}": v for k, v in enumerate(params)}
    for k in range(len(params)):
        where = where.replace("?", f":s{k}", 1)
    found = load(db, f"t.tenancy_ref = :ref AND {where}", {"ref": tenancy_ref, **named}, today)
    if not found:
        raise NotFound(f"Tenancy {tenancy_ref} not found, or not current.")
    _require_finance(caller)
    case = assess_all(found, today)[0]
    return {
        "tenancy_ref": tenancy_ref,
        "uprn": case["uprn"],
        **case["priority"],
        "visited_yesterday": case["visited_yesterday"],
        "markers": case["markers"],
    }
