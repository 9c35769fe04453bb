"""Who may download a photo. A photo's hash travels in records, the pull feed and webhook
payloads, so knowing it proves nothing: a photo is readable by those who uploaded its
bytes, and by anyone who may see a record naming it that one of them made."""

import hashlib
import uuid

import pytest

from sync.access.scope import Caller
from sync.errors import NotFound
from sync.records import blobs
from sync.store.db import connect, migrate
from sync.store.migrations import migrations
from tests.conftest import assert_problem
from tests.phone import Outbox, Phone, home_of, push

# A tiny JPEG header and some bytes: the server checks the type by the first bytes only.
PHOTO = bytes.fromhex("ffd8ffe000104a464946") + b"damp in the back bedroom"
SHA = hashlib.sha256(PHOTO).hexdigest()


def _record(kind: str, uprn: int, ref: str) -> dict:
    if kind == "visit":
        payload = {"tenancy_ref": ref, "channel": "home_visit", "outcome": "contact_made"}
    else:
        payload = {
            "location": "Bedroom",
            "category": "damp_mould",
            "hazard_class": "routine",
            "description": "Mould.",
        }
    payload |= {"uprn": uprn, "photos": [SHA]}
    return Outbox().make(kind, str(uuid.uuid4()), "create", payload)


def _pushed(client, as_user, username: str, record: dict) -> dict:
    (result,) = push(client, as_user(username), record)["results"]
    assert result["status"] == "applied", result
    return result


def _reads(client, as_user, username: str) -> bool:
    response = client.get(f"/blobs/{SHA}", headers=as_user(username))
    if response.status_code == 200:
        assert response.data == PHOTO
        response.close()
        return True
    assert_problem(response, 404)
    return False


def _missing(client, as_user, username: str) -> list[str]:
    listed = client.get("/blobs/missing", headers=as_user(username)).get_json()
    return [row["sha256"] for row in listed]


