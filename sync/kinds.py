"""The registry: every record kind phones hold, collected once from the modules that
declare them (``sync.protocol.kinds.Kind``).

A kind is declared in its own module, in ``sync.records`` (or ``sync.casework`` for day
plans, whose reader belongs with planning); this module, above both layers, lists them,
so neither imports upward. Adding a kind is a migration, its module with its ``Kind``,
and one line in ``_DECLARED`` below (docs/architecture.md has the recipe).

The order is the order of docs/sync-protocol.md's table of what a phone holds.
"""

from datetime import date

from sqlite_utils import Database

from sync.access.scope import Caller, scope_clause, visible_patch_ids
from sync.casework import plans
from sync.clock import london_today
from sync.protocol import outbox
from sync.protocol.kinds import Kind
from sync.records import (
    arrangements,
    checkins,
    concerns,
    markers,
    phone_statements,
    properties,
    repairs,
    tenancies,
    visits,
)

_DECLARED = (
    properties.PROPERTY_KIND,
    tenancies.TENANCY_KIND,
    tenancies.TENANT_KIND,
    tenancies.ACCOUNT_KIND,
    phone_statements.STATEMENT_KIND,
    arrangements.ARRANGEMENT_KIND,
    arrangements.PROMISE_KIND,
    markers.MARKER_KIND,
    visits.VISIT_KIND,
    repairs.REPAIR_KIND,
    concerns.CONCERN_KIND,
    plans.PLAN_KIND,
    checkins.CHECKIN_KIND,
)
KINDS: dict[str, Kind] = {}
# The kinds with ops, kept beside KINDS: push asks for them once a mutation.
_PUSHED: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind to the registry (each module's kinds are listed in ``_DECLARED``)."""
    if kind.name in KINDS:
        raise ValueError(f"Kind {kind.name!r} is declared twice.")
    KINDS[kind.name] = kind
    if kind.ops:
        _PUSHED[kind.name] = kind
    outbox.RENDERED.update(kind.rendered)
    return kind


def unregister(name: str) -> None:
    """Take a kind out again (a test's throwaway kind)."""
    kind = KINDS.pop(name)
    _PUSHED.pop(name, None)
    for topic in kind.rendered:
        outbox.RENDERED.pop(topic, None)


for _kind in _DECLARED:
    register(_kind)


def pushed() -> dict[str, Kind]:
    """The kinds phones may push: those with ops, in the registry's order."""
    return _PUSHED


def topics() -> tuple[str, ...]:
    """Every outbox topic a kind's changes write."""
    return tuple(topic for kind in KINDS.values() for topic in kind.topics)


def following_tenancy(*ways: str) -> list[Kind]:
    """The kinds that follow their tenancy in one of these ways (sync.protocol.kinds)."""
    return [kind for kind in KINDS.values() if kind.tenancy in ways]


def read(db: Database, caller: Caller, entity_type: str, ids: list[str], today: date):
    """(records the caller may see, ids hidden from the caller)."""
    kind = KINDS[entity_type]
    found = kind.read(db, ids, today)
    hidden = set()
    if kind.audience:
        hidden = {i for i, row in found.items() if not kind.audience(caller, row)}
        found = {i: row for i, row in found.items() if i not in hidden}
    return found, hidden


def visible(db: Database, caller: Caller, entity_type: str, entity_id: str) -> bool:
    """Whether the caller may see this record: its type, its home in scope, its audience."""
    kind = KINDS.get(entity_type)
    if kind is None or not kind.receives(caller):
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
