"""Hypothesis state machine: three phones edit offline against the real app; deliveries
are duplicated, reordered, dropped (before or after the server commits) and retried;
pulls come in small pages; a patch is reassigned; the app restarts on the same file.

Invariants: every acknowledged mutation is kept; each takes effect exactly once; phones
that finish syncing hold exactly the server's view of their scope; every same-field
concurrent edit is recorded as a conflict."""

import json
import os
import shutil
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from shapely import affinity
from shapely.geometry import mapping

from server.app import create_app
from sync.records.geometry import parse_boundary
from sync.store.db import open_database
from tests.phone import Outbox, Phone, server_view

pytestmark = pytest.mark.slow

USERS = ("officer1", "officer2", "leader1")


class FieldPhone(Phone):
    """A phone with an outbox: it writes locally first, then pushes."""

    def __init__(self, client, token, username):
        super().__init__(client, token)
        self.username = username
        self.maker = Outbox()
        self.outbox: list[dict] = []  # not yet acknowledged
        self.results: dict[str, dict] = {}  # mutation_id -> final result

    def write(self, entity_type, entity_id, op, payload, base_version=None):
        self.outbox.append(self.maker.make(entity_type, entity_id, op, payload, base_version))

    def acknowledge(self, mutation: dict, result: dict) -> None:
        final = result["original"] if result["status"] == "duplicate" else result
        self.results[mutation["mutation_id"]] = final
        self.outbox = [m for m in self.outbox if m["mutation_id"] != mutation["mutation_id"]]
        if final["status"] not in ("applied", "conflict"):
            return
        if mutation["entity_type"] == "visit":
            if ("property", str(mutation["payload"]["uprn"])) in self.store:
                self.store[("visit", mutation["entity_id"])] = {
                    "id": mutation["entity_id"],
                    "uprn": mutation["payload"]["uprn"],
                }
            return
        key = (mutation["entity_type"], mutation["entity_id"])
        local = self.store.get(key)
        # Overlay our own write unless the store already holds a newer server version.
        if final["status"] == "applied" and local and local["version"] < final["version"]:
            self.store[key] = {**local, **mutation["payload"], "version": final["version"]}


def comparable(store: dict) -> dict:
    """Visits compare by id and home (the server adds receive times a phone cannot know)."""
    return {
        k: ({"id": v["id"], "uprn": v["uprn"]} if k[0] == "visit" else v) for k, v in store.items()
    }


