"""A model phone: applies pulled changes to a local store exactly as the protocol says."""

import uuid
from datetime import datetime, timedelta

from sync import kinds, pull
from sync.access.scope import Caller
from sync.store.db import open_database


class Phone:
    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.cursor: str | None = None
        self.store: dict[tuple[str, str], dict] = {}

    def apply(self, change: dict) -> None:
        """Exactly as docs/sync-protocol.md says: no rule of the phone's own (a home's
        removal comes with a removal of each record held for it)."""
        key = (change["type"], change["id"])
        if change["op"] == "upsert":
            self.store[key] = change["data"]
        else:
            self.store.pop(key, None)

    @classmethod
    def synced(cls, client, token: str) -> dict:
        """What a freshly bootstrapped phone of this token holds."""
        phone = cls(client, token)
        phone.sync()
        return phone.store

    def sync(self, limit: int = 2000) -> int:
        """Pull every page; returns how many changes arrived."""
        count = 0
        while True:
            url = f"/sync/pull?limit={limit}" + (f"&cursor={self.cursor}" if self.cursor else "")
            response = self.client.get(url, headers=self.headers)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            for change in body["changes"]:
                self.apply(change)
            self.cursor = body["cursor"]
            count += len(body["changes"])
            if not body["has_more"]:
                return count


def synced(client, tokens, *usernames) -> list[Phone]:
    """A phone for each user, each having pulled its whole scope."""
    phones = [Phone(client, tokens[name]) for name in usernames]
    for phone in phones:
        phone.sync()
    return phones


def server_view(db_path, username: str, today) -> dict[tuple[str, str], dict]:
    """What a phone of ``username`` should hold: every record in their scope, now."""
    db = open_database(db_path)
    row = db.execute(
        "SELECT id, role, team_id FROM users WHERE username = ?", [username]
    ).fetchone()
    caller = Caller(user_id=row[0], username=username, role=row[1], team_id=row[2])
    homes = pull._homes_in(db, pull._scope(db, caller, today))
    view = {}
    types = [name for name, kind in kinds.KINDS.items() if kind.receives(caller)]
    for entity_type in types:
        ids = [
            r[0]
            for r in db.execute(
                "SELECT entity_id FROM sync_index WHERE entity_type = ? AND deleted = 0 "
                "AND uprn IN (SELECT value FROM json_each(?))",
                [entity_type, f"[{','.join(map(str, homes))}]"],
            )
        ]
        for entity_id, record in kinds.read(db, caller, entity_type, ids, today)[0].items():
            view[(entity_type, entity_id)] = record
    db.close()
    return view


NOW = "2026-11-25T10:15:00+00:00"


class Outbox:
    """A phone's queue of mutations with its own sequence numbers."""

    def __init__(self):
        self.seq = 0

    def make(self, entity_type, entity_id, op, payload, base_version=None, observed_at=NOW):
        self.seq += 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "device_seq": self.seq,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "op": op,
            "base_version": base_version,
            "observed_at": observed_at,
            "payload": payload,
        }

    def create(self, entity_type, payload, **kwargs):
        """A new record, under a fresh id."""
        return self.make(entity_type, str(uuid.uuid4()), "create", payload, **kwargs)


def push(client, headers, *mutations, cursor=None):
    """A push; ``cursor``: the pushing phone's, which tells the server what it holds."""
    body = {"mutations": list(mutations)} | ({"cursor": cursor} if cursor else {})
    response = client.post("/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def home_of(db, username):
    return db.execute(
        "SELECT t.uprn, t.tenancy_ref FROM tenancies t JOIN patch_properties pp "
        "ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id JOIN users u "
        "ON u.id = p.officer_id WHERE u.username = ? AND t.end_date IS NULL "
        "ORDER BY t.uprn LIMIT 1",
        [username],
    ).fetchone()


def ended_tenancy_of(db, username):
    """(tenancy_ref, uprn, end_date) of the tenancy in the officer's patches that ended
    first: the first a purge takes."""
    return db.execute(
        "SELECT t.tenancy_ref, t.uprn, t.end_date FROM tenancies t JOIN patch_properties pp "
        "ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id JOIN users u "
        "ON u.id = p.officer_id WHERE u.username = ? AND t.end_date IS NOT NULL "
        "ORDER BY t.end_date LIMIT 1",
        [username],
    ).fetchone()


def visit(outbox, uprn, ref, observed_at=NOW, **extra):
    """A new visit record at ``uprn`` (no access, unless ``extra`` says otherwise)."""
    return outbox.make(
        "visit",
        str(uuid.uuid4()),
        "create",
        {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access", **extra},
        observed_at=observed_at,
    )


def field_payloads(uprn: int, ref: str, now: datetime) -> dict[str, dict]:
    """A valid create payload of each field kind at one home, as a phone records them."""
    return {
        "visit": {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access"},
        "arrangement": {
            "tenancy_ref": ref,
            "amount": 10.0,
            "frequency": "weekly",
            "start_date": now.date().isoformat(),
        },
        "repair": {
            "uprn": uprn,
            "location": "Hall",
            "category": "water_leak",
            "hazard_class": "routine",
            "description": "Drip",
        },
        "concern": {
            "uprn": uprn,
            "category": "adult_at_risk",
            "subjects": ["Tenant"],
            "immediate_danger": False,
            "seen": "Confused",
        },
        "marker": {
            "uprn": uprn,
            "code": "dangerous_animals",
            "description": "Dog",
            "source_incident": "Barking",
            "review_date": (now.date() + timedelta(days=30)).isoformat(),
        },
        "checkin": {
            "uprn": uprn,
            "checked_in_at": (now - timedelta(minutes=30)).isoformat(),
            "expected_out_at": (now + timedelta(hours=1)).isoformat(),
        },
    }
