"""Patch boundaries drive membership; the coverage report finds gaps and overlaps."""

import json

import pytest
from shapely.geometry import box, mapping

from sync.records.geometry import parse_boundary
from tests.conftest import assert_problem
from tests.phone import Phone, server_view


def test_every_demo_home_is_in_exactly_one_patch(client, as_user):
    report = client.get("/patches/coverage", headers=as_user("admin")).get_json()
    assert report["homes"] > 0
    assert report["outside_count"] == report["overlap_count"] == 0


def test_redrawing_a_boundary_recomputes_membership(client, as_user, db):
    patches = client.get("/patches", headers=as_user("admin")).get_json()
    first, second = patches[0], patches[1]
    grown = mapping(
        parse_boundary(first["boundary"]).union(parse_boundary(second["boundary"])).envelope
    )
    response = client.patch(
        f"/patches/{first['id']}", json={"boundary": grown}, headers=as_user("admin")
    )
    assert response.status_code == 200
    assert response.get_json()["home_count"] >= first["home_count"] + second["home_count"]
    report = client.get("/patches/coverage", headers=as_user("admin")).get_json()
    assert report["overlap_count"] >= second["home_count"]
    assert all(first["id"] in h["patch_ids"] for h in report["overlapping"])
    # shrink patch 1 to a tiny box: its homes fall in no patch, and are reported
    tiny = mapping(box(-1.0, 51.0, -0.999, 51.001))
    client.patch(f"/patches/{first['id']}", json={"boundary": tiny}, headers=as_user("admin"))
    report = client.get("/patches/coverage", headers=as_user("admin")).get_json()
    assert report["outside_count"] > 0 and report["overlap_count"] == 0
    assert (
        db.execute(
            "SELECT count(*) FROM patch_properties WHERE patch_id = ?", [first["id"]]
        ).fetchone()[0]
        == 0
    )


def test_homes_back_in_a_patch_from_no_patch_reach_its_phones(
    client, as_user, tokens, db, db_path, today
):
    """Found in review: a home that left every patch and came back (a boundary drawn
    too small, then corrected) must reach the phones holding the patch again, whole."""
    officer1 = Phone(client, tokens["officer1"])
    officer1.sync()
    held = dict(officer1.store)
    patch = db.execute(
        "SELECT p.id, p.boundary FROM patches p JOIN users u ON u.id = p.officer_id "
        "WHERE u.username = 'officer1'"
    ).fetchone()
    tiny = mapping(box(-1.0, 51.0, -0.999, 51.001))
    for boundary in (tiny, json.loads(patch[1])):
        response = client.patch(
            f"/patches/{patch[0]}", json={"boundary": boundary}, headers=as_user("admin")
        )
        assert response.status_code == 200
        officer1.sync()
    assert officer1.store == server_view(db_path, "officer1", today)
    assert held.keys() <= officer1.store.keys()


def test_bad_boundaries_are_refused_naming_the_field(client, as_user):
    patch = client.get("/patches", headers=as_user("admin")).get_json()[0]
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-2.2, 51.3], [-2.1, 51.4], [-2.1, 51.3], [-2.2, 51.4], [-2.2, 51.3]]],
    }
    swapped = {
        "type": "Polygon",
        "coordinates": [[[51.3, -2.2], [51.4, -2.2], [51.4, -2.1], [51.3, -2.2]]],
    }
    for boundary, field in (
        (bowtie, "boundary"),
        ({"type": "Point", "coordinates": [0, 0]}, "boundary"),
        ({"type": "Polygon", "coordinates": [[1, 2]]}, "boundary.coordinates"),
        (swapped, "boundary.coordinates"),
    ):
        response = client.patch(
            f"/patches/{patch['id']}", json={"boundary": boundary}, headers=as_user("admin")
        )
        assert_problem(response, 422, field=field)
    after = client.get(f"/patches/{patch['id']}", headers=as_user("admin")).get_json()
    assert after["boundary"] == patch["boundary"]


def test_admin_creates_a_patch(client, as_user, db):
    team = client.get("/teams", headers=as_user("admin")).get_json()[0]
    area = mapping(box(-2.5, 51.0, -2.4, 51.1))
    created = client.post(
        "/patches",
        json={"name": "Frome border", "team_id": team["id"], "boundary": area},
        headers=as_user("admin"),
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["home_count"] == 0 and body["officer_id"] is None
    assert (
        json.loads(
            db.execute("SELECT boundary FROM patches WHERE id = ?", [body["id"]]).fetchone()[0]
        )["type"]
        == "Polygon"
    )
    assert_problem(
        client.post(
            "/patches",
            json={"name": "Frome border", "team_id": team["id"], "boundary": area},
            headers=as_user("admin"),
        ),
        409,
        field="name",
    )
    assert_problem(
        client.post(
            "/patches",
            json={"name": "Nowhere", "team_id": 999, "boundary": area},
            headers=as_user("admin"),
        ),
        422,
        field="team_id",
    )


def test_only_active_officers_can_own_or_cover(client, as_user, db):
    patch = client.get("/patches", headers=as_user("leader1")).get_json()[0]
    repairs = db.execute("SELECT id FROM users WHERE username = 'repairs1'").fetchone()[0]
    assert_problem(
        client.patch(
            f"/patches/{patch['id']}", json={"officer_id": repairs}, headers=as_user("leader1")
        ),
        422,
        field="officer_id",
    )


@pytest.mark.parametrize("name", [" ", "\t\n", "a\x00b", "Frome\u202eredrob", "Bath\u2066x"])
def test_names_people_read_are_plain_text(client, as_user, name):
    """Found by probing: a team or patch could be named with a NUL, blanks only, or a
    direction override that makes it display as something else."""
    team = client.get("/teams", headers=as_user("admin")).get_json()[0]
    area = mapping(box(-2.5, 51.0, -2.4, 51.1))
    body = {"name": name, "team_id": team["id"], "boundary": area}
    assert_problem(client.post("/patches", json=body, headers=as_user("admin")), 422, field="name")
    made = client.post("/teams", json={"name": name}, headers=as_user("admin"))
    assert_problem(made, 422, field="name")
    patch = client.get("/patches", headers=as_user("admin")).get_json()[0]
    renamed = client.patch(
        f"/patches/{patch['id']}", json={"name": name}, headers=as_user("admin")
    )
    assert_problem(renamed, 422, field="name")
