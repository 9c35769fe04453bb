"""The change sequence: every write to a syncable record takes the next number.

SQLite runs one write transaction at a time, so numbers are handed out in commit order
and a reader never sees seq 10 before seq 9 is visible. Pulls page by this number.
"""

from sqlite_utils import Database

from sync.store.rows import chunks


def next_seq(db: Database) -> int:
    return db.execute("UPDATE sync_state SET seq = seq + 1 RETURNING seq").fetchall()[0][0]


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
    db.execute(
        """INSERT INTO sync_index (entity_type, entity_id, uprn, seq, deleted, origin_device_id,
                                   owner_id)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (entity_type, entity_id)
           DO UPDATE SET uprn = excluded.uprn, seq = excluded.seq, deleted = excluded.deleted,
                         origin_device_id = excluded.origin_device_id,
                         owner_id = excluded.owner_id""",
        [entity_type, str(entity_id), uprn, seq, int(deleted), origin_device_id, owner_id],
    )
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
    seqs.sort()
    first = current_seq(db) + 1
    db.conn.executemany(
        "UPDATE sync_index SET seq = ?, origin_device_id = NULL WHERE seq = ?",
        [(first + n, seq) for n, seq in enumerate(seqs)],
    )
    db.execute("UPDATE sync_state SET seq = ?", [first + len(seqs) - 1])


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
    unless they hold the new home too (sync.pull). A record new to the index moves
    nowhere; nor does one belonging to a person, not a home."""
    moving = {(t, str(i)): uprn for t, i, uprn in entities if uprn is not None}
    left = sorted(
        (old, t, i)
        for (t, i), old in homes_of(db, list(moving)).items()
        if old is not None and old != moving[t, i]
    )
    for old, entity_type, entity_id in left:
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
    first = current_seq(db) + 1
    db.conn.executemany(
        """INSERT INTO sync_index (entity_type, entity_id, uprn, seq, deleted, origin_device_id,
                                   owner_id)
           VALUES (?, ?, ?, ?, 0, NULL, NULL)
           ON CONFLICT (entity_type, entity_id)
           DO UPDATE SET uprn = excluded.uprn, seq = excluded.seq, deleted = 0,
                         origin_device_id = NULL, owner_id = NULL""",
        [(t, str(i), uprn, first + n) for n, (t, i, uprn) in enumerate(entities)],
    )
    db.execute("UPDATE sync_state SET seq = ?", [first + len(entities) - 1])
