"""Retention (doorstep purge) and subject access exports."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from sync.retention import Periods, purge
from tests.conftest import assert_problem
from tests.phone import Outbox, Phone, home_of, push


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
    counted = purge(db, periods, now=now, dry_run=True)
    assert counted["tenancies"] >= 1
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


def test_a_subject_access_export_gathers_everything_and_is_audited(client, as_user, db):
    uprn, ref = home_of(db, "officer1")
    person = db.execute(
        "SELECT person_ref FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
    ).fetchone()[0]
    phone = Outbox()
    concern = {"uprn": uprn, "tenancy_ref": ref, "category": "domestic_abuse",
               "subjects": ["Tenant"], "immediate_danger": False, "seen": "Bruising"}  # fmt: skip
    visit = {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made"}
    push(
        client,
        as_user("officer1"),
        phone.make("visit", str(uuid.uuid4()), "create", visit),
        phone.make("concern", str(uuid.uuid4()), "create", concern),
    )
    export = client.get(f"/tenants/{person}/export", headers=as_user("admin"))
    assert export.status_code == 200
    body = export.get_json()
    assert body["tenant"]["person_ref"] == person and body["tenancy"]["tenancy_ref"] == ref
    assert body["rent_account_history"] and body["contact_records"]
    assert [c["category"] for c in body["safeguarding_concerns"]] == ["domestic_abuse"]
    json.dumps(body)
    audit = client.get("/audit?entity_type=tenant", headers=as_user("admin")).get_json()
    assert any(e["action"] == "subject-export" and e["entity_ids"] == [person]
               for e in audit["items"])  # fmt: skip
    assert_problem(client.get(f"/tenants/{person}/export", headers=as_user("leader1")), 403)
    assert_problem(client.get("/tenants/NOBODY/export", headers=as_user("admin")), 404)
