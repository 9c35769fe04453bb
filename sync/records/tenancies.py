"""Reading tenancies, their tenants, rent accounts and warning markers in scope.

Account finances (balances, arrangements, legal stages) are only for roles in
``codes.FINANCE_ROLES``; maintenance and safeguarding leads get the people, not the money.
"""

import json
from collections import defaultdict
from datetime import date

from sqlite_utils import Database

from sync import codes
from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.clock import london_today
from sync.errors import Forbidden, NotFound
from sync.protocol.edits import TENANT_EDIT, prefetch_records
from sync.protocol.kinds import MOVES, Kind
from sync.protocol.versions import TENANT
from sync.records import breathing, notices
from sync.records.properties import active_markers, patch_ids_of
from sync.store.pages import page, postcode_clause
from sync.store.rows import load

TENANCY_COLUMNS = (
    "t.tenancy_ref, t.uprn, t.tenure, t.start_date, t.end_date, t.weekly_rent, "
    "p.address_line_1, p.address_line_2, p.post_town, p.postcode, p.kind, "
    "t.current_snapshot_id, t.imported_at, t.updated_at"
)

TENANT_COLUMNS = (
    "person_ref, tenancy_ref, is_lead, title, first_name, last_name, date_of_birth, phone, "
    "mobile, email, preferred_contact, language, interpreter_needed, reasonable_adjustments, "
    "vulnerabilities, version"
)

SNAPSHOT_COLUMNS = (
    "id, tenancy_ref, as_of, balance, arrears_weeks, last_payment_date, last_payment_amount, "
    "benefit, uc_managed_payment, uc_deduction_weekly, uc_assessment_day, arrangement_amount, "
    "arrangement_frequency, arrangement_start, arrangement_status, legal_stage, notice_type, "
    "notice_served_date, notice_expiry_date, claim_date, hearing_date, order_type, order_date, "
    "warrant_date, eviction_date, breathing_space_type, breathing_space_start, "
    "breathing_space_end, breathing_space_notified_by, moratorium_debt, moratorium_step_basis, "
    "imported_at"
)

ACCOUNT_GROUPS = {
    "universal_credit": ("uc_managed_payment", "uc_deduction_weekly", "uc_assessment_day"),
    "arrangement": (
        "arrangement_amount",
        "arrangement_frequency",
        "arrangement_start",
        "arrangement_status",
    ),
    "legal": (
        "notice_type",
        "notice_served_date",
        "notice_expiry_date",
        "claim_date",
        "hearing_date",
        "order_type",
        "order_date",
        "warrant_date",
        "eviction_date",
    ),
    "breathing_space": (
        "breathing_space_type",
        "breathing_space_start",
        "breathing_space_end",
        "breathing_space_notified_by",
        "moratorium_debt",
    ),
}
_GROUP_KEYS = {
    "universal_credit": {
        "uc_managed_payment": "managed_payment",
        "uc_deduction_weekly": "deduction_weekly",
        "uc_assessment_day": "assessment_day",
    },
    "arrangement": {
        "arrangement_amount": "amount",
        "arrangement_frequency": "frequency",
        "arrangement_start": "start_date",
        "arrangement_status": "status",
    },
    "breathing_space": {
        "breathing_space_type": "type",
        "breathing_space_start": "start_date",
        "breathing_space_end": "end_date",
        "breathing_space_notified_by": "notified_by",
    },
}


def tenant_out(row: dict) -> dict:
    """A tenants row as the API and phones see it: booleans and the list decoded."""
    row["is_lead"] = bool(row["is_lead"])
    row["interpreter_needed"] = bool(row["interpreter_needed"])
    row["vulnerabilities"] = json.loads(row["vulnerabilities"])
    return row


_GROUPED = frozenset(f for group in ACCOUNT_GROUPS.values() for f in group)
_GROUPED |= {"moratorium_step_basis"}