def test_phones_converge_whatever_the_network_does(landlord, tmp_path_factory, today):
    source, tokens = landlord

    class Sync(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.path = tmp_path_factory.mktemp("machine") / "doorstep.db"
            shutil.copyfile(source, self.path)
            self.restart()
            db = open_database(self.path)
            self.boundaries = {
                r[0]: parse_boundary(json.loads(r[1]))
                for r in db.execute("SELECT id, boundary FROM patches")
            }
            db.close()
            self.phones = {u: FieldPhone(self.client, tokens[u], u) for u in USERS}
            for phone in self.phones.values():
                phone.sync()

        @rule()
        def restart(self):
            self.client = create_app({"TESTING": True, "DATABASE": str(self.path)}).test_client()
            for phone in getattr(self, "phones", {}).values():
                phone.client = self.client

        @rule(
            user=st.sampled_from(USERS),
            outcome=st.sampled_from(["no_access", "refused"]),
            pick=st.integers(0, 10**6),
        )
        def record_visit(self, user, outcome, pick):
            phone = self.phones[user]
            homes = sorted(int(k[1]) for k in phone.store if k[0] == "property")
            if homes:
                phone.write(
                    "visit",
                    str(uuid.uuid4()),
                    "create",
                    {"uprn": homes[pick % len(homes)], "outcome": outcome},
                )

        @rule(
            user=st.sampled_from(USERS),
            field=st.sampled_from(["mobile", "email"]),
            value=st.integers(0, 3),
            pick=st.integers(0, 2),
        )
        def edit_contact(self, user, field, value, pick):
            phone = self.phones[user]
            # Few tenants, few values: phones keep editing the same fields.
            tenants = sorted(k for k in phone.store if k[0] == "tenant")[:3]
            if tenants:
                key = tenants[pick % len(tenants)]
                new = f"07700 90{value:04d}" if field == "mobile" else f"t{value}@example.com"
                phone.write("tenant", key[1], "update", {field: new}, phone.store[key]["version"])

        @precondition(lambda self: any(p.outbox for p in self.phones.values()))
        @rule(
            user=st.sampled_from(USERS),
            delivery=st.sampled_from(
                ["ok", "duplicated", "reordered", "lost-request", "lost-response"]
            ),
            shuffler=st.randoms(use_true_random=False),
        )
        def push(self, user, delivery, shuffler):
            phone = self.phones[user]
            batch = phone.outbox[:8]
            if not batch or delivery == "lost-request":
                return
            sent = list(batch)
            if delivery == "duplicated":
                sent = sent + sent[:2]
            if delivery == "reordered":
                shuffler.shuffle(sent)
            response = self.client.post(
                "/sync/push",
                json={"mutations": sent, "cursor": phone.cursor},
                headers=phone.headers,
            )
            assert response.status_code == 200, response.get_json()
            if delivery == "lost-response":
                return  # the server committed; the phone never heard
            results = response.get_json()["results"]
            for mutation, result in zip(sent, results, strict=True):
                phone.acknowledge(mutation, result)

        @rule(user=st.sampled_from(USERS), limit=st.integers(1, 60))
        def pull(self, user, limit):
            self.phones[user].sync(limit=limit)

        @rule(to=st.sampled_from(["officer1", "officer2"]))
        def reassign_patch_one(self, to):
            db = open_database(self.path)
            patch = db.execute("SELECT id FROM patches ORDER BY id LIMIT 1").fetchone()[0]
            officer = db.execute("SELECT id FROM users WHERE username = ?", [to]).fetchone()[0]
            leader = {"Authorization": f"Bearer {tokens['leader1']}"}
            db.close()
            response = self.client.patch(
                f"/patches/{patch}", json={"officer_id": officer}, headers=leader
            )
            assert response.status_code == 200

        def _as(self, username: str) -> dict:
            return {"Authorization": f"Bearer {tokens[username]}"}

        def _ids(self, sql: str, params=()) -> list:
            db = open_database(self.path)
            try:
                return [r[0] for r in db.execute(sql, list(params))]
            finally:
                db.close()

        @rule(patch=st.integers(0, 2), to=st.sampled_from(["officer1", "officer2"]))
        def start_cover(self, patch, to):
            patch_id = self._ids("SELECT id FROM patches ORDER BY id")[patch]
            officer = self._ids("SELECT id FROM users WHERE username = ?", [to])[0]
            response = self.client.post(
                f"/patches/{patch_id}/covers",
                json={
                    "officer_id": officer,
                    "start_date": today.isoformat(),
                    "end_date": (today + timedelta(days=2)).isoformat(),
                },
                headers=self._as("leader1"),
            )
            # Refused when that officer owns the patch or already covers it.
            assert response.status_code in (201, 200, 409, 422), response.get_json()

        @rule(pick=st.integers(0, 10))
        def end_cover(self, pick):
            covers = self._ids(
                "SELECT id || ':' || patch_id FROM patch_covers "
                "WHERE cancelled_at IS NULL ORDER BY id"
            )
            if covers:
                cover_id, patch_id = covers[pick % len(covers)].split(":")
                response = self.client.delete(
                    f"/patches/{patch_id}/covers/{cover_id}", headers=self._as("leader1")
                )
                assert response.status_code in (200, 204, 404, 409), response.get_data()

        @rule(patch=st.integers(0, 1), scale=st.sampled_from([0.6, 1.0, 1.4]))
        def redraw_boundary(self, patch, scale):
            patch_id = self._ids("SELECT id FROM patches ORDER BY id")[patch]
            outline = affinity.scale(self.boundaries[patch_id], scale, scale)
            response = self.client.patch(
                f"/patches/{patch_id}",
                json={"boundary": mapping(outline)},
                headers=self._as("admin"),
            )
            assert response.status_code == 200, response.get_json()

        @rule(pick=st.integers(0, 10**6), to=st.integers(0, 10**6))
        def move_tenancy(self, pick, to):
            """The housing system corrects a tenancy's home: it moves with its people."""
            db = open_database(self.path)
            tenancies = [
                dict(r)
                for r in db.query(
                    "SELECT tenancy_ref, uprn, tenure, start_date, end_date, weekly_rent "
                    "FROM tenancies WHERE end_date IS NULL AND uprn IN (SELECT uprn FROM "
                    "patch_properties WHERE patch_id IN (SELECT id FROM patches ORDER BY id "
                    "LIMIT 3)) ORDER BY tenancy_ref"
                )
            ]
            homes = [r[0] for r in db.execute("SELECT uprn FROM properties ORDER BY uprn")]
            db.close()
            row = tenancies[pick % len(tenancies)] | {"uprn": homes[to % len(homes)]}
            response = self.client.post(
                "/imports?kind=tenancies&format=jsonl",
                data=json.dumps(row),
                headers=self._as("admin"),
            )
            assert response.status_code == 201, response.get_json()

        @rule(user=st.sampled_from(USERS))
        def converge(self, user):
            """Once a phone has delivered its outbox and pulled to the end, it holds just
            what a fresh bootstrap of its user holds: whatever left its scope is gone."""
            phone = self.phones[user]
            self.deliver(phone)
            phone.sync(limit=200)
            fresh = FieldPhone(self.client, tokens[user], user)
            fresh.sync()
            assert comparable(phone.store) == comparable(fresh.store), user

        def deliver(self, phone):
            while phone.outbox:
                batch = phone.outbox[:50]
                body = self.client.post(
                    "/sync/push",
                    json={"mutations": batch, "cursor": phone.cursor},
                    headers=phone.headers,
                ).get_json()
                for mutation, result in zip(batch, body["results"], strict=True):
                    phone.acknowledge(mutation, result)

        @invariant()
        def every_acknowledged_mutation_is_kept_once(self):
            db = open_database(self.path)
            for phone in self.phones.values():
                for mutation_id, result in phone.results.items():
                    row = db.execute(
                        "SELECT status, result FROM mutations WHERE mutation_id = ? "
                        "AND duplicate_of IS NULL",
                        [mutation_id],
                    ).fetchone()
                    assert row is not None, mutation_id
                    assert row[0] == {"applied": "applied", "conflict": "conflict"}.get(
                        result["status"], "rejected"
                    )
            visits = db.execute("SELECT count(*), count(DISTINCT id) FROM visits").fetchone()
            applied = db.execute(
                "SELECT count(*) FROM mutations WHERE entity_type = 'visit' AND status = 'applied'"
            ).fetchone()[0]
            assert visits[0] == visits[1] == applied
            db.close()

        @invariant()
        def same_field_edits_are_recorded_as_conflicts(self):
            db = open_database(self.path)
            for phone in self.phones.values():
                for mutation_id, result in phone.results.items():
                    if result["status"] == "conflict":
                        assert db.execute(
                            "SELECT count(*) FROM conflicts WHERE mutation_id = ?", [mutation_id]
                        ).fetchone()[0] == len(result["conflicts"])
            # Two edits that each changed one field from the same base, with different
            # values: impossible; the second must have been a conflict. (An edit to the
            # value the record already held changes nothing and writes no change event.)
            edits = db.execute(
                "SELECT m.entity_id, m.base_version, json_extract(m.body, '$.payload') "
                "FROM mutations m WHERE m.entity_type = 'tenant' AND m.duplicate_of IS NULL "
                "AND m.status = 'applied' AND EXISTS (SELECT 1 FROM outbox o "
                "WHERE o.topic = 'tenant.changed' AND o.event_id LIKE m.mutation_id || '.%')"
            ).fetchall()
            seen: dict = {}
            for entity_id, base, payload in edits:
                for field, value in json.loads(payload).items():
                    seen.setdefault((entity_id, base, field), set()).add(value)
            db.close()
            clashes = {k: v for k, v in seen.items() if len(v) > 1}
            assert not clashes, f"same-field edits applied without a conflict: {clashes}"

        def teardown(self):
            # Finish syncing: deliver everything, then pull to the end.
            for phone in self.phones.values():
                self.deliver(phone)
            for phone in self.phones.values():
                phone.sync(limit=500)
                expected = server_view(self.path, phone.username, today)
                assert comparable(phone.store) == comparable(expected), phone.username
                self.converge(phone.username)

    Sync.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        # CI replays a fixed set of examples, so a landing never hangs on a new search;
        # runs elsewhere explore new ones each time.
        derandomize=bool(os.environ.get("CI")),
    )
    Sync.TestCase().runTest()


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    caplog.set_level("WARNING")
