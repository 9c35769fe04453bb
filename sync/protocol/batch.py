"""A push batch: what every mutation kind reads and writes through.

Every mutation is checked in full before anything of it is written, so a rejected mutation
leaves nothing behind. The writes of each mutation are staged in the batch (taken out
again should it be rejected after all) and stored with one ``executemany`` per statement
when the batch ends. What later mutations of the same batch read is read once and kept
up to date in the batch (the homes, the ids taken, the mutable records a kind
prefetches). A kind whose ops read and write
the database in ways the batch does not follow (an arrangement replacing the tenancy's
live one) writes its records at once instead, in a savepoint (``Kind.writes_now``);
its rows in the change index and the outbox still wait for the end of the batch, so both
keep the mutations' order.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from sync.access.scope import Caller, granted_homes, visible_patch_ids
from sync.checks import Record
from sync.clock import CLOCK_AHEAD, CLOCK_BEHIND, LONDON, iso
from sync.errors import DoorstepError
from sync.protocol import outbox
from sync.protocol.homes import Home, Homes
from sync.protocol.resends import kept_hash
from sync.store import changes
from sync.store.rows import chunks
from sync.store.strict_json import dumps_text

# An officer's queued records for a patch moved away from them are still accepted for
# this long after the move (by server time, whatever the phone's clock says).
REASSIGNMENT_GRACE = timedelta(days=14)


class Rejected(DoorstepError):
    """A mutation that cannot be applied: stored for review with this code and reason."""

    code = "rejected"


# --- the batch -------------------------------------------------------------------------

STORE = """INSERT INTO mutations (id, mutation_id, duplicate_of, device_id, user_id,
               device_seq, entity_type, entity_id, op, base_version, observed_at, received_at,
               body, content_hash, status, result)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


