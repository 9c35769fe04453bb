"""The change sequence: every write to a syncable record takes the next number.

SQLite runs one write transaction at a time, so numbers are handed out in commit order
and a reader never sees seq 10 before seq 9 is visible. Pulls page by this number.

This module is the only one that hands out numbers (``next_seq`` one at a time,
``Numbers`` for many writes at once) and the only one that knows how a row of the change
index is written (``INDEX_UPSERT``, ``index_row``): a push's batch stages its rows with
them, and every other writer calls ``touch``, ``touch_many`` or ``touch_homes``.
"""

from sqlite_utils import Database

from sync.store.rows import chunks

# A record's one row in the change index: its latest change, and where and whose it is.
INDEX_UPSERT = """INSERT INTO sync_index (entity_type, entity_id, uprn, seq, deleted,
                                         origin_device_id, owner_id)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (entity_type, entity_id)
    DO UPDATE SET uprn = excluded.uprn, seq = excluded.seq, deleted = excluded.deleted,
                  origin_device_id = excluded.origin_device_id, owner_id = excluded.owner_id"""


def index_row(
    entity_type: str,
    entity_id,
    uprn: int | None,
    seq: int,
    *,
    deleted: bool = False,
    origin: int | None = None,
    owner: int | None = None,
) -> tuple:
    """The parameters of ``INDEX_UPSERT`` for one record's change."""
    return (entity_type, str(entity_id), uprn, seq, int(deleted), origin, owner)


def next_seq(db: Database) -> int:
    return db.execute("UPDATE sync_state SET seq = seq + 1 RETURNING seq").fetchall()[0][0]


class Numbers:
    """Sequence numbers for many writes in one transaction, handed out in memory and
    claimed together by ``claim`` (before the transaction commits)."""

    def __init__(self, db: Database):
        self.db = db
        self.last = current_seq(db)

    def next(self) -> int:
        self.last += 1
        return self.last

    def claim(self) -> None:
        self.db.execute("UPDATE sync_state SET seq = ?", [self.last])


def current_seq(db: Database) -> int:
    return db.execute("SELECT seq FROM sync_state").fetchone()[0]


def epoch(db: Database) -> str:
    return db.execute("SELECT epoch FROM sync_state").fetchone()[0]


def new_epoch(db: Database) -> str:
    """After a restore: every cursor issued before it is refused, and phones reset."""
    with db.atomic():
        db.execute("UPDATE sync_state SET epoch = lower(hex(randomblob(8)))")
    return epoch(db)


def touch(
    db: Database,
    entity_type: str,
    entity_id,
    uprn: int | None,
    *,
    deleted: bool = False,
    origin_device_id: int | None = None,
    owner_id: int | None = None,
) -> int:
    """Record that a record changed (or was deleted): it gets the next sequence number.
    ``origin_device_id``: the phone whose own write this is, exactly as that phone holds
    it; its pulls skip it (no echo). Leave it out whenever the server changed anything.
    ``owner_id``: a record that belongs to a person, not a home (a day plan): it reaches
    that person's phones whatever their scope."""
    _leave_old_homes(db, [(entity_type, entity_id, uprn)])
    seq = next_seq(db)
    row = index_row(
        entity_type, entity_id, uprn, seq, deleted=deleted, origin=origin_device_id, owner=owner_id
    )
    db.execute(INDEX_UPSERT, row)
    return seq


def _indexed(db: Database, entity_type: str, entity_ids: list[str], columns: str):
    """(entity_id, *columns) of these records' rows in the change index, by its unique
    index on (entity_type, entity_id)."""
    for chunk in chunks(entity_ids):
        yield from db.execute(
            f"SELECT entity_id, {columns} FROM sync_index WHERE entity_type = ? "
            f"AND entity_id IN ({','.join('?' * len(chunk))})",
            [entity_type, *chunk],
        )


def latest(db: Database, entity_type: str, entity_ids: list[str]) -> dict:
    """(entity_type, id) -> (origin_device_id, seq) of each record's latest change; (None,
    None) for a record never indexed."""
    found = dict.fromkeys(((entity_type, i) for i in entity_ids), (None, None))
    found.update(
        ((entity_type, i), (origin, seq))
        for i, origin, seq in _indexed(db, entity_type, entity_ids, "origin_device_id, seq")
    )
    return found


def touch_homes(db: Database, uprns: list[int]) -> None:
    """Everything belonging to these homes changes scope with them: re-number all of it,
    in the order it last changed, as the server's (a tombstone stays a tombstone)."""
    seqs: list[int] = []
    for chunk in chunks(sorted(set(uprns))):
        seqs += [
            r[0]
            for r in db.execute(
                f"SELECT seq FROM sync_index WHERE uprn IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        ]
    if not seqs:
        return
    numbers = Numbers(db)
    db.conn.executemany(
        "UPDATE sync_index SET seq = ?, origin_device_id = NULL WHERE seq = ?",
        [(numbers.next(), seq) for seq in sorted(seqs)],
    )
    numbers.claim()


def homes_of(db: Database, entities: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(entity_type, entity_id) -> the home each record is indexed under now."""
    by_type: dict[str, list[str]] = {}
    for entity_type, entity_id in sorted(set(entities)):
        by_type.setdefault(entity_type, []).append(entity_id)
    return {
        (entity_type, i): uprn
        for entity_type, ids in by_type.items()
        for i, uprn in _indexed(db, entity_type, ids, "uprn")
    }


def _leave_old_homes(db: Database, entities: list[tuple[str, str, int | None]]) -> None:
    """A record moving to another home (the import moved its tenancy, or a tenant or marker
    to another home) leaves the old one: phones holding the old home's patches remove it,
    unless they hold the new home too (sync.pull). Every move is logged too
    (``record_moves``), for phones that held the old home through a patch it has since
    left. A record new to the index moves nowhere; nor does one belonging to a person,
    not a home."""
    moving = {(t, str(i)): uprn for t, i, uprn in entities if uprn is not None}
    left = sorted(
        (old, t, i)
        for (t, i), old in homes_of(db, list(moving)).items()
        if old is not None and old != moving[t, i]
    )
    for old, entity_type, entity_id in left:
        db.execute(
            "INSERT INTO record_moves (seq, uprn, entity_type, entity_id) VALUES (?, ?, ?, ?)",
            [next_seq(db), old, entity_type, entity_id],
        )
        for (patch_id,) in db.execute(
            "SELECT patch_id FROM patch_properties WHERE uprn = ? ORDER BY patch_id", [old]
        ).fetchall():
            db.execute(
                "INSERT INTO scope_exits (seq, patch_id, uprn, entity_type, entity_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [next_seq(db), patch_id, old, entity_type, entity_id],
            )


def record_exits(db: Database, exits: list[tuple[int, int]]) -> None:
    """(patch_id, uprn) pairs for homes that left a patch."""
    for patch_id, uprn in exits:
        db.execute(
            "INSERT INTO scope_exits (seq, patch_id, uprn) VALUES (?, ?, ?)",
            [next_seq(db), patch_id, uprn],
        )


def touch_many(db: Database, entities: list[tuple[str, str, int | None]]) -> None:
    """``touch`` for many (entity type, entity id, uprn) at once, numbered in list order;
    changes the server made (no origin device, no owner)."""
    if not entities:
        return
    _leave_old_homes(db, entities)
    numbers = Numbers(db)
    db.conn.executemany(
        INDEX_UPSERT, [index_row(t, i, uprn, numbers.next()) for t, i, uprn in entities]
    )
    numbers.claim()