def test_the_uploader_and_those_who_may_see_their_records_read_the_photo(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    _pushed(client, as_user, "officer1", _record("visit", uprn, ref))
    _pushed(client, as_user, "officer1", _record("repair", uprn, ref))
    assert client.put(f"/blobs/{SHA}", data=PHOTO, headers=as_user("officer1")).status_code == 200
    assert _reads(client, as_user, "officer1")
    assert _reads(client, as_user, "leader1")  # sees officer1's visit and repair
    assert _reads(client, as_user, "repairs1")  # sees the repair (not the visit)
    # No record of theirs, none they may see: nothing.
    for stranger in ("officer2", "officer4", "leader2"):
        assert not _reads(client, as_user, stranger)


def test_naming_someone_elses_photo_in_ones_own_record_grants_nothing(client, as_user, tokens, db):
    """officer4 (the other team) learns officer1's photo's hash and names it in its own
    visit and repair: that proves nothing about holding the bytes, so it reads nothing,
    nor do those who may see its records, and the photo is missing for it."""
    uprn, ref = home_of(db, "officer1")
    _pushed(client, as_user, "officer1", _record("visit", uprn, ref))
    assert client.put(f"/blobs/{SHA}", data=PHOTO, headers=as_user("officer1")).status_code == 200

    home4, ref4 = home_of(db, "officer4")
    phone = Phone(client, tokens["officer4"])
    phone.sync()
    visit = _pushed(client, as_user, "officer4", _record("visit", home4, ref4))
    repair_record = _record("repair", home4, ref4)
    repair = push(client, as_user("officer4"), repair_record, cursor=phone.cursor)["results"][0]
    # Missing for officer4 until its phone uploads its own copy: the answer does not
    # say whether someone else has uploaded these bytes.
    assert visit["missing_photos"] == [SHA] and repair["missing_photos"] == [SHA]
    assert _missing(client, as_user, "officer4") == [SHA, SHA]
    assert _missing(client, as_user, "officer1") == []
    phone.sync()
    key = ("repair", repair_record["entity_id"])
    assert phone.store[key]["missing_photos"] == [SHA]
    for username in ("officer4", "leader2", "repairs1"):
        assert not _reads(client, as_user, username), username
    assert _reads(client, as_user, "officer1") and _reads(client, as_user, "leader1")

    # officer4 really has the bytes and uploads them: the hash proves it holds them.
    put = client.put(f"/blobs/{SHA}", data=PHOTO, headers=as_user("officer4"))
    assert put.status_code == 200 and put.get_json()["created"] is False
    for username in ("officer4", "leader2", "repairs1"):
        assert _reads(client, as_user, username), username
    assert _missing(client, as_user, "officer4") == []
    assert phone.sync() == 1  # the repair's missing photos changed for phones holding it
    assert phone.store[key]["missing_photos"] == []
    assert not _reads(client, as_user, "officer2")


def test_photos_uploaded_before_uploaders_were_kept_stay_with_who_uploaded_them(tmp_path):
    """Migration 0013: each photo's one recorded uploader becomes its uploader, and each
    record's author is taken from the create that made it. A record naming a photo its
    author never uploaded (officer4's, here) shows it missing to that author and grants
    nothing, until the author's phone uploads its own copy."""
    db = connect(tmp_path / "d.db")
    migrations.apply(db, stop_before="m0013_blob_uploaders")
    now = "2026-01-05T10:00:00+00:00"
    for user_id, name in ((1, "officer1"), (4, "officer4")):
        db.execute(
            "INSERT INTO users (id, username, display_name, role, password_hash, "
            "password_changed_at, created_at, updated_at) "
            "VALUES (?, ?, ?, 'officer', 'x', ?, ?, ?)",
            [user_id, name, name, now, now, now],
        )
        db.execute(
            "INSERT INTO devices (id, user_id, name, token_hash, created_at) "
            "VALUES (?, ?, 'phone', ?, ?)",
            [user_id, user_id, f"token{user_id}", now],
        )
    for n, (user_id, visit_id) in enumerate(((1, "v-1"), (4, "v-4"), (4, "v-rejected"))):
        status = "rejected" if visit_id == "v-rejected" else "applied"
        db.execute(
            "INSERT INTO mutations (mutation_id, device_id, user_id, entity_type, entity_id, "
            "op, received_at, content_hash, body, status, result) "
            "VALUES (?, ?, ?, 'visit', ?, 'create', ?, 'h', '{}', ?, '{}')",
            [f"m{n}", user_id, user_id, visit_id, now, status],
        )
        db.execute(
            "INSERT INTO record_blobs (entity_type, entity_id, sha256) VALUES ('visit', ?, ?)",
            [visit_id, SHA],
        )
    db.execute(
        "INSERT INTO blobs (sha256, size, content_type, uploaded_by, uploaded_at) "
        "VALUES (?, 1, 'image/jpeg', 1, ?)",
        [SHA, now],
    )
    db.conn.commit()
    assert migrate(db)[0] == "m0013_blob_uploaders"
    assert db.execute("SELECT sha256, user_id FROM blob_uploaders").fetchall() == [(SHA, 1)]
    assert db.execute(
        "SELECT entity_id, author_id FROM record_blobs ORDER BY entity_id"
    ).fetchall() == [("v-1", 1), ("v-4", 4), ("v-rejected", None)]
    officer1, officer4 = (Caller(n, f"officer{n}", "officer", None) for n in (1, 4))
    assert blobs.missing_for(db, officer1) == []
    assert blobs.missing_for(db, officer4) == [
        {"entity_type": "visit", "entity_id": "v-4", "sha256": SHA}
    ]
    tmp_path.joinpath("blobs", SHA[:2]).mkdir(parents=True)
    tmp_path.joinpath("blobs", SHA[:2], SHA).write_bytes(PHOTO)
    assert blobs.open_blob(db, tmp_path / "blobs", officer1, SHA, lambda kind, ident: False)
    with pytest.raises(NotFound):  # v-4 grants nothing, even to one who may see it
        blobs.open_blob(db, tmp_path / "blobs", officer4, SHA, lambda kind, ident: ident == "v-4")