class Batch:
    """One push: what it has read (cached for the batch) and what it will write."""

    def __init__(
        self, db: Database, caller: Caller, now: datetime, pulled: dict[int, int] | None = None
    ):
        self.db, self.caller, self.now = db, caller, now
        # What the caller's phone holds, from the cursor it sent: bucket -> seq (sync.pull).
        self.pulled = pulled or {}
        self.now_iso = iso(now)
        # The times a phone's record may carry and be believed (sync.clock.clock_wrong).
        self.believable = (now - CLOCK_BEHIND, now + CLOCK_AHEAD)
        self.today = now.astimezone(LONDON).date().isoformat()
        self.scope = visible_patch_ids(db, caller)  # None: the whole landlord
        self.numbers = changes.Numbers(db)
        self.last_row = db.execute("SELECT coalesce(max(id), 0) FROM mutations").fetchone()[0]
        # mutation_id -> (row id, what was sent as stored, result, user id) (sync.push)
        self.seen: dict[str, tuple] = {}
        self.homes = Homes(db, self.today)
        # (Default dicts: the hot path makes no throwaway default for a key it has.)
        self.known: defaultdict[str, set[str]] = defaultdict(set)  # per kind: ids that exist
        self.created: defaultdict[str, dict[str, int]] = defaultdict(dict)  # ids made -> uprn
        self.buffered: defaultdict[str, list[tuple]] = defaultdict(list)
        self.records: dict[tuple[str, str], dict] = {}  # (kind, id) -> row, as changed here
        self.history: dict[tuple[str, str], dict] = {}  # (kind, id) -> field versions
        self.latest: dict[tuple[str, str], tuple] = {}  # (kind, id) -> (origin, seq)
        # The current mutation's writes, already in ``buffered``: the lists it added a row
        # to, in order, so that a rejection takes them out again (``drop_staged``).
        self.staged: list[list[tuple]] = []
        self.mutation_id = ""  # the mutation being applied
        self.writes_now = False  # whether its record writes happen at once (in a savepoint)
        # Its observed_at's flag when it was the phone's clock, ahead of the server or a
        # year and more behind, and was clamped (sync.push): clock-ahead, clock-behind.
        self.clock_flag: str | None = None
        self._granted: set[int] | None = None
        # (entity_type, op) -> (kind, op) the caller may push (sync.push, once a batch).
        self.allowed: dict[tuple[str, str], tuple] = {}
        # What record kinds read once for the whole batch, under names of their own.
        self.memo: dict[str, object] = {}

    # Reads
    def load_homes(self, uprns) -> None:
        """Have these homes at hand for the batch (``sync.protocol.homes``)."""
        self.homes.load(uprns)

    def granted(self) -> set[int]:
        """Homes granted to the caller for a paired visit, today or within the grace
        period (records made offline on the day arrive later)."""
        if self._granted is None:
            today = self.now.astimezone(LONDON).date()
            self._granted = granted_homes(
                self.db, self.caller.user_id, today - REASSIGNMENT_GRACE, today
            )
        return self._granted

    def home(self, uprn: int) -> Home | None:
        return self.homes.get(uprn)

    def place(self, uprn: int, tenancy_ref: str | None = None) -> tuple[Home, list[str]]:
        """The home a new record is about, and the record's flags; or ``Rejected`` when
        there is no such home (or tenancy there) or the caller may not write there."""
        home = self.home(uprn)
        if home is None:
            raise Rejected(f"No home has UPRN {uprn}.", code="unknown-home")
        if tenancy_ref is not None and tenancy_ref not in home.tenancies:
            raise Rejected("That tenancy is not at that home.", code="unknown-tenancy")
        flags = home_access(self, uprn, home)
        if "no_lone_visits" in home.markers:
            flags.append("no-lone-visits")
        if self.clock_flag:
            flags.append(self.clock_flag)
        return home, flags

    def known_ids(self, kind: str, table: str, ids, key: str = "id") -> set[str]:
        """Which of ``ids`` already exist in ``table`` (read once a batch, kept up to date
        by ``claim``)."""
        known = self.known[kind]
        for chunk in chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT {key} FROM {table} WHERE {key} IN ({marks})", chunk
                )
            )
        return known

    def claim(self, kind: str, entity_id: str, what: str, uprn: int) -> None:
        """A create of a new id: ``Rejected`` when a record of this kind has it already.
        Call it last, once nothing else can reject the mutation."""
        known = self.known[kind]
        if entity_id in known:
            raise Rejected(
                f"{what} with this id already exists; corrections are new records.",
                code="already-exists",
            )
        known.add(entity_id)
        self.created[kind][entity_id] = uprn

    def holds(self, entity_type: str, entity_id: str, uprn: int) -> bool:
        """Whether the caller's phone holds the latest change of this record: its own write,
        exactly as it holds it, or a change its cursor has passed (in a bucket of the
        record's home). Without a cursor, only its own write."""
        key = (entity_type, entity_id)
        if key not in self.latest:
            self.latest.update(changes.latest(self.db, entity_type, [entity_id]))
        origin, seq = self.latest[key]
        if seq is None:
            return False
        if origin is not None and origin == self.caller.device_id:
            return True
        buckets = (*self.home(uprn).patches, -uprn) if self.pulled else ()
        return any(self.pulled.get(b, 0) >= seq for b in buckets)

    def local_day(self, moment: datetime) -> date:
        """The day in England of an instant (legal clocks and "today" are London's)."""
        return moment.astimezone(LONDON).date()

    # Writes
    def begin(self, mutation_id: str, writes_now: bool) -> None:
        """The mutation ``mutation_id`` is about to be applied."""
        self.mutation_id, self.writes_now = mutation_id, writes_now
        self.clock_flag = None

    def later(self, sql: str, row: tuple) -> None:
        """Store this row of a record when the batch ends (if the current mutation is
        applied); at once for a kind that writes at once."""
        if self.writes_now:
            self.db.conn.execute(sql, row)
        else:
            rows = self.buffered[sql]
            rows.append(row)
            self.staged.append(rows)

    # The change index and the outbox are always stored when the batch ends, so that
    # their order (pulls page by seq; the feed and webhooks go by outbox id) is the
    # mutations' order, whichever kinds write at once.
    def touch(self, entity_type: str, entity_id: str, uprn: int, origin: int | None) -> None:
        """``changes.touch`` for the batch; ``origin``: the device whose pulls skip it."""
        seq = self.numbers.next()
        rows = self.buffered[changes.INDEX_UPSERT]
        rows.append(changes.index_row(entity_type, entity_id, uprn, seq, origin=origin))
        self.staged.append(rows)
        self.latest[entity_type, entity_id] = (origin, seq)

    def event(self, topic: str, entity_id: str, data: dict | None = None) -> None:
        """An outbox event for other systems (sync.protocol.outbox), stored with the
        record; without ``data`` for a topic whose record gives it when the event is read
        (``Kind.rendered``). Its id derives from the mutation's, so it is the same however
        often the phone retries."""
        event_id = f"{self.mutation_id}.{len(self.staged)}"
        rows = self.buffered[outbox.EVENT_INSERT]
        rows.append(outbox.event_row(event_id, topic, entity_id, data, self.now_iso))
        self.staged.append(rows)

    def keep_staged(self) -> None:
        """The current mutation was applied: its writes stay."""
        self.staged.clear()

    def drop_staged(self) -> None:
        """Take the current mutation's rows out again: it was rejected. A statement only
        it wrote goes too, so the statements are stored in the order the applied mutations
        first wrote them (a record before the rows that refer to it). Its rows only: an
        op checks everything before it writes (``Op``)."""
        for rows in reversed(self.staged):
            rows.pop()
        self.staged.clear()
        for sql in [sql for sql, rows in self.buffered.items() if not rows]:
            del self.buffered[sql]

    def store(self, mutation_id, raw, clean, seq, result, duplicate_of=None) -> int:
        """The mutation as received, with its result; ``seq`` its ``device_seq`` (that of
        a malformed one too, when the number itself is good, so that its device's
        ``acknowledged_seq`` moves past it)."""
        status = result["status"] if result["status"] in ("applied", "conflict") else "rejected"
        copy = dumps_text(raw)
        self.last_row += 1
        self.buffered[STORE].append(
            (
                self.last_row,
                mutation_id,
                duplicate_of,
                self.caller.device_id,
                self.caller.user_id,
                seq,
                clean and clean["entity_type"],
                clean and clean["entity_id"],
                clean and clean["op"],
                clean and clean["base_version"],
                clean and clean["observed_iso"],
                self.now_iso,
                copy,
                kept_hash(raw, copy),
                status,
                dumps_text(result),
            )
        )
        return self.last_row

    def flush(self) -> None:
        for sql, rows in self.buffered.items():
            self.db.conn.executemany(sql, rows)
        self.buffered.clear()
        self.numbers.claim()