def account_out(
    row: dict, today: date, tenancy: dict | None = None, moratorium: dict | None = None
) -> dict:
    """A snapshot row as the API shows it: related fields grouped, empty groups null.
    With its ``tenancy`` (tenure, start date), the notice's validity on ``today``
    (sync.records.notices): ``legal.notice_validity``. With the tenancy's ``moratorium``
    (``moratoria``), its Breathing Space's moratorium debt and, while it runs, the
    ongoing arrears; and the steps taken inside one: ``legal.unlawful_steps``."""
    out = {k: v for k, v in row.items() if k not in _GROUPED}
    out["legal"] = {k: row[k] for k in ACCOUNT_GROUPS["legal"]}
    out["legal"]["step_basis"] = row.get("moratorium_step_basis")
    if tenancy is not None:
        out["legal"]["notice_validity"] = notices.validity(
            tenancy["tenure"], tenancy["start_date"], row, today
        )
    for group, renames in _GROUP_KEYS.items():
        values = {new: row[old] for old, new in renames.items()}
        present = any(v for v in values.values())
        out[group] = values if present else None
    if row["benefit"] == "universal_credit" and out["universal_credit"] is None:
        out["universal_credit"] = {
            "managed_payment": False,
            "deduction_weekly": None,
            "assessment_day": None,
        }
    if out["universal_credit"]:
        out["universal_credit"]["managed_payment"] = bool(
            out["universal_credit"]["managed_payment"]
        )
    if moratorium is not None:
        out["legal"]["unlawful_steps"] = moratorium["unlawful"]
    bs = out["breathing_space"]
    if bs:
        _split(bs, row, today, moratorium)
    return out


def _split(bs: dict, row: dict, today: date, moratorium: dict | None) -> None:
    """The Breathing Space's moratorium debt (as kept in its history, else as the row gave
    it) and, while it runs, the ongoing arrears: rent fallen due since it began."""
    bs["active"] = breathing.in_force(bs, today)
    known = next(
        (s for s in (moratorium or {}).get("spaces", ()) if s["start_date"] == bs["start_date"]),
        None,
    )
    debt = known["moratorium_debt"] if known else row.get("moratorium_debt")
    bs["debt_as_of"] = known["debt_as_of"] if known else None
    if bs["active"]:
        bs.update(breathing.split(row["balance"], debt))
    else:
        bs["moratorium_debt"], bs["ongoing_arrears"] = debt, None


def moratoria(db: Database, refs) -> dict[str, dict]:
    """Each tenancy's Breathing Space history and unlawful steps (``account_out``)."""
    spaces, unlawful = breathing.history(db, refs), breathing.unlawful_steps(db, refs)
    return {r: {"spaces": spaces.get(r, []), "unlawful": unlawful.get(r, [])} for r in refs}


def _tenancy_status(row: dict, today: date) -> str:
    day = today.isoformat()
    if row["end_date"] and row["end_date"] < day:
        return "ended"
    if row["start_date"] > day:
        return "future"
    return "current"


