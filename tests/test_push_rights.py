"""Every push kind and op, for every role: a role records only the kinds of record it
may receive. (Found by probing: maintenance pushed a rent arrangement, and it was
applied.)"""

import uuid
from datetime import UTC, datetime

import pytest

from sync import kinds
from sync.codes import ROLES
from tests.phone import Outbox, field_payloads, home_of, push

USER = {
    "officer": "officer1",
    "team_leader": "leader1",
    "maintenance": "repairs1",
    "safeguarding_lead": "safeguarding1",
    "admin": "admin",
}
# Who may make what, written out rather than derived: the rule under test.
ALLOWED = {
    "officer": {"visit", "tenant", "arrangement", "repair", "concern", "marker", "checkin"},
    "team_leader": {"visit", "tenant", "arrangement", "repair", "concern", "marker", "checkin"},
    "maintenance": {"tenant", "repair", "marker"},
    "safeguarding_lead": {"tenant", "repair", "concern", "marker"},
    "admin": {"visit", "tenant", "arrangement", "repair", "marker", "checkin"},
}


def mutations(db, kind: str, op: str) -> list[dict]:
    """A valid mutation of this kind and op at officer1's first home (a check-out comes
    after its own check-in)."""
    uprn, ref = home_of(db, "officer1")
    now = datetime.now(UTC)
    outbox = Outbox()
    new = str(uuid.uuid4())
    if (kind, op) == ("tenant", "update"):
        person, version = db.execute(
            "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ? LIMIT 1", [ref]
        ).fetchone()
        return [outbox.make(kind, person, op, {"email": f"{new[:8]}@example.com"}, version)]
    if (kind, op) == ("arrangement", "update"):
        live, version = db.execute(
            "SELECT id, version FROM arrangements WHERE status = 'live' AND tenancy_ref IN "
            "(SELECT tenancy_ref FROM tenancies WHERE uprn IN (SELECT uprn FROM "
            "patch_properties WHERE patch_id = 1)) LIMIT 1"
        ).fetchone()
        return [outbox.make(kind, live, op, {"status": "completed"}, version)]
    payloads = field_payloads(uprn, ref, now)
    checkin = payloads["checkin"]
    if (kind, op) == ("checkin", "update"):
        return [
            outbox.make(kind, new, "create", checkin),
            outbox.make(kind, new, op, {"checked_out_at": now.isoformat()}, 1),
        ]
    payload = payloads[kind]
    return [outbox.make(kind, new, op, payload, observed_at=now.isoformat())]


CASES = [(kind, op) for kind, spec in kinds.pushed().items() for op in spec.ops]


def test_the_table_covers_every_kind():
    assert {kind for kind, _ in CASES} == set().union(*ALLOWED.values())
    assert set(ALLOWED) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "op"), CASES)
def test_a_role_records_only_what_it_may_receive(client, as_user, db, role, kind, op):
    results = push(client, as_user(USER[role]), *mutations(db, kind, op))["results"]
    last = results[-1]
    if kind in ALLOWED[role]:
        assert [r["status"] for r in results] == ["applied"] * len(results), results
    else:
        assert last["status"] == "rejected" and last["code"] == "forbidden", last
        assert role in last["reason"]
        stored = db.execute(
            "SELECT status FROM mutations WHERE mutation_id = ?", [last["mutation_id"]]
        ).fetchone()
        assert stored == ("rejected",)  # kept for review, not applied
