"""Configuration, the database's settings, and migrations."""

import gc
import runpy
from pathlib import Path

import pytest

from server.app import config_from_env, create_app
from sync import demo
from sync.store import changes
from sync.store.db import connect, migrate, open_database
from sync.store.migrations import migrations
from tests.conftest import before_migration


def test_refuses_to_start_without_a_secret_outside_testing(tmp_path):
    with pytest.raises(RuntimeError, match="DOORSTEP_SECRET_KEY"):
        create_app({"DATABASE": str(tmp_path / "x.db")})
    app = create_app({"DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": "s" * 32})
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_config_comes_from_doorstep_environment_variables():
    config = config_from_env(
        {
            "DOORSTEP_DATABASE": "/data/d.db",
            "DOORSTEP_SECRET_KEY": "k",
            "DOORSTEP_MAX_IMPORT_BYTES": "1000",
            "OTHER": "x",
        }
    )
    assert config == {"DATABASE": "/data/d.db", "SECRET_KEY": "k", "MAX_IMPORT_BYTES": 1000}


def test_database_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path):
    db = open_database(tmp_path / "d.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_foreign_keys_are_enforced(tmp_path):
    import sqlite3

    db = open_database(tmp_path / "d.db")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO tenancies (tenancy_ref, uprn, tenure, start_date, weekly_rent, "
            "imported_at, updated_at) VALUES ('T1', 42, 'secure', '2020-01-01', 90, "
            "'x', 'x')"
        )


def test_schema_comes_only_from_migrations_and_applies_once(tmp_path):
    db = connect(tmp_path / "d.db")
    assert db.table_names() == []
    applied = migrate(db)
    assert applied == [m.name for m in migrations._migrations]
    assert migrate(db) == []
    assert {
        "users",
        "patches",
        "properties",
        "tenancies",
        "account_snapshots",
        "warning_markers",
        "import_runs",
    } <= set(db.table_names())


def test_app_migrates_at_start_up(tmp_path):
    path = tmp_path / "fresh.db"
    create_app({"TESTING": True, "DATABASE": str(path)})
    assert migrations.pending(connect(path)) == []


def test_the_change_index_keeps_every_row_when_rekeyed_by_sequence(tmp_path):
    """Migration 0011 rebuilds the change index keyed by seq: nothing lost or reordered,
    and a record's later change still replaces its row (the upsert's target survives)."""
    db = connect(tmp_path / "d.db")
    migrations.apply(db, stop_before="m0011_change_index_by_seq")
    rows = [
        ("tenant", "P1", 100, 3, 0, 7, None),
        ("visit", "v-1", 100, 5, 0, None, None),
        ("plan", "9", None, 8, 1, None, 4),
    ]
    db.conn.executemany(
        "INSERT INTO sync_index (entity_type, entity_id, uprn, seq, deleted, "
        "origin_device_id, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.commit()
    assert migrate(db)[0] == "m0011_change_index_by_seq"
    columns = "entity_type, entity_id, uprn, seq, deleted, origin_device_id, owner_id"
    assert db.execute(f"SELECT {columns} FROM sync_index ORDER BY rowid").fetchall() == rows
    db.execute("UPDATE sync_state SET seq = 8")
    changes.touch(db, "tenant", "P1", 100)
    assert db.execute(f"SELECT {columns} FROM sync_index ORDER BY rowid").fetchall() == [
        rows[1],
        rows[2],
        ("tenant", "P1", 100, 9, 0, None, None),
    ]


def test_the_outbox_rebuild_keeps_every_event_and_its_deliveries(tmp_path):
    """Migration 0023 rebuilds the outbox (bodies may be absent, ``event_id`` unindexed):
    every event keeps its id, order and body, and its deliveries still name it."""
    db = connect(tmp_path / "d.db")
    migrations.apply(db, stop_before="m0023_outbox_rendered_events")
    events = [
        (4, "e-4", "visit.recorded", "v-1", '{"id":"e-4"}', "2026-11-01T00:00:00+00:00"),
        (9, "e-9", "repair.reported", "r-1", '{"id":"e-9"}', "2026-11-02T00:00:00+00:00"),
    ]
    db.conn.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)", events)
    db.conn.execute(
        "INSERT INTO deliveries (outbox_id, target, status, next_attempt_at) "
        "VALUES (9, 'repairs', 'pending', '2026-11-02T00:00:00+00:00')"
    )
    db.conn.commit()
    assert migrate(db)[0] == "m0023_outbox_rendered_events"
    assert db.execute("SELECT * FROM outbox ORDER BY id").fetchall() == events
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    joined = "SELECT o.event_id FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
    assert db.execute(joined).fetchall() == [("e-9",)]
    # An event deleted finds its deliveries by index, not by reading them all.
    plan = db.execute("EXPLAIN QUERY PLAN SELECT 1 FROM deliveries WHERE outbox_id = 9")
    assert "deliveries_outbox" in plan.fetchall()[0][3]
    db.execute(
        "INSERT INTO outbox (event_id, topic, entity_id, created_at) VALUES "
        "('e-4', 'visit.recorded', 'v-2', '2026-11-03T00:00:00+00:00')"
    )


def test_malformed_mutations_get_their_device_seq_back(tmp_path):
    """Migration 0025: a malformed mutation stored without its (good) device_seq gets it
    from what the phone sent, and its device's acknowledged_seq moves past it; a number
    that was never good stays out, and no device's sequence moves back."""
    db = before_migration(tmp_path / "d.db", "m0025_malformed_device_seq", acknowledged=(1, 7))
    rows = [
        (1, 1, 1, "applied", '{"device_seq": 1}'),
        (2, 1, None, "rejected", '{"device_seq": 2, "observed_at": "2026-11-25T10:00:00"}'),
        (3, 1, 3, "applied", '{"device_seq": 3}'),
        (4, 1, None, "rejected", '{"device_seq": "5"}'),
        (5, 1, None, "rejected", '{"device_seq": 0}'),
        (6, 1, None, "rejected", '{"mutation": [1]}'),
        (7, 2, None, "rejected", '{"device_seq": 2}'),
    ]
    for row_id, device, seq, status, body in rows:
        db.execute(
            "INSERT INTO mutations (id, mutation_id, device_id, user_id, device_seq, "
            "received_at, content_hash, body, status, result) "
            "VALUES (?, ?, ?, 1, ?, 'now', 'h', ?, ?, '{}')",
            [row_id, f"m{row_id}", device, seq, body, status],
        )
    db.conn.commit()
    assert migrate(db)[0] == "m0025_malformed_device_seq"
    seqs = db.execute("SELECT id, device_seq FROM mutations ORDER BY id").fetchall()
    assert seqs == [(1, 1), (2, 2), (3, 3), (4, None), (5, None), (6, None), (7, 2)]
    acknowledged = db.execute("SELECT id, acknowledged_seq FROM devices ORDER BY id").fetchall()
    assert acknowledged == [(1, 3), (2, 7)]


def test_commits_are_durable_whatever_the_build_default(tmp_path, monkeypatch):
    """An acknowledged mutation must survive a power loss: the connection asks for
    synchronous=FULL itself rather than trusting the build (some default to NORMAL in WAL
    mode, which may lose the last commits)."""
    import sqlite3

    from sync.store import db as store

    said, real_connect = [], sqlite3.connect

    def traced(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(said.append)
        return conn

    monkeypatch.setattr(store.sqlite3, "connect", traced)
    db = connect(tmp_path / "d.db")
    assert "PRAGMA synchronous = FULL" in said
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_responses_are_dumped_by_orjson_with_flasks_content(tmp_path):
    """orjson writes API responses (UTF-8, not escapes); what Flask wrote for dates stays,
    and what orjson cannot write (an integer past 64 bits) is still answered."""
    from datetime import date, datetime

    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "d.db")})
    with app.app_context():
        given = {"name": "Zoë", 7: [1.5, None], "day": date(2026, 1, 2)}
        given["at"] = datetime(2026, 1, 2, 3, 4, 5)
        body = app.json.response(given).get_data()
        assert (
            body
            == (
                '{"name":"Zoë","7":[1.5,null],"day":"Fri, 02 Jan 2026 00:00:00 GMT",'
                '"at":"Fri, 02 Jan 2026 03:04:05 GMT"}\n'
            ).encode()
        )
        assert app.json.response({"big": 2**70}).get_json() == {"big": 2**70}