def _decorate(db: Database, caller: Caller, rows: list[dict], today: date) -> list[dict]:
    refs = [r["tenancy_ref"] for r in rows]
    tenants: dict[str, list[dict]] = defaultdict(list)
    snapshots: dict[int, dict] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for t in db.query(
            f"SELECT {TENANT_COLUMNS} FROM tenants WHERE tenancy_ref IN ({marks}) "
            "ORDER BY is_lead DESC, person_ref",
            chunk,
        ):
            tenants[t.pop("tenancy_ref")].append(tenant_out(t))
    if caller.sees_finance:
        of = {r["tenancy_ref"]: r for r in rows}
        held = moratoria(db, list(of))
        ids = [r["current_snapshot_id"] for r in rows if r["current_snapshot_id"]]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for s in db.query(
                f"SELECT {SNAPSHOT_COLUMNS} FROM account_snapshots "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                ref = s["tenancy_ref"]
                snapshots[s["id"]] = account_out(s, today, of[ref], held[ref])
    patches = patch_ids_of(db, [r["uprn"] for r in rows])
    for row in rows:
        snapshot_id = row.pop("current_snapshot_id")
        row["status"] = _tenancy_status(row, today)
        row["tenants"] = tenants.get(row["tenancy_ref"], [])
        row["patch_ids"] = patches.get(row["uprn"], [])
        row["account"] = snapshots.get(snapshot_id) if caller.sees_finance else None
    return rows


def list_tenancies(
    db: Database,
    caller: Caller,
    *,
    patch_id: int | None = None,
    postcode: str | None = None,
    uprn: int | None = None,
    arrears_above: float | None = None,
    legal_stage: str | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = 100,
    today: date | None = None,
) -> dict:
    today = today or london_today()
    if (arrears_above is not None or legal_stage) and not caller.sees_finance:
        raise Forbidden(
            f"{caller.a_role} may not filter by rent account.",
            errors={
                "arrears_above" if arrears_above is not None else "legal_stage": [
                    "Needs access to rent accounts."
                ]
            },
        )
    where, params = [], []
    clause, args = scope_clause(visible_patch_ids(db, caller, today), "t.uprn")
    where.append(clause)
    params += args
    if patch_id is not None:
        where.append("t.uprn IN (SELECT uprn FROM patch_properties WHERE patch_id = ?)")
        params.append(patch_id)
    if uprn is not None:
        where.append("t.uprn = ?")
        params.append(uprn)
    if postcode:
        clause, args = postcode_clause(postcode, "p.postcode")
        where.append(clause)
        params += args
    if arrears_above is not None:
        where.append("s.balance > ?")
        params.append(arrears_above)
    if legal_stage:
        where.append("s.legal_stage = ?")
        params.append(legal_stage)
    day = today.isoformat()
    if status == "current":
        where.append("t.start_date <= ? AND (t.end_date IS NULL OR t.end_date >= ?)")
        params += [day, day]
    elif status == "ended":
        where.append("t.end_date < ?")
        params.append(day)
    elif status == "future":
        where.append("t.start_date > ?")
        params.append(day)
    if after is not None:
        where.append("t.tenancy_ref > ?")
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {TENANCY_COLUMNS} FROM tenancies t JOIN properties p ON p.uprn = t.uprn "
            "LEFT JOIN account_snapshots s ON s.id = t.current_snapshot_id "
            f"WHERE {' AND '.join(where)} ORDER BY t.tenancy_ref LIMIT ?",
            [*params, limit + 1],
        )
    )
    result = page(rows, limit, "tenancy_ref")
    _decorate(db, caller, result["items"], today)
    return result


def _get_row(db: Database, caller: Caller, tenancy_ref: str, today: date) -> dict:
    clause, args = scope_clause(visible_patch_ids(db, caller, today), "t.uprn")
    rows = list(
        db.query(
            f"SELECT {TENANCY_COLUMNS} FROM tenancies t JOIN properties p ON p.uprn = t.uprn "
            f"WHERE t.tenancy_ref = ? AND {clause}",
            [tenancy_ref, *args],
        )
    )
    if not rows:
        raise NotFound(f"Tenancy {tenancy_ref} not found.")
    return rows[0]


def find_tenancy(db: Database, caller: Caller, tenancy_ref: str, today: date) -> dict:
    """The tenancy's row with its home's address, if the caller's scope holds it (else
    NotFound): what a case's reads start from."""
    return _get_row(db, caller, tenancy_ref, today)


def get_tenancy(db: Database, caller: Caller, tenancy_ref: str, today: date | None = None) -> dict:
    today = today or london_today()
    row = _decorate(db, caller, [_get_row(db, caller, tenancy_ref, today)], today)[0]
    row["markers"] = active_markers(db, [row["uprn"]], today, tenancy_ref).get(row["uprn"], [])
    return row


