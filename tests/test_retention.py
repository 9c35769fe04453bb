"""Retention (doorstep purge) and subject access exports."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from sync import retention
from sync.access.scope import Caller
from sync.casework import days
from sync.clock import london_today
from sync.protocol.resends import digest
from sync.push import push as push_batch
from sync.retention import REDACTED, Periods, purge
from sync.store.db import migrate
from tests.conftest import assert_problem, before_migration
from tests.phone import Outbox, Phone, ended_tenancy_of, home_of, push, server_view


def _ended_tenancy(db):
    return db.execute(
        "SELECT tenancy_ref, uprn, end_date FROM tenancies WHERE end_date IS NOT NULL "
        "ORDER BY end_date LIMIT 1"
    ).fetchone()


def test_purge_deletes_what_is_past_retention_and_phones_drop_it(db, client, tokens):
    ref, _, ended = _ended_tenancy(db)
    phone = Phone(client, tokens["admin"])
    phone.sync()
    assert ("tenancy", ref) in phone.store
    snapshots = db.execute("SELECT count(*) FROM account_snapshots").fetchone()[0]
    # A day after the tenancy ended, with closed records kept for a day.
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    periods = Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1, outbox_days=90)
    history = {
        table: db.execute(
            f"SELECT count(*) FROM {table} WHERE tenancy_ref IN (SELECT tenancy_ref FROM "
            "tenancies WHERE end_date IS NOT NULL AND end_date < ?)",
            [(now - timedelta(days=1)).date().isoformat()],
        ).fetchone()[0]
        for table in ("account_snapshots", "rent_transactions", "letters", "breathing_spaces")
    }
    counted = purge(db, periods, now=now, dry_run=True)
    assert counted["tenancies"] >= 1
    # Found by probing: the tenancies' own snapshots, transactions, letters and spaces
    # were deleted but counted as none.
    assert {table: counted[table] for table in history} == history
    assert history["account_snapshots"] > 0
    assert db.execute("SELECT 1 FROM tenancies WHERE tenancy_ref = ?", [ref]).fetchone()
    done = purge(db, periods, now=now)
    assert done == counted
    assert not db.execute("SELECT 1 FROM tenancies WHERE tenancy_ref = ?", [ref]).fetchone()
    assert not db.execute("SELECT 1 FROM tenants WHERE tenancy_ref = ?", [ref]).fetchone()
    assert db.execute("SELECT count(*) FROM account_snapshots").fetchone()[0] < snapshots
    phone.sync()
    assert ("tenancy", ref) not in phone.store
    # History past its period goes, but every tenancy keeps its current account.
    purge(db, Periods(snapshot_days=0, audit_days=0, closed_days=10_000))
    assert (
        db.execute(
            "SELECT count(*) FROM tenancies t WHERE current_snapshot_id IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM account_snapshots s WHERE s.id = t.current_snapshot_id)"
        ).fetchone()[0]
        == 0
    )
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_a_letter_to_a_purged_tenant_of_another_tenancy_stays_addressed_to_no_one(db):
    """Found by probing: a letter of one tenancy addressed to a tenant of another (a tenant
    who moved, or stored before the import checked it) made that tenancy's purge fail on
    the foreign key, every night, so nothing was ever purged."""
    ref, _, ended = _ended_tenancy(db)
    person = db.execute("SELECT person_ref FROM tenants WHERE tenancy_ref = ?", [ref]).fetchone()
    other = db.execute("SELECT tenancy_ref FROM tenancies WHERE end_date IS NULL").fetchone()[0]
    db.execute(
        "INSERT INTO letters (letter_ref, tenancy_ref, person_ref, sent_on, type, "
        "imported_at, updated_at) "
        "VALUES ('L-MOVED', ?, ?, '2026-01-05', 'arrears_letter', '2026-01-06', '2026-01-06')",
        [other, person[0]],
    )
    db.conn.commit()
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    purge(db, Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1), now=now)
    assert not db.execute("SELECT 1 FROM tenancies WHERE tenancy_ref = ?", [ref]).fetchone()
    kept = db.execute("SELECT tenancy_ref, person_ref FROM letters WHERE letter_ref = 'L-MOVED'")
    assert kept.fetchone() == (other, None)


SEEN = "Bruising on her arm; said her ex-partner 7c2e calls at night"


def _concern(uprn, ref):
    return {
        "uprn": uprn,
        "tenancy_ref": ref,
        "category": "domestic_abuse",
        "subjects": ["Tenant", "Ex-partner 5d81"],
        "immediate_danger": False,
        "seen": SEEN,
        "referred_to": "MARAC 9a3f",
    }


def test_a_subject_access_export_gathers_everything_and_is_audited(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    person = db.execute(
        "SELECT person_ref FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()[0]
    phone = Outbox()
    visit = {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made"}
    push(
        client,
        as_user("officer1"),
        phone.make("visit", str(uuid.uuid4()), "create", visit),
        phone.make("concern", str(uuid.uuid4()), "create", _concern(uprn, ref)),
    )
    tomorrow = (london_today() + timedelta(days=1)).isoformat()
    planned = client.post(
        "/plans", json={"date": tomorrow, "must_visit": [uprn]}, headers=as_user("officer1")
    )
    assert planned.status_code == 201, planned.get_json()
    export = client.get(f"/tenants/{person}/export", headers=as_user("admin"))
    assert export.status_code == 200
    body = export.get_json()
    assert body["tenant"]["person_ref"] == person and body["tenancy"]["tenancy_ref"] == ref
    assert body["rent_account_history"] and body["contact_records"]
    # Every section held is in the answer: found by probing, the answer's schema had
    # dropped the tenancy's transactions, letters and Breathing Spaces.
    held = retention._held_about(db, person)
    assert set(held) <= set(body)
    for section in ("rent_transactions", "letters", "breathing_spaces"):
        assert len(body[section]) == len(held[section]), section
    assert body["rent_transactions"], "the demo tenancy has a rent history"
    assert [c["category"] for c in body["safeguarding_concerns"]] == ["domestic_abuse"]
    # What the phone pushed, as sent: the copies purge clears with the tenancy.
    pushed = {r["entity_type"]: r for r in body["pushed_records"]}
    assert pushed["visit"]["body"]["payload"]["outcome"] == "contact_made"
    [stop] = body["visit_plans"]
    assert stop["plan_id"] == planned.get_json()["id"] and stop["uprn"] == uprn
    assert all(r["tenancy_ref"] == ref for r in stop["reasons"])
    json.dumps(body)
    audit = client.get("/audit?entity_type=tenant", headers=as_user("admin")).get_json()
    assert any(
        e["action"] == "subject-export" and e["entity_ids"] == [person] for e in audit["items"]
    )
    assert_problem(client.get(f"/tenants/{person}/export", headers=as_user("leader1")), 403)
    assert_problem(client.get("/tenants/NOBODY/export", headers=as_user("admin")), 404)


def test_only_a_safeguarding_lead_exports_what_a_concern_says(client, as_user, db):
    """An admin (403 on /concerns) gets a subject access export that says concerns exist,
    never what they say, whom they are about or who raised them; a safeguarding lead's
    export has them in full (and nothing of the rent account), and is audited as a read
    of each concern. Other roles export nothing."""
    uprn, ref = home_of(db, "officer1")
    person = db.execute(
        "SELECT person_ref FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()[0]
    concern_id = str(uuid.uuid4())
    phone = Outbox()
    made = phone.make("concern", concern_id, "create", _concern(uprn, ref))
    results = push(client, as_user("officer1"), made)
    assert results["results"][0]["status"] == "applied"
    assert_problem(client.get("/concerns", headers=as_user("admin")), 403)

    admin = client.get(f"/tenants/{person}/export", headers=as_user("admin"))
    assert admin.status_code == 200
    body = admin.get_json()
    text = json.dumps(body)
    for secret in ("Bruising", "7c2e", "5d81", "9a3f", "officer1"):
        assert secret not in text, secret
    [listed] = body["safeguarding_concerns"]
    assert set(listed) == {"id", "category", "raised_on"}
    assert listed["id"] == concern_id and listed["category"] == "domestic_abuse"
    assert not any(r["entity_type"] == "concern" for r in body["pushed_records"])
    assert body["rent_account_history"]
    [held_back] = body["withheld"]
    assert held_back["released_by"] == "safeguarding_lead"
    assert "safeguarding_concerns" in held_back["sections"]

    lead = client.get(f"/tenants/{person}/export", headers=as_user("safeguarding1"))
    assert lead.status_code == 200
    body = lead.get_json()
    [concern] = body["safeguarding_concerns"]
    assert concern["id"] == concern_id and concern["seen"] == SEEN
    [pushed] = body["pushed_records"]
    assert pushed["body"]["payload"]["seen"] == SEEN
    # Not a finance role: the rest of the export is the admin's to release.
    assert "rent_account_history" not in body and "contact_records" not in body
    [held_back] = body["withheld"]
    assert held_back["released_by"] == "admin"
    assert "rent_account_history" in held_back["sections"]

    entries = client.get("/audit", headers=as_user("admin")).get_json()["items"]
    lead_id = db.execute("SELECT id FROM users WHERE username = 'safeguarding1'").fetchone()[0]
    admin_id = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    reads = [e for e in entries if e["action"] == "read" and e["entity_type"] == "concern"]
    assert [(e["user_id"], e["entity_ids"]) for e in reads] == [(lead_id, [concern_id])]
    exports = [e for e in entries if e["action"] == "subject-export"]
    assert [(e["user_id"], e["entity_ids"]) for e in exports] == [
        (admin_id, [person]),
        (lead_id, [person]),
    ]
    for role_user in ("officer1", "leader1", "repairs1"):
        assert_problem(client.get(f"/tenants/{person}/export", headers=as_user(role_user)), 403)


def test_purge_leaves_no_copy_behind_and_old_sends_stay_duplicates(db, client, as_user):
    """What phones pushed about a closed tenancy (a visit's notes, a tenant's new email,
    a conflict over it), its outbox events and an old day plan naming it: none of their
    text survives the purge, yet the same mutations sent again are duplicates."""
    ref, uprn, ended = _ended_tenancy(db)
    officer, officer_id = db.execute(
        "SELECT u.username, u.id FROM patch_properties pp JOIN patches p ON p.id = pp.patch_id "
        "JOIN users u ON u.id = p.officer_id WHERE pp.uprn = ?",
        [uprn],
    ).fetchone()
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()
    note = "Said her ex-partner calls at night"
    email, other = "purge-check-3f9@example.com", "purge-check-7c1@example.com"
    phone = Outbox()
    visit = {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made", "notes": note}
    sent = [
        phone.make("visit", str(uuid.uuid4()), "create", visit),
        phone.make("tenant", person, "update", {"email": email}, base_version=version),
        phone.make("tenant", person, "update", {"email": other}, base_version=version),
    ]
    first = push(client, as_user(officer), *sent)["results"]
    assert [r["status"] for r in first] == ["applied", "applied", "conflict"], first
    # A day plan from while the tenancy ran, with its home as a stop.
    day = date.fromisoformat(ended) - timedelta(days=1)
    admin = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    request = {"officer_id": officer_id, "date": day, "must_visit": [uprn]}
    plan = days.plan_day(db, Caller(admin, "admin", "admin", None), request)
    assert any(ref in s["tenancy_refs"] for s in plan["stops"])
    dump = "\n".join(db.iterdump())
    assert note in dump and email in dump and other in dump and f'"{ref}"' in dump

    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    periods = Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1, outbox_days=90)
    counted = purge(db, periods, now=now, dry_run=True)
    assert purge(db, periods, now=now) == counted
    assert counted["mutation_payloads"] >= 3 and counted["conflicts"] >= 1
    assert counted["plans"] >= 1 and counted["outbox_events"] >= 1
    dump = "\n".join(db.iterdump())
    for text in (note, email, other):
        assert text not in dump
    assert not db.execute("SELECT 1 FROM plans WHERE instr(body, ?)", [ref]).fetchone()

    # The mutations are still known: sent again, each is a duplicate, nothing re-applied.
    again = push(client, as_user(officer), *sent)["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert [r["original"]["status"] for r in again] == ["applied", "applied", "conflict"]
    assert again[2]["original"]["conflicts"][0]["field"] == "email"
    assert not db.execute("SELECT 1 FROM tenants WHERE person_ref = ?", [person]).fetchone()
    assert not db.execute("SELECT 1 FROM visits WHERE id = ?", [sent[0]["entity_id"]]).fetchone()
    assert email not in "\n".join(db.iterdump())
    # Only the content's digest is left of the payload, and it still tells content apart.
    changed = dict(sent[0], payload=visit | {"notes": "Other words"})
    [refused] = push(client, as_user(officer), changed)["results"]
    assert refused["code"] == "mutation-id-reused", refused


def test_records_kept_after_a_purge_name_no_tenancy_on_phones(
    db, db_path, client, as_user, tokens, today
):
    """A repair naming a purged tenancy is kept with no tenancy, on phones too (found in
    review: the server nulled its tenancy_ref without renumbering it)."""
    ref, uprn, ended = ended_tenancy_of(db, "officer1")
    phone = Phone(client, tokens["officer1"])
    phone.sync()
    payload = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "location": "Kitchen",
        "category": "damp_mould",
        "hazard_class": "routine",
        "description": "Mould.",
    }
    repair = Outbox().make("repair", str(uuid.uuid4()), "create", payload)
    assert push(client, as_user("officer1"), repair)["results"][0]["status"] == "applied"
    phone.sync()
    assert phone.store[("repair", repair["entity_id"])]["tenancy_ref"] == ref
    now = datetime.fromisoformat(ended).replace(tzinfo=UTC) + timedelta(days=2)
    purge(db, Periods(snapshot_days=10_000, audit_days=10_000, closed_days=1), now=now)
    phone.sync()
    assert phone.store[("repair", repair["entity_id"])]["tenancy_ref"] is None
    assert phone.store == server_view(db_path, "officer1", today)


def test_the_content_hash_is_kept_only_where_a_resend_needs_it(tmp_path):
    """Migration 0026: pushes stop hashing every mutation (a resend is compared with what
    was sent), so the hash goes from a short copy; a long one, and one whose payload was
    purged, keep theirs. Each resent is still a duplicate, and other content is refused."""
    db = before_migration(tmp_path / "d.db", "m0026_content_hash_when_needed")
    sent = [
        {
            "mutation_id": str(uuid.uuid4()),
            "device_seq": seq,
            "entity_type": "visit",
            "entity_id": str(uuid.uuid4()),
            "op": "create",
            "base_version": None,
            "observed_at": "2026-11-25T10:00:00+00:00",
            "payload": {"uprn": 1, "outcome": "no_access", "notes": notes},
        }
        for seq, notes in ((1, "Card left"), (2, "Card left again"), (3, "x" * 20_000))
    ]
    purged = {k: v for k, v in sent[0].items() if k != "payload"}
    purged |= {"payload": REDACTED, "redacted_at": "2026-12-01T00:00:00+00:00"}
    bodies = (purged, sent[1], sent[2])
    for row_id, (m, body) in enumerate(zip(sent, bodies, strict=True), start=1):
        db.execute(
            "INSERT INTO mutations (id, mutation_id, device_id, user_id, device_seq, "
            "entity_type, entity_id, op, received_at, content_hash, body, status, result) "
            "VALUES (?, ?, 1, 1, ?, 'visit', ?, 'create', 'now', ?, ?, 'applied', ?)",
            [
                row_id,
                m["mutation_id"],
                m["device_seq"],
                m["entity_id"],
                digest(m),
                json.dumps(body),
                json.dumps({"status": "applied", "flags": []}),
            ],
        )
    db.conn.commit()
    assert migrate(db)[0] == "m0026_content_hash_when_needed"
    kept = db.execute("SELECT content_hash FROM mutations ORDER BY id").fetchall()
    assert kept == [(digest(sent[0]),), (None,), (digest(sent[2]),)]
    changed = [dict(m, device_seq=m["device_seq"] + 3, payload={"uprn": 1}) for m in sent]
    caller = Caller(1, "o", "officer", 1, device_id=1)
    results = push_batch(db, caller, [*sent, *changed])["results"]
    assert [r["status"] for r in results[:3]] == ["duplicate"] * 3, results
    assert [r.get("code") for r in results[3:]] == ["mutation-id-reused"] * 3, results