def test_each_thread_keeps_one_connection_and_requests_pay_no_checkpoint(db_path, as_user):
    """A worker's connection is opened once and kept, so a request no longer ends in the
    checkpoint that closing the last connection makes (the WAL stays for SQLite's own
    checkpoints); another thread gets a connection of its own."""
    import threading
    from pathlib import Path

    from server.context import db

    app = create_app({"TESTING": True, "DATABASE": str(db_path)})
    seen = []
    app.before_request(lambda: seen.append((threading.get_ident(), db())))
    client = app.test_client()
    assert client.get("/me", headers=as_user("officer1")).status_code == 200
    signed_in = {"username": "officer1", "password": demo.DEMO_PASSWORD, "device_name": "x"}
    assert client.post("/auth/login", json=signed_in).status_code == 201
    other = threading.Thread(target=lambda: app.test_client().get("/healthz"))
    other.start()
    other.join()
    (mine, first), (_, second), (theirs, third) = seen
    assert first is second and mine != theirs and third is not first
    assert not first.conn.in_transaction
    wal = Path(f"{db_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the login wrote; nobody checkpointed


def test_a_worker_hides_the_loaded_app_from_the_cycle_collector():
    """gunicorn's post_worker_init freezes what the loaded app made, so the collector's
    full passes (70 ms over a worker's objects) no longer walk it."""
    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_processes_starting_at_once_migrate_once(tmp_path):
    """Found by probing: gunicorn's workers, started on a database with a migration
    pending, both applied it; the second failed recording it, and a worker that fails to
    boot stops gunicorn. Eight processes open a new database at once, every migration
    pending: one migrates, the others wait for it, and each migration is recorded once."""
    import subprocess
    import sys

    path = tmp_path / "d.db"
    code = "import sys; from sync.store.db import open_database; open_database(sys.argv[1])"
    root = Path(__file__).resolve().parent.parent
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            cwd=root,
            env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    failures = []
    for proc in procs:
        code = proc.wait(timeout=120)
        said = proc.stderr.read()
        proc.stderr.close()
        if code:
            failures.append(said[-500:])
    assert failures == []
    db = connect(path)
    names = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")]
    alone = open_database(tmp_path / "alone.db")
    expected = [r[0] for r in alone.execute("SELECT name FROM _sqlite_migrations")]
    assert sorted(names) == sorted(expected) and migrations.pending(db) == []


def test_doorstep_opens_no_descriptor_of_the_database_file_beside_sqlite(tmp_path):
    """Closing any descriptor of a database file drops the POSIX locks SQLite holds on it
    in that process, and two writers then corrupt it (found when a benchmark's database
    went "malformed": the in-use lock had been taken on the database file itself). What
    Doorstep locks is a file beside it; a connection holds the database file only through
    SQLite."""
    import sqlite3

    path = tmp_path / "d.db"
    open_database(path).close()

    def descriptors() -> int:
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if fd.resolve() == path.resolve())

    raw = sqlite3.connect(str(path))
    raw.execute("SELECT 1").fetchall()
    sqlite_alone = descriptors()
    raw.close()
    db = connect(path)
    db.execute("SELECT 1").fetchall()
    assert descriptors() == sqlite_alone
    assert (tmp_path / "d.db.open").exists()  # what is locked instead
    db.close()


def test_a_restore_has_the_database_alone_until_the_swap(tmp_path):
    """Found in review: restore checked that nobody had the database open, then let go,
    and a server restarted meanwhile would have written to the file it then replaced.
    While a process has the database alone, ``connect`` waits; while anyone has it open,
    having it alone is refused."""
    import os
    import threading

    from sync.store.db import InUse, alone

    path = tmp_path / "d.db"
    open_database(path).close()
    opened = threading.Event()
    with alone(path):
        waiting = threading.Thread(target=lambda: (connect(path).close(), opened.set()))
        waiting.start()
        assert not opened.wait(0.5)  # it waits for the swap
    assert opened.wait(10)
    waiting.join()
    db = connect(path)
    with pytest.raises(InUse), alone(path):
        pass
    db.close()
    # Lock files any user of the database can open, whoever made them and whatever the umask.
    old = os.umask(0o077)
    try:
        connect(tmp_path / "e.db").close()
    finally:
        os.umask(old)
    assert (tmp_path / "e.db.open").stat().st_mode & 0o777 == 0o644
