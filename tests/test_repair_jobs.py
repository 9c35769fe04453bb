"""Maintenance's queue over HTTP: each repair with what a visit needs (address, tenants'
access needs, warning markers, never a safeguarding concern or a rent account), the
queue by urgency, and filters by deadline, area and state, paged server-side."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from tests.conftest import assert_problem
from tests.phone import Outbox, home_of, push

SECRET = "Bruising on the child's arms; mother afraid of her partner."


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def report(client, as_user, uprn, hazard="emergency", observed_at=None, ref=None):
    """An officer's phone pushes a repair referral; its id."""
    payload = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "location": "Kitchen ceiling",
        "category": "electrical",
        "hazard_class": hazard,
        "description": "Water dripping through the light fitting.",
    }
    mutation = Outbox().create("repair", payload, observed_at=observed_at or ago(hours=2))
    assert push(client, as_user("officer1"), mutation)["results"][0]["status"] == "applied"
    return mutation["entity_id"]


def test_a_repair_comes_with_its_address_access_needs_and_markers_and_nothing_else(
    client, as_user, db
):
    uprn, ref = home_of(db, "officer1")
    lead = db.execute(
        "SELECT person_ref FROM tenants WHERE tenancy_ref = ? ORDER BY is_lead DESC", [ref]
    ).fetchone()[0]
    db.execute(
        "UPDATE tenants SET interpreter_needed = 1, language = 'Polish', "
        "reasonable_adjustments = 'Ring twice: slow to the door', vulnerabilities = ? "
        "WHERE person_ref = ?",
        [json.dumps(["physical_disability", "domestic_abuse", "mental_health"]), lead],
    )
    db.conn.commit()
    phone = Outbox()
    marker = phone.create(
        "marker",
        {
            "uprn": uprn,
            "code": "dangerous_animals",
            "description": "Large dog, keep it shut away before entering.",
            "source_incident": "Officer bitten on the doorstep.",
            "review_date": (datetime.now(UTC).date() + timedelta(days=60)).isoformat(),
        },
        observed_at=ago(minutes=5),
    )
    concern = phone.create(
        "concern",
        {
            "uprn": uprn,
            "category": "child",
            "subjects": ["Child"],
            "immediate_danger": False,
            "seen": SECRET,
        },
        observed_at=ago(minutes=5),
    )
    push(client, as_user("officer1"), marker, concern)
    decided = client.post(
        f"/markers/{marker['entity_id']}/decision",
        json={"approve": True},
        headers=as_user("leader1"),
    )
    assert decided.status_code == 200, decided.get_json()
    repair_id = report(client, as_user, uprn, ref=ref)

    home = db.execute(
        "SELECT address_line_1, post_town, postcode FROM properties WHERE uprn = ?", [uprn]
    ).fetchone()
    response = client.get(f"/repairs/{repair_id}", headers=as_user("repairs1"))
    repair = response.get_json()
    assert repair["address"].startswith(f"{home[0]}, ") and home[2] in repair["address"]
    assert repair["postcode"] == home[2]
    patch = db.execute(
        "SELECT p.id, p.name FROM patches p JOIN patch_properties pp ON pp.patch_id = p.id "
        "WHERE pp.uprn = ?",
        [uprn],
    ).fetchone()
    assert {"id": patch[0], "name": patch[1]} in repair["patches"]
    assert repair["visit_tenancy_ref"] == ref
    first = repair["tenants"][0]
    assert first["interpreter_needed"] is True and first["language"] == "Polish"
    assert first["reasonable_adjustments"] == "Ring twice: slow to the door"
    # Only what changes how a visit is made: never the rest of a tenant's vulnerabilities.
    assert first["access_needs"] == ["physical_disability"]
    assert [m["code"] for m in repair["markers"]] == ["dangerous_animals"]
    assert repair["markers"][0]["description"].startswith("Large dog")
    text = response.get_data(as_text=True)
    for never in (SECRET, "domestic_abuse", "mental_health", "balance", "date_of_birth"):
        assert never not in text, never

    # The queue and a recorded step carry the same, for maintenance and a leader alike.
    queue = client.get(f"/repairs?uprn={uprn}", headers=as_user("repairs1")).get_json()
    assert [r["address"] for r in queue["items"]] == [repair["address"]]
    assert SECRET not in json.dumps(queue)
    seen = client.get(f"/repairs?uprn={uprn}", headers=as_user("leader1")).get_json()
    assert seen["items"][0]["markers"] == repair["markers"]
    step = client.post(
        f"/repairs/{repair_id}/actions",
        json={"action": "acknowledged", "note": "Booked for Tuesday am."},
        headers=as_user("repairs1") | {"If-Match": response.headers["ETag"]},
    )
    assert repair["next_actions"] == ["acknowledged", "investigated", "cancelled"]
    assert step.status_code == 200 and step.get_json()["address"] == repair["address"]
    assert step.get_json()["next_actions"] == ["investigated", "made_safe", "cancelled"]
    assert step.get_json()["events"][-1]["note"] == "Booked for Tuesday am."


