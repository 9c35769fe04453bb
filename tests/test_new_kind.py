"""docs/architecture.md's recipe for adding a record kind, followed for a throwaway one:
a migration (its table), its module (a ``Kind`` with a reader and a create op), and one
registry line. Push, pull, retention's lists and the enums then take it without another
edit anywhere."""

import uuid
from datetime import UTC, datetime

import pytest

from schemas.sync import _mutation_json_schema
from sync import kinds, retention
from sync.access.scope import Caller
from sync.checks import Integer, Record, Text
from sync.protocol.batch import Batch, Op, Rejected, prefetch_creates
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


def late_refusal(batch: Batch, m: dict, note: dict) -> dict:
    """An op that stages its rows, then finds it must refuse after all."""
    apply_create(batch, m, note)
    batch.event("note.made", m["entity_id"], {"text": note["text"]})
    if note["text"] == "refuse":
        raise Rejected("Refused after staging.", code="invalid-payload")
    return {"status": "applied"}


def test_an_op_that_refuses_after_staging_leaves_no_rows_behind(
    registered, client, as_user, db, monkeypatch
):
    """The batch keeps each mutation's rows with the rest as it goes: one refused after
    staging takes out its own rows, and only its own (the mutation before it, and the one
    after it, are stored whole, with their events numbered as always). Its claim on the
    id stays for the batch: an op checks everything before it writes (``Op``)."""
    monkeypatch.setitem(registered.ops, "late", Op(NEW_NOTE, late_refusal))
    uprn, _ = home_of(db, "officer1")
    sent = [
        Outbox().make("note", str(uuid.uuid4()), "late", {"uprn": uprn, "text": text})
        for text in ("kept", "refuse", "also kept")
    ]
    for seq, m in enumerate(sent, start=1):
        m["device_seq"] = seq
    results = push(client, as_user("officer1"), *sent)["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"], results
    ids = [m["entity_id"] for m in sent]
    stored = db.execute("SELECT id FROM doorstep_notes ORDER BY text").fetchall()
    indexed = db.execute("SELECT entity_id FROM sync_index WHERE entity_type = 'note'")
    assert sorted(r[0] for r in stored) == sorted(r[0] for r in indexed) == sorted(ids[::2])
    events = db.execute("SELECT event_id FROM outbox WHERE topic = 'note.made' ORDER BY id")
    assert [r[0] for r in events] == [f"{sent[0]['mutation_id']}.2", f"{sent[2]['mutation_id']}.2"]


def test_a_refused_mutation_leaves_no_statement_ahead_of_the_applied_ones(db):
    """Statements are stored in the order applied mutations first wrote them (a record
    before the rows that refer to it): one a refused mutation wrote first does not jump
    the queue."""
    admin = db.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1").fetchone()[0]
    batch = Batch(db, Caller(admin, "admin", "admin", None), datetime.now(UTC))
    batch.begin("refused", writes_now=False)
    batch.later("INSERT INTO steps", (1,))
    batch.drop_staged()
    batch.begin("applied", writes_now=False)
    batch.later("INSERT INTO records", (2,))
    batch.later("INSERT INTO steps", (3,))
    batch.keep_staged()
    assert list(batch.buffered.items()) == [
        ("INSERT INTO records", [(2,)]),
        ("INSERT INTO steps", [(3,)]),
    ]
