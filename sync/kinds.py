"""Every record type phones hold: how it is read for them, and who may see it.

A record belongs to a home (``sync_index.uprn``); scope is by home. Some types go only to
some roles (rent accounts to finance roles), and some records only to some people within
scope (a safeguarding concern to the officer who raised it, their team leaders and the
safeguarding leads). A record hidden from a caller is never sent to them, not even as a
removal. Adding a record type is declaring a ``RecordType``.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson
from sqlite_utils import Database

from sync import codes
from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.casework import planning
from sync.clock import london_today
from sync.records import repairs
from sync.records.arrangements import ARRANGEMENT_COLUMNS, PROMISE_COLUMNS, arrangement_out
from sync.records.properties import PROPERTY_COLUMNS
from sync.records.tenancies import SNAPSHOT_COLUMNS, TENANT_COLUMNS, account_out, tenant_out
from sync.records.visits import VISIT_COLUMNS, visit_out
from sync.store.rows import chunks, load


@dataclass(frozen=True)
class RecordType:
    name: str
    # ids -> the records as phones store them; an id left out is sent as a removal.
    read: Callable[[Database, list[str], date], dict[str, dict]]
    # The roles that receive this type at all (None: every role with the home in scope).
    roles: tuple[str, ...] | None = None
    # Whether this caller may see this record (beyond having its home in scope).
    audience: Callable[[Caller, dict], bool] | None = None
    # Reads of this type are written to the audit log (sync.audit).
    audited: bool = False

    def for_caller(self, caller: Caller) -> bool:
        return self.roles is None or caller.role in self.roles


# --- reads -----------------------------------------------------------------------------


def _properties(db, ids, today):
    rows = load(
        db,
        f"SELECT {PROPERTY_COLUMNS} FROM properties p WHERE p.uprn IN ({{marks}})",
        [int(i) for i in ids],
        "uprn",
    )
    patches: dict[str, list[int]] = defaultdict(list)
    for chunk in chunks([int(i) for i in ids]):
        for uprn, pid in db.execute(
            f"SELECT uprn, patch_id FROM patch_properties WHERE uprn IN "
            f"({','.join('?' * len(chunk))}) ORDER BY patch_id",
            chunk,
        ):
            patches[str(uprn)].append(pid)
    for uprn, row in rows.items():
        row["patch_ids"] = patches.get(uprn, [])
    return rows


def _tenancies(db, ids, today):
    return load(
        db,
        "SELECT tenancy_ref, uprn, tenure, start_date, end_date, weekly_rent "
        "FROM tenancies WHERE tenancy_ref IN ({marks})",
        ids,
        "tenancy_ref",
    )


def _tenants(db, ids, today):
    rows = load(
        db,
        f"SELECT {TENANT_COLUMNS} FROM tenants WHERE person_ref IN ({{marks}})",
        ids,
        "person_ref",
    )
    return {ref: tenant_out(row) for ref, row in rows.items()}


def _accounts(db, ids, today):
    columns = ", ".join(f"s.{c.strip()}" for c in SNAPSHOT_COLUMNS.split(","))
    rows = load(
        db,
        f"SELECT {columns} FROM tenancies t JOIN account_snapshots s "
        "ON s.id = t.current_snapshot_id WHERE t.tenancy_ref IN ({marks})",
        ids,
        "tenancy_ref",
    )
    return {ref: account_out(row, today) for ref, row in rows.items()}


def _arrangements(db, ids, today):
    rows = load(
        db, f"SELECT {ARRANGEMENT_COLUMNS} FROM arrangements WHERE id IN ({{marks}})", ids, "id"
    )
    return {k: arrangement_out(row) for k, row in rows.items()}


def _promises(db, ids, today):
    return load(
        db, f"SELECT {PROMISE_COLUMNS} FROM promises p WHERE p.id IN ({{marks}})", ids, "id"
    )


def _visits(db, ids, today):
    rows = load(db, f"SELECT {VISIT_COLUMNS} FROM visits WHERE id IN ({{marks}})", ids, "id")
    return {k: visit_out(row) for k, row in rows.items()}


MARKER_COLUMNS = (
    "marker_ref, uprn, tenancy_ref, code, description, source_incident, start_date, "
    "review_date, end_date, status, raised_by"
)


def _markers(db, ids, today):
    day = today.isoformat()
    rows = load(
        db,
        f"SELECT {MARKER_COLUMNS} FROM warning_markers WHERE marker_ref IN ({{marks}})",
        ids,
        "marker_ref",
    )
    for row in rows.values():
        row["review_overdue"] = row["review_date"] < day
    # A marker not in force today (or rejected) is not served: the phone removes it.
    return {
        ref: row
        for ref, row in rows.items()
        if row["status"] != "rejected"
        and row["start_date"] <= day
        and (row["end_date"] is None or row["end_date"] >= day)
    }


def _marker_audience(caller: Caller, row: dict) -> bool:
    if row["status"] != "pending":
        return True
    return row["raised_by"] == caller.user_id or caller.role in ("team_leader", "admin")


def _repairs(db, ids, today):
    return repairs.read(db, ids, datetime.now(UTC))


CONCERN_COLUMNS = (
    "c.id, c.follows, c.uprn, c.tenancy_ref, c.category, c.subjects, c.immediate_danger, "
    "c.seen, c.referred_to, c.referred_at, c.referral_ref, c.outcome, c.raised_by, "
    "u.username AS raised_by_username, c.team_id, u.team_id AS raiser_team_id, "
    "c.observed_at, c.received_at, "
    "c.cleared_by_clearance IS NOT NULL AS cleared"
)


def concern_out(row: dict) -> dict:
    row["subjects"] = orjson.loads(row["subjects"])
    row["immediate_danger"] = bool(row["immediate_danger"])
    row["cleared"] = bool(row["cleared"])
    return row


def _concerns(db, ids, today):
    rows = load(
        db,
        f"SELECT {CONCERN_COLUMNS} FROM concerns c JOIN users u ON u.id = c.raised_by "
        "WHERE c.id IN ({marks})",
        ids,
        "id",
    )
    return {k: concern_out(row) for k, row in rows.items()}


def concern_audience(caller: Caller, row: dict) -> bool:
    """The raising officer, safeguarding leads, and team leaders of the raising officer's
    team: the team they were in when they raised it (``team_id``: its leaders handled it,
    and keep it) and the team they are in now (``raiser_team_id``: its leaders supervise
    them and their follow-ups)."""
    return (
        row["raised_by"] == caller.user_id
        or caller.role == "safeguarding_lead"
        or (
            caller.role == "team_leader"
            and caller.team_id in (row["team_id"], row["raiser_team_id"])
        )
    )


CHECKIN_COLUMNS = (
    "id, uprn, officer_id, checked_in_at, expected_out_at, checked_out_at, flags, "
    "cleared_at, version"
)


def _checkins(db, ids, today):
    rows = load(db, f"SELECT {CHECKIN_COLUMNS} FROM checkins WHERE id IN ({{marks}})", ids, "id")
    for row in rows.values():
        row["flags"] = orjson.loads(row["flags"])
    return rows


def _own_checkin(caller: Caller, row: dict) -> bool:
    return row["officer_id"] == caller.user_id or caller.role in ("team_leader", "admin")


TYPES = {
    t.name: t
    for t in (
        RecordType("property", _properties),
        RecordType("tenancy", _tenancies),
        RecordType("tenant", _tenants),
        RecordType("account", _accounts, roles=codes.FINANCE_ROLES),
        RecordType("arrangement", _arrangements, roles=codes.FINANCE_ROLES),
        RecordType("promise", _promises, roles=codes.FINANCE_ROLES),
        # Who received which warning markers is audited (one entry per page).
        RecordType("marker", _markers, audience=_marker_audience, audited=True),
        # Visit records discuss rent accounts: finance roles only.
        RecordType("visit", _visits, roles=codes.FINANCE_ROLES),
        RecordType("repair", _repairs),
        RecordType(
            "concern",
            _concerns,
            roles=("officer", "team_leader", "safeguarding_lead"),
            audience=concern_audience,
            audited=True,
        ),
        # A day plan reaches only its officer (it belongs to a person, not a home).
        RecordType("plan", planning.read_plans, roles=("officer",)),
        RecordType("checkin", _checkins, roles=("officer", "team_leader", "admin"),
                   audience=_own_checkin),
    )
}  # fmt: skip


def read(db: Database, caller: Caller, entity_type: str, ids: list[str], today: date):
    """(records the caller may see, ids hidden from the caller)."""
    kind = TYPES[entity_type]
    found = kind.read(db, ids, today)
    hidden = set()
    if kind.audience:
        hidden = {i for i, row in found.items() if not kind.audience(caller, row)}
        found = {i: row for i, row in found.items() if i not in hidden}
    return found, hidden


def visible(db: Database, caller: Caller, entity_type: str, entity_id: str) -> bool:
    """Whether the caller may see this record: its type, its home in scope, its audience."""
    kind = TYPES.get(entity_type)
    if kind is None or not kind.for_caller(caller):
        return False
    where, params = scope_clause(visible_patch_ids(db, caller), "uprn")
    in_scope = db.execute(
        f"SELECT 1 FROM sync_index WHERE entity_type = ? AND entity_id = ? AND {where}",
        [entity_type, entity_id, *params],
    ).fetchone()
    if not in_scope:
        return False
    found, _ = read(db, caller, entity_type, [entity_id], london_today())
    return entity_id in found