# --- kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One operation on a kind: its payload rules, and ``apply(batch, mutation, payload)``,
    which raises ``Rejected`` before writing anything (``Batch.claim``, ``later``,
    ``touch``, ``event``) or returns the result. A refusal after them would take its rows
    out again (``Batch.drop_staged``) but not the batch's note of an id claimed or a
    change indexed: check everything first."""

    payload: Record
    apply: Callable[["Batch", dict, dict], dict]


def prefetch_creates(kind: str, table: str, key: str = "id"):
    """The prefetch of a kind whose creates name a home: the homes, and which of the new
    ids ``table`` has already."""

    def prefetch(batch: Batch, mutations: list[dict]) -> None:
        batch.load_homes(m["payload"].get("uprn") for m in mutations)
        batch.known_ids(kind, table, [m["entity_id"] for m in mutations], key)

    return prefetch


def home_access(batch: Batch, uprn: int, home: Home) -> list[str]:
    """Flags for a write to this home, or ``Rejected`` when the caller may not write there.
    A home the caller held within the grace period is accepted and flagged."""
    patches, scope = home.patches, batch.scope
    if not patches:
        raise Rejected(f"Home {uprn} is in no patch.", code="out-of-scope")
    if scope is None or not scope.isdisjoint(patches):
        return []
    if uprn in batch.granted():
        return ["paired-visit"]
    since = (batch.now - REASSIGNMENT_GRACE).isoformat()
    marks = ",".join("?" * len(patches))
    officer = batch.caller.user_id
    held = batch.db.execute(
        f"""SELECT 1 FROM patch_assignments WHERE officer_id = ? AND patch_id IN ({marks})
            AND ended_at >= ?
            UNION SELECT 1 FROM patch_covers WHERE officer_id = ? AND patch_id IN ({marks})
            AND start_date <= ? AND end_date >= ?
            AND (cancelled_at IS NULL OR cancelled_at >= ?)
            AND (cancelled_at IS NULL OR substr(cancelled_at, 1, 10) >= start_date)""",
        [
            officer,
            *sorted(patches),
            since,
            officer,
            *sorted(patches),
            batch.today,
            since[:10],
            since,
        ],
    ).fetchone()
    if held:
        return ["after-reassignment"]
    raise Rejected(f"Home {uprn} is not in your patches.", code="out-of-scope")
