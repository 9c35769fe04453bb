"""A record kind, declared once in its own module: everything push, pull, retention and
the import need to know about it.

Each module of ``sync.records`` (and ``sync.casework`` for day plans) declares its kinds
as ``Kind`` values; ``sync.kinds`` collects them into the one registry. Push takes the
kinds with ``ops``; pull reads every kind a caller ``receives``; retention and the
import's moves follow ``tenancy``; the OpenAPI document's enums and docs/sync-protocol.md's
tables are checked against the registry (tests/test_openapi.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from sync.access.scope import Caller
from sync.protocol.batch import Batch, Op

# How a kind follows the tenancy it names (``Kind.tenancy``):
# - MOVES: purged with the tenancy, and moves home with it when the import corrects the
#   tenancy's home (its people, account, arrangements, promises);
# - STAYS: purged with the tenancy, but stays at the home where it happened (visits);
# - OUTLIVES: kept when the tenancy is purged, with the tenancy taken off it (a marker, a
#   repair, a concern are about the home and its people, not the rent account).
MOVES, STAYS, OUTLIVES = "moves", "stays", "outlives"


@dataclass(frozen=True)
class Kind:
    """One kind of record phones hold.

    ``read(db, ids, today)`` gives the records as phones store them (an id left out is
    sent as a removal). ``roles``: the roles that receive it at all (None: every role with
    the home in scope); a role may push only kinds it receives. ``audience(caller, row)``:
    whether this caller may see this record, beyond holding its home. ``ops``: what phones
    may push (``sync.protocol.batch.Op``); ``prefetch(batch, mutations)`` reads what a
    whole batch needs at once; ``writes_now``: its ops read the database back, so its rows
    are written at once, in a savepoint."""

    name: str
    # The table holding it, and the column that is its id.
    table: str
    key: str
    read: Callable[[Database, list[str], date], dict[str, dict]]
    roles: tuple[str, ...] | None = None
    audience: Callable[[Caller, dict], bool] | None = None
    # Reads of it are written to the audit log (sync.access.audit).
    audited: bool = False
    ops: dict[str, Op] = field(default_factory=dict)
    prefetch: Callable[[Batch, list[dict]], None] | None = None
    writes_now: bool = False
    # Its fields carry versions, and clashing edits are kept as conflicts (sync.protocol.versions).
    versioned: bool = False
    # How it follows its tenancy (MOVES, STAYS, OUTLIVES), through ``tenancy_column``.
    tenancy: str | None = None
    tenancy_column: str = "tenancy_ref"
    # The outbox topics its changes write (docs/api.md lists them).
    topics: tuple[str, ...] = ()
    # Topics whose events are stored without a body, their data read from the record when
    # the event is (sync.protocol.outbox): for records never changed once made. Topic ->
    # ``data(db, ids)``, each id's event data.
    rendered: dict[str, Callable[[Database, list[str]], dict[str, dict]]] = field(
        default_factory=dict
    )

    def receives(self, caller: Caller) -> bool:
        """Whether this caller's phone gets this kind at all (and so may push it)."""
        return self.roles is None or caller.role in self.roles
