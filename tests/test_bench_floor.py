"""The benchmark's floor is what a push writes: read from the database, not hand-listed."""

import shutil

from bench.floor import grow, written
from bench.sync import _caller, a_day, homes_and_tenants
from sync import push
from sync.store.db import open_database

STATE = {
    "mutations": "SELECT id, mutation_id, entity_id, status FROM mutations ORDER BY id",
    "visits": "SELECT id, uprn, notes, mutation_id FROM visits ORDER BY id",
    "sync_index": "SELECT seq, entity_type, entity_id, uprn FROM sync_index ORDER BY seq",
    "outbox": "SELECT id, event_id, topic, entity_id FROM outbox ORDER BY id",
    "tenants": "SELECT person_ref, mobile, version FROM tenants ORDER BY person_ref",
    "versions": "SELECT entity_id, field, version FROM field_versions ORDER BY 1, 2",
    "seq": "SELECT seq FROM sync_state",
}


def state(db) -> dict:
    return {name: db.execute(sql).fetchall() for name, sql in STATE.items()}


def test_the_floor_writes_what_the_push_writes_and_the_capture_leaves_nothing(db_path, tmp_path):
    pushed_path = tmp_path / "pushed.db"
    shutil.copyfile(db_path, pushed_path)
    db, pushed = open_database(db_path), open_database(pushed_path)
    homes, tenants = homes_and_tenants(db, "officer1")
    batch = a_day(homes, tenants, 40, tag="floor")
    caller = _caller(db, "officer1")
    before = state(db)
    floor = written(db, lambda: push.push(db, caller, batch))
    assert state(db) == before  # the capture was rolled back
    assert {sql.split('"')[1] for sql, _ in floor.statements} >= {
        "mutations",
        "visits",
        "sync_index",
        "outbox",
        "tenants",
    }
    floor.replay(db)
    push.push(pushed, caller, batch)
    assert state(db) == state(pushed)


def test_a_grown_database_gets_fresh_keys_in_arrival_order(db):
    homes, tenants = homes_and_tenants(db, "officer1")
    caller = _caller(db, "officer1")
    template = written(db, lambda: push.push(db, caller, a_day(homes, tenants, 20, tag="t")))
    logged = db.execute("SELECT count(*), max(id) FROM mutations").fetchone()
    grow(db, [template], 100, 20)
    after = db.execute("SELECT count(*), count(DISTINCT mutation_id) FROM mutations").fetchone()
    assert after == (logged[0] + 100, logged[0] + 100)
    ids = [r[0] for r in db.execute("SELECT id FROM mutations WHERE id > ?", [logged[1] or 0])]
    assert ids == sorted(ids) and len(ids) == 100
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert (
        db.execute("SELECT seq FROM sync_state").fetchone()[0]
        == db.execute("SELECT max(seq) FROM sync_index").fetchone()[0]
    )
