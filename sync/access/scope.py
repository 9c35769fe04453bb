"""Who is asking, and what they may see.

An officer sees homes in patches they own or currently cover; a team leader sees
their team's patches; maintenance, safeguarding leads and admins see the whole
landlord. Callers outside a record's scope are told it does not exist.
"""

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from sync import codes
from sync.clock import london_today
from sync.errors import Forbidden


@dataclass(frozen=True)
class Caller:
    user_id: int
    username: str
    role: str
    team_id: int | None
    device_id: int | None = None
    must_change_password: bool = False

    @property
    def landlord_wide(self) -> bool:
        return self.role in codes.LANDLORD_WIDE_ROLES

    @property
    def sees_finance(self) -> bool:
        return self.role in codes.FINANCE_ROLES

    @property
    def a_role(self) -> str:
        """The caller's role as a refusal names it: "An officer", "Maintenance staff"."""
        return codes.AS_SUBJECT[self.role]


def require_role(caller: Caller, roles: tuple[str, ...], action: str) -> None:
    if caller.role not in roles:
        raise Forbidden(f"{caller.a_role} may not {action}.")


def visible_patch_ids(db: Database, caller: Caller, today: date | None = None) -> set[int] | None:
    """Patch ids in the caller's scope, or ``None`` for the whole landlord."""
    if caller.landlord_wide:
        return None
    if caller.role == "team_leader":
        rows = db.execute("SELECT id FROM patches WHERE team_id = ?", [caller.team_id])
        return {r[0] for r in rows}
    day = (today or london_today()).isoformat()
    rows = db.execute(
        """
        SELECT id FROM patches WHERE officer_id = :me
        UNION
        SELECT patch_id FROM patch_covers
        WHERE officer_id = :me AND cancelled_at IS NULL
          AND start_date <= :day AND end_date >= :day
        """,
        {"me": caller.user_id, "day": day},
    )
    return {r[0] for r in rows}


def scope_clause(patch_ids: set[int] | None, uprn_column: str) -> tuple[str, list]:
    """SQL restricting ``uprn_column`` to homes in ``patch_ids`` (``None``: no limit)."""
    if patch_ids is None:
        return "1", []
    marks = ",".join("?" * len(patch_ids)) or "NULL"
    return (
        f"{uprn_column} IN (SELECT uprn FROM patch_properties WHERE patch_id IN ({marks}))",
        sorted(patch_ids),
    )


def checked_in_homes(db: Database, officer_id: int) -> set[int]:
    """Homes where the officer is checked in now (lone working: not checked out, nor the
    alert cleared). Each stays on their phone until they check out, whoever holds its
    patch meanwhile: a reassignment must not take away the check-in they have to end."""
    return {
        r[0]
        for r in db.execute(
            "SELECT uprn FROM checkins WHERE officer_id = ? AND checked_out_at IS NULL "
            "AND cleared_at IS NULL",
            [officer_id],
        )
    }


def granted_homes(db: Database, officer_id: int, first: date, last: date) -> set[int]:
    """Homes outside an officer's patches granted to them for days from ``first`` to
    ``last`` (the partner's home on a paired visit, sync.casework.weeks)."""
    return {
        r[0]
        for r in db.execute(
            "SELECT uprn FROM scope_grants WHERE officer_id = ? AND grant_date >= ? "
            "AND grant_date <= ?",
            [officer_id, first.isoformat(), last.isoformat()],
        )
    }
