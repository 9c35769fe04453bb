"""What a push refuses of a record that looks right, found by probing as an attacker or
a careless client would: nothing of another patch told, no link to a record that is not
there, no text a phone number cannot be."""

import uuid

from tests.phone import NOW, Outbox, home_of, push, visit
from tests.test_sync_push import a_tenant


def test_an_arrangement_out_of_scope_does_not_tell_the_tenancys_home(client, as_user, db):
    """Found by probing: the refusal named the UPRN of another patch's tenancy, so any
    tenancy ref could be turned into its address."""
    uprn, ref = home_of(db, "officer2")
    agreed = Outbox().create(
        "arrangement",
        {"tenancy_ref": ref, "amount": 10, "frequency": "weekly", "start_date": NOW[:10]},
    )
    (result,) = push(client, as_user("officer1"), agreed)["results"]
    assert result["code"] == "out-of-scope" and str(uprn) not in result["reason"]
    assert result["reason"] == f"Tenancy {ref} is not in your patches."


def test_an_arrangement_names_a_real_visit_at_its_home(client, as_user, db):
    """Found by probing: any visit_id was taken (a made-up one, another patch's visit), and
    the court evidence then said the arrangement was agreed on that visit."""
    uprn, ref = home_of(db, "officer1")
    elsewhere = visit(Outbox(), *home_of(db, "officer2"))
    assert push(client, as_user("officer2"), elsewhere)["results"][0]["status"] == "applied"
    box = Outbox()
    here = visit(box, uprn, ref)
    terms = {"tenancy_ref": ref, "amount": 10, "frequency": "weekly", "start_date": NOW[:10]}
    wrong = [
        box.create("arrangement", terms | {"visit_id": str(uuid.uuid4())}),
        box.create("arrangement", terms | {"visit_id": elsewhere["entity_id"]}),
        box.create("arrangement", terms | {"visit_id": "not-a-visit"}),
    ]
    right = box.create("arrangement", terms | {"visit_id": here["entity_id"]})
    results = push(client, as_user("officer1"), here, *wrong, right)["results"]
    assert [r["status"] for r in results] == ["applied", *["rejected"] * 3, "applied"]
    for refused in results[1:4]:
        assert refused["code"] == "unknown-entity" and "payload.visit_id" in refused["errors"]


def test_a_tenants_numbers_are_phone_numbers(client, as_user, db):
    """Found by probing: "\\u0000" and "call me maybe" were applied as a tenant's numbers,
    and went out in tenant.changed events and the tel: links of the apps."""
    person, version = a_tenant(db, "officer1")[:2]
    box = Outbox()
    sent = [
        box.make("tenant", person, "update", {"phone": "\u0000"}, version),
        box.make("tenant", person, "update", {"mobile": "call me maybe"}, version),
        box.make("tenant", person, "update", {"mobile": "+44 7700 900-321"}, version),
    ]
    results = push(client, as_user("officer1"), *sent)["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "payload.phone" in results[0]["errors"] and "payload.mobile" in results[1]["errors"]