def test_the_urgency_order_puts_overdue_repairs_first_then_the_next_deadline(client, as_user, db):
    uprn, _ = home_of(db, "officer1")
    routine = report(client, as_user, uprn, "routine", ago(days=30))
    soon = report(client, as_user, uprn, "emergency", ago(hours=2))
    late = report(client, as_user, uprn, "emergency", ago(hours=30))
    later = report(client, as_user, uprn, "significant", ago(days=25))  # 10 working days gone
    fresh = report(client, as_user, uprn, "significant", ago(hours=1))
    headers = as_user("repairs1")
    mine = {routine, soon, late, later, fresh}  # the demo may have repairs there too

    def walk(order, limit):
        ids, after = [], None
        while True:
            url = f"/repairs?uprn={uprn}&order={order}&limit={limit}"
            body = client.get(url + (f"&after={quote(after)}" if after else ""), headers=headers)
            assert body.status_code == 200, body.get_json()
            ids += [r["id"] for r in body.get_json()["items"] if r["id"] in mine]
            if not (after := body.get_json()["next_after"]):
                return ids

    assert walk("urgency", 100) == [later, late, soon, fresh, routine]
    assert walk("urgency", 2) == [later, late, soon, fresh, routine]  # paged by its key
    assert walk("hazard", 2) == [late, soon, later, fresh, routine]  # the default, unchanged
    overdue = client.get(f"/repairs?uprn={uprn}&order=urgency&due=overdue", headers=headers)
    assert [r["id"] for r in overdue.get_json()["items"] if r["id"] in mine] == [later, late]
    # A key that is none of the order's (garbage, or the other order's) is refused, naming
    # after: it would sort past every repair and look like the end of the queue.
    hazard_key = client.get("/repairs?limit=1", headers=headers).get_json()["next_after"]
    for order, after in (("hazard", "garbage"), ("urgency", "garbage"), ("urgency", hazard_key)):
        refused = client.get(f"/repairs?order={order}&after={quote(after)}", headers=headers)
        assert_problem(refused, 422, field="after")


def test_the_queue_filters_by_area_and_state_on_the_server(client, as_user, db):
    uprn, _ = home_of(db, "officer1")
    elsewhere, _ = home_of(db, "officer4")
    here = report(client, as_user, uprn)
    db.execute(
        "UPDATE repairs SET uprn = ? WHERE id = ?", [elsewhere, report(client, as_user, uprn)]
    )
    db.conn.commit()
    patch_id, postcode = db.execute(
        "SELECT pp.patch_id, p.postcode FROM patch_properties pp JOIN properties p "
        "ON p.uprn = pp.uprn WHERE pp.uprn = ?",
        [uprn],
    ).fetchone()
    headers = as_user("repairs1")

    def ids(query):
        response = client.get(f"/repairs?limit=1000&{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return {r["id"] for r in response.get_json()["items"]}

    in_patch = ids(f"patch_id={patch_id}")
    assert here in in_patch and not ids(f"patch_id={patch_id}&uprn={elsewhere}")
    district = postcode.split()[0]
    assert all(
        r["postcode"].startswith(f"{district} ")
        for r in client.get(
            f"/repairs?limit=1000&postcode={district.lower()}", headers=headers
        ).get_json()["items"]
    )
    assert here in ids(f"postcode={district.lower()}")
    assert here in ids(f"postcode={postcode.replace(' ', '')}")
    assert here in ids("open=true") and here not in ids("open=false")
    tag = client.get(f"/repairs/{here}", headers=headers).headers["ETag"]
    cancelled = client.post(
        f"/repairs/{here}/actions",
        json={"action": "cancelled", "note": "Duplicate of another referral."},
        headers=headers | {"If-Match": tag},
    )
    assert cancelled.status_code == 200
    assert here in ids("open=false") and here not in ids("open=true")
    assert here not in ids("due=overdue") and here not in ids("due=due_soon")

    for query, field in (
        ("order=soonest", "order"),
        ("postcode=" + "B" * 11, "postcode"),
        ("patch_id=-1", "patch_id"),
        ("open=perhaps", "open"),
    ):
        assert_problem(client.get(f"/repairs?{query}", headers=headers), 422, field=field)
