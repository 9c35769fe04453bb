"""The homes a push reads (patches, tenancies, markers in force) are kept for the next
push on the same connection only while they are still true (sync.protocol.homes): a
change made meanwhile, by any connection, is seen by the very next push."""

from datetime import date, timedelta

import pytest

from sync.protocol import homes
from sync.protocol.homes import Homes
from sync.store.db import write_transaction
from tests.phone import Outbox, home_of, push, visit


def version(db) -> int:
    return db.execute("SELECT homes_version FROM sync_state").fetchone()[0]


def test_a_home_moved_out_of_the_patch_is_refused_by_the_next_push(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    first = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert first["status"] == "applied"
    # The home moves to a patch officer1 never held, from another connection.
    other = db.execute(
        "SELECT p.id FROM patches p JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer2'"
    ).fetchone()[0]
    with write_transaction(db):
        db.execute("UPDATE patch_properties SET patch_id = ? WHERE uprn = ?", [other, uprn])
    second = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert second["status"] == "rejected" and second["code"] == "out-of-scope"


def test_a_marker_approved_between_pushes_flags_the_next_visit(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    first = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert "no-lone-visits" not in first["flags"]
    with write_transaction(db):
        db.execute(
            "INSERT INTO warning_markers (marker_ref, uprn, code, description, "
            "source_incident, start_date, review_date, imported_at, updated_at) VALUES "
            "('WM-T1', ?, 'no_lone_visits', 'Threats to staff.', 'INC-1', '2020-01-01', "
            "'2099-01-01', '2026-01-01', '2026-01-01')",
            [uprn],
        )
    second = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert second["status"] == "applied" and "no-lone-visits" in second["flags"]
    # Ended, it no longer flags.
    with write_transaction(db):
        db.execute("UPDATE warning_markers SET end_date = '2021-01-01' WHERE marker_ref = 'WM-T1'")
    third = push(client, as_user("officer1"), visit(Outbox(), uprn, ref))["results"][0]
    assert "no-lone-visits" not in third["flags"]


def test_a_new_tenancy_at_the_home_is_known_to_the_next_push(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    push(client, as_user("officer1"), visit(Outbox(), uprn, ref))
    unknown = push(client, as_user("officer1"), visit(Outbox(), uprn, "TEN-NEW-1"))["results"]
    assert unknown[0]["code"] == "unknown-tenancy"
    with write_transaction(db):
        db.execute(
            "INSERT INTO tenancies (tenancy_ref, uprn, tenure, start_date, weekly_rent, "
            "imported_at, updated_at) VALUES ('TEN-NEW-1', ?, 'secure', '2026-01-01', 100, "
            "'2026-01-01', '2026-01-01')",
            [uprn],
        )
    known = push(client, as_user("officer1"), visit(Outbox(), uprn, "TEN-NEW-1"))["results"]
    assert known[0]["status"] == "applied"


NEW_HOME = (
    "INSERT INTO properties (uprn, address_line_1, post_town, postcode, latitude, longitude, "
    "kind, imported_at, updated_at) VALUES (990000000001, '1 New Road', 'Town', 'BA1 1AA', "
    "51.3, -2.2, 'dwelling', '2026-01-01', '2026-01-01')"
)
CHANGES = {
    "a home built": NEW_HOME,
    "a home gone": [NEW_HOME, "DELETE FROM properties WHERE uprn = 990000000001"],
    "a home placed in a patch": (
        "INSERT INTO patch_properties (patch_id, uprn) SELECT max(p.id), :uprn FROM patches p "
        "WHERE p.id NOT IN (SELECT patch_id FROM patch_properties WHERE uprn = :uprn)"
    ),
    "a tenancy gone": [
        "INSERT INTO tenancies (tenancy_ref, uprn, tenure, start_date, weekly_rent, "
        "imported_at, updated_at) SELECT 'TEN-GONE', min(uprn), 'secure', '2026-01-01', 100, "
        "'2026-01-01', '2026-01-01' FROM properties",
        "DELETE FROM tenancies WHERE tenancy_ref = 'TEN-GONE'",
    ],
    "a marker raised": (
        "INSERT INTO warning_markers (marker_ref, uprn, code, description, source_incident, "
        "start_date, review_date, imported_at, updated_at) VALUES ('WM-T2', :uprn, "
        "'dangerous_animals', 'Dog.', 'INC-2', '2020-01-01', '2099-01-01', '2026-01-01', "
        "'2026-01-01')"
    ),
    "a marker withdrawn": "DELETE FROM warning_markers WHERE rowid = (SELECT min(rowid) FROM "
    "warning_markers)",
    # REPLACE deletes the marker whose ref it takes, and fires no DELETE trigger on a
    # connection without recursive triggers (sqlite-utils turns them on; a shell does not).
    "a marker's ref taken over by another's": [
        "PRAGMA recursive_triggers = OFF",
        *(
            "INSERT INTO warning_markers (marker_ref, uprn, code, description, source_incident, "
            f"start_date, review_date, imported_at, updated_at) SELECT '{ref}', min(uprn), "
            "'dangerous_animals', 'Dog.', 'INC-3', '2020-01-01', '2099-01-01', '2026-01-01', "
            "'2026-01-01' FROM properties"
            for ref in ("WM-T3", "WM-T4")
        ),
        "UPDATE OR REPLACE warning_markers SET marker_ref = 'WM-T4' WHERE marker_ref = 'WM-T3'",
    ],
    "a home placed in another patch": (
        "UPDATE patch_properties SET patch_id = "
        "(SELECT max(p.id) FROM patches p WHERE p.id != patch_id) WHERE uprn = :uprn"
    ),
    "a home taken out of its patch": "DELETE FROM patch_properties WHERE uprn = :uprn",
    "a tenancy moved to another home": (
        "UPDATE tenancies SET uprn = :uprn WHERE tenancy_ref = "
        "(SELECT tenancy_ref FROM tenancies WHERE uprn != :uprn LIMIT 1)"
    ),
    "a marker approved": (
        "UPDATE warning_markers SET status = 'approved' WHERE rowid = "
        "(SELECT rowid FROM warning_markers WHERE status != 'approved' LIMIT 1)"
    ),
    "a marker's end moved": (
        "UPDATE warning_markers SET end_date = '2000-01-01' WHERE rowid = "
        "(SELECT min(rowid) FROM warning_markers)"
    ),
}
UNCHANGED = {
    "a tenancy's account": "UPDATE tenancies SET current_snapshot_id = current_snapshot_id",
    "a tenancy's own fields": "UPDATE tenancies SET updated_at = '2026-12-01'",
    "a marker's wording": "UPDATE warning_markers SET description = description || '.'",
    "a tenancy saved as it was": "UPDATE tenancies SET uprn = uprn, tenancy_ref = tenancy_ref",
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_to_what_a_push_reads_counts(db, change):
    uprn, _ = home_of(db, "officer1")
    if change == "a marker approved":
        with write_transaction(db):
            db.execute("UPDATE warning_markers SET status = 'pending' WHERE rowid = 1")
    *setup, sql = CHANGES[change] if isinstance(CHANGES[change], list) else [CHANGES[change]]
    with write_transaction(db):
        for statement in setup:
            db.execute(statement)
    before = version(db)
    with write_transaction(db):
        assert db.execute(sql, {"uprn": uprn}).rowcount >= 1
    assert version(db) > before


@pytest.mark.parametrize("change", UNCHANGED)
def test_changes_to_what_a_push_does_not_read_do_not_count(db, change):
    before = version(db)
    with write_transaction(db):
        assert db.execute(UNCHANGED[change]).rowcount >= 1
    assert version(db) == before


def test_homes_are_kept_for_the_same_day_and_connection_only(db):
    uprn, _ = home_of(db, "officer1")
    today = date.today().isoformat()
    first = Homes(db, today)
    first.load([uprn])
    first.keep()
    assert Homes(db, today)._kept.get(uprn) == first.get(uprn)
    # Markers are in force by day: another day reads afresh.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert Homes(db, tomorrow)._kept == {}
    # What is no home is not kept: a phone cannot fill the connection with made-up UPRNs.
    nowhere = Homes(db, today)
    nowhere.load([999_999_999_001, 999_999_999_002])
    assert nowhere.get(999_999_999_001) is None
    nowhere.keep()
    assert 999_999_999_001 not in Homes(db, today)._kept
    # A push that changed the homes itself keeps nothing.
    with write_transaction(db):
        changed = Homes(db, today)
        changed.load([uprn])
        db.execute("DELETE FROM patch_properties WHERE uprn = ?", [uprn])
    changed.keep()
    assert Homes(db, today)._kept == {}


def test_a_connection_keeps_at_most_so_many_homes(db, monkeypatch):
    """A worker serving every patch starts again from its last push rather than hold the
    whole landlord."""
    monkeypatch.setattr(homes, "MAX_KEPT", 3)
    uprns = [r[0] for r in db.execute("SELECT uprn FROM properties ORDER BY uprn LIMIT 4")]
    today = date.today().isoformat()
    for pair in (uprns[:2], uprns[2:]):
        read = Homes(db, today)
        read.load(pair)
        read.keep()
    assert set(Homes(db, today)._kept) == set(uprns[2:])
