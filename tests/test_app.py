"""Configuration, the database's settings, and migrations."""

import pytest

from server.app import config_from_env, create_app
from sync.store import changes
from sync.store.db import connect, migrate, open_database
from sync.store.migrations import migrations


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
