"""docs/architecture.md's recipe for adding a record kind, followed for a throwaway one:
a migration (its table), its module (a ``Kind`` with a reader and a create op), and one
registry line. Push, pull, retention's lists and the enums then take it without another
edit anywhere."""

import uuid

import pytest

from schemas.sync import _mutation_json_schema
from sync import kinds, retention
from sync.checks import Integer, Record, Text
from sync.protocol.batch import Batch, Op, prefetch_creates
from sync.protocol.kinds import Kind
from sync.store.rows import load
from tests.phone import Outbox, Phone, home_of, push

# 1. The migration: the kind's table.
MIGRATION = """CREATE TABLE doorstep_notes (
    id TEXT PRIMARY KEY, uprn INTEGER NOT NULL, text TEXT NOT NULL, author INTEGER NOT NULL)"""


# 2. Its module: the payload's rules, the op, the reader, and the declaration.
NEW_NOTE = Record(
    {
        "uprn": Integer(1, 10**15, required=True, nullable=False),
        "text": Text(200, min_len=1, required=True, nullable=False),
    }
)


def apply_create(batch: Batch, m: dict, note: dict) -> dict:
    _, flags = batch.place(note["uprn"])
    batch.claim("note", m["entity_id"], "A note", note["uprn"])
    batch.later(
        "INSERT INTO doorstep_notes (id, uprn, text, author) VALUES (?, ?, ?, ?)",
        (m["entity_id"], note["uprn"], note["text"], batch.caller.user_id),
    )
    batch.touch("note", m["entity_id"], note["uprn"], None)
    return {"status": "applied", "flags": flags}


def read_notes(db, ids, today):
    return load(db, "SELECT id, uprn, text FROM doorstep_notes WHERE id IN ({marks})", ids, "id")


NOTE_KIND = Kind(
    "note",
    table="doorstep_notes",
    key="id",
    read=read_notes,
    roles=("officer", "team_leader"),
    ops={"create": Op(NEW_NOTE, apply_create)},
    prefetch=prefetch_creates("note", "doorstep_notes"),
)


@pytest.fixture
def registered(db):
    db.execute(MIGRATION)
    db.conn.commit()
    kinds.register(NOTE_KIND)  # 3. the registry line
    yield NOTE_KIND
    kinds.unregister("note")


def test_a_new_kind_is_pushed_pulled_and_derived_everywhere(registered, client, tokens, db):
    uprn, _ = home_of(db, "officer1")
    note = Outbox().make(
        "note", str(uuid.uuid4()), "create", {"uprn": uprn, "text": "Gate sticks"}
    )
    officer1, leader1, repairs1 = (
        Phone(client, tokens[u]) for u in ("officer1", "leader1", "repairs1")
    )
    for phone in (officer1, leader1, repairs1):
        phone.sync()
    result = push(client, officer1.headers, note)["results"][0]
    assert result["status"] == "applied", result
    for phone in (officer1, leader1, repairs1):
        phone.sync()
    key = ("note", note["entity_id"])
    assert officer1.store[key]["text"] == leader1.store[key]["text"] == "Gate sticks"
    assert key not in repairs1.store  # a role that does not receive it
    refused = push(client, repairs1.headers, {**note, "mutation_id": str(uuid.uuid4())})
    assert refused["results"][0]["code"] == "forbidden"  # nor makes it
    # What derives from the registry takes it too.
    assert "note" in kinds.pushed()
    assert "note" in _mutation_json_schema()["properties"]["entity_type"]["enum"]
    assert "note" not in retention.VERSIONED


def test_a_kind_is_declared_once(registered):
    with pytest.raises(ValueError, match="declared twice"):
        kinds.register(NOTE_KIND)