def account_history(
    db: Database,
    caller: Caller,
    tenancy_ref: str,
    *,
    limit: int = 100,
    after: str | None = None,
    today: date | None = None,
) -> dict:
    """Account snapshots, newest first; ``after`` is the last ``as_of`` already seen."""
    today = today or london_today()
    tenancy = _get_row(db, caller, tenancy_ref, today)
    if not caller.sees_finance:
        raise Forbidden(f"{caller.a_role} may not see rent accounts.")
    where, params = "tenancy_ref = ?", [tenancy_ref]
    if after:
        where += " AND as_of < ?"
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {SNAPSHOT_COLUMNS} FROM account_snapshots WHERE {where} "
            "ORDER BY as_of DESC LIMIT ?",
            [*params, limit + 1],
        )
    )
    result = page(rows, limit, "as_of")
    held = moratoria(db, [tenancy_ref])[tenancy_ref]
    result["items"] = [account_out(r, today, tenancy, held) for r in result["items"]]
    return {"tenancy_ref": tenancy_ref, **result}


def breathing_spaces(
    db: Database, caller: Caller, tenancy_ref: str, today: date | None = None
) -> dict:
    """Every Breathing Space the tenancy has had, oldest first (type, start, end, who told
    us, the moratorium debt and the snapshot it was read from), with whether it runs
    today and, while it does, the ongoing arrears (finance roles)."""
    today = today or london_today()
    _get_row(db, caller, tenancy_ref, today)
    if not caller.sees_finance:
        raise Forbidden(f"{caller.a_role} may not see rent accounts.")
    running = breathing.moratoria_on(db, [tenancy_ref], today).get(tenancy_ref)
    items = []
    for space in breathing.history(db, [tenancy_ref]).get(tenancy_ref, []):
        space.pop("tenancy_ref")
        space["active"] = running is not None and running["id"] == space["id"]
        space["ongoing_arrears"] = running["ongoing_arrears"] if space["active"] else None
        items.append(space)
    return {"tenancy_ref": tenancy_ref, "items": items}


def tenancy_markers(
    db: Database, caller: Caller, tenancy_ref: str, today: date | None = None
) -> list[dict]:
    today = today or london_today()
    row = _get_row(db, caller, tenancy_ref, today)
    return active_markers(db, [row["uprn"]], today, tenancy_ref).get(row["uprn"], [])


def _read_tenancies(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    return load(
        db,
        "SELECT tenancy_ref, uprn, tenure, start_date, end_date, weekly_rent "
        "FROM tenancies WHERE tenancy_ref IN ({marks})",
        ids,
        "tenancy_ref",
    )


def _read_tenants(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    rows = load(
        db,
        f"SELECT {TENANT_COLUMNS} FROM tenants WHERE person_ref IN ({{marks}})",
        ids,
        "person_ref",
    )
    return {ref: tenant_out(row) for ref, row in rows.items()}


def _read_accounts(db: Database, ids: list[str], today: date) -> dict[str, dict]:
    columns = ", ".join(f"s.{c.strip()}" for c in SNAPSHOT_COLUMNS.split(","))
    rows = load(
        db,
        f"SELECT {columns}, t.tenure AS _tenure, t.start_date AS _start FROM tenancies t "
        "JOIN account_snapshots s ON s.id = t.current_snapshot_id "
        "WHERE t.tenancy_ref IN ({marks})",
        ids,
        "tenancy_ref",
    )
    out = {}
    held = moratoria(db, list(rows))
    for ref, row in rows.items():
        tenancy = {"tenure": row.pop("_tenure"), "start_date": row.pop("_start")}
        out[ref] = account_out(row, today, tenancy, held[ref])
    return out


TENANCY_KIND = Kind("tenancy", table="tenancies", key="tenancy_ref", read=_read_tenancies)
TENANT_KIND = Kind(
    "tenant",
    table="tenants",
    key="person_ref",
    read=_read_tenants,
    ops={"update": TENANT_EDIT},
    prefetch=prefetch_records(TENANT),
    versioned=True,
    tenancy=MOVES,
    topics=("tenant.changed",),
)
# The tenancy's current rent account: its id is the tenancy's.
ACCOUNT_KIND = Kind(
    "account",
    table="tenancies",
    key="tenancy_ref",
    read=_read_accounts,
    roles=codes.FINANCE_ROLES,
    tenancy=MOVES,
)
