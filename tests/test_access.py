"""Each access boundary: scope by patch and team, finance by role, 404 outside, 403 inside."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_problem


def all_pages(client, url, headers, key="items"):
    items, after = [], None
    while True:
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit=37" + (f"&after={after}" if after is not None else "")
        body = client.get(page_url, headers=headers).get_json()
        items += body[key]
        after = body["next_after"]
        if after is None:
            return items


def patch_ids(client, headers):
    return {p["id"] for p in client.get("/patches", headers=headers).get_json()}


def members(db, patch_id):
    return {
        r[0]
        for r in db.execute("SELECT uprn FROM patch_properties WHERE patch_id = ?", [patch_id])
    }


def own_patch(client, as_user, username):
    patches = client.get("/patches", headers=as_user(username)).get_json()
    assert len(patches) == 1
    return patches[0]


def test_officer_sees_exactly_their_patch(client, as_user, db):
    patch = own_patch(client, as_user, "officer1")
    assert patch["officer_username"] == "officer1"
    homes = all_pages(client, "/properties", as_user("officer1"))
    assert {h["uprn"] for h in homes} == members(db, patch["id"])
    assert patch["home_count"] == len(homes) > 0
    tenancies = all_pages(client, "/tenancies?status=current", as_user("officer1"))
    assert {t["uprn"] for t in tenancies} == {h["uprn"] for h in homes}
    assert all(t["account"] is not None for t in tenancies)


def test_officer_gets_404_outside_their_patch(client, as_user, db):
    other = own_patch(client, as_user, "officer2")
    uprn = min(members(db, other["id"]))
    ref = db.execute("SELECT tenancy_ref FROM tenancies WHERE uprn = ?", [uprn]).fetchone()[0]
    assert_problem(client.get(f"/properties/{uprn}", headers=as_user("officer1")), 404)
    assert_problem(client.get(f"/tenancies/{ref}", headers=as_user("officer1")), 404)
    assert_problem(
        client.get(f"/tenancies/{ref}/account-history", headers=as_user("officer1")), 404
    )
    assert_problem(client.get(f"/tenancies/{ref}/markers", headers=as_user("officer1")), 404)
    assert_problem(client.get(f"/patches/{other['id']}", headers=as_user("officer1")), 404)
    assert client.get(f"/properties/{uprn}", headers=as_user("officer2")).status_code == 200
    # filtering by someone else's patch reveals nothing
    body = client.get(f"/properties?patch_id={other['id']}", headers=as_user("officer1"))
    assert body.get_json()["items"] == []


def test_cover_brings_a_patch_into_scope_for_its_dates_only(client, as_user, today, db):
    officer3 = client.get("/me", headers=as_user("officer3")).get_json()
    patch2 = own_patch(client, as_user, "officer2")
    before = patch_ids(client, as_user("officer3"))
    cover = client.post(
        f"/patches/{patch2['id']}/covers",
        headers=as_user("leader1"),
        json={
            "officer_id": officer3["id"],
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=4)).isoformat(),
            "reason": "annual leave",
        },
    )
    assert cover.status_code == 201, cover.get_json()
    assert patch_ids(client, as_user("officer3")) == before | {patch2["id"]}
    homes = all_pages(client, "/properties", as_user("officer3"))
    assert members(db, patch2["id"]) <= {h["uprn"] for h in homes}
    # A patch is covered by one officer a day: another cover of those days is refused, and
    # a cover for the patch's own officer lends it to nobody.
    officer1_id = client.get("/me", headers=as_user("officer1")).get_json()["id"]
    later = {
        "officer_id": officer1_id,
        "start_date": (today + timedelta(days=4)).isoformat(),
        "end_date": (today + timedelta(days=6)).isoformat(),
    }
    url = f"/patches/{patch2['id']}/covers"
    overlap = client.post(url, headers=as_user("leader1"), json=later)
    assert "officer3" in assert_problem(overlap, 409, "cover-overlaps", "start_date")["detail"]
    own = later | {"officer_id": patch2["officer_id"], "start_date": later["end_date"]}
    assert_problem(client.post(url, headers=as_user("leader1"), json=own), 422, field="officer_id")
    # cover that starts later does not count today
    later["start_date"] = (today + timedelta(days=5)).isoformat()
    future = client.post(url, headers=as_user("leader1"), json=later)
    assert future.status_code == 201
    assert patch2["id"] not in patch_ids(client, as_user("officer1"))
    # cancelling the cover takes the patch away again
    cancelled = client.delete(
        f"/patches/{patch2['id']}/covers/{cover.get_json()['id']}", headers=as_user("leader1")
    )
    assert cancelled.get_json()["cancelled_at"] is not None
    assert patch_ids(client, as_user("officer3")) == before


def test_cover_dates_must_be_ordered(client, as_user, today):
    patch = own_patch(client, as_user, "officer1")
    officer2 = client.get("/me", headers=as_user("officer2")).get_json()
    assert_problem(
        client.post(
            f"/patches/{patch['id']}/covers",
            headers=as_user("leader1"),
            json={
                "officer_id": officer2["id"],
                "start_date": today.isoformat(),
                "end_date": (today - timedelta(days=1)).isoformat(),
            },
        ),
        422,
        field="end_date",
    )


def test_team_leader_sees_their_team_and_assigns_officers(client, as_user, db):
    leader1 = client.get("/patches", headers=as_user("leader1")).get_json()
    leader2 = client.get("/patches", headers=as_user("leader2")).get_json()
    assert len(leader1) == len(leader2) == 3
    assert {p["officer_username"] for p in leader1} == {"officer1", "officer2", "officer3"}
    assert not {p["id"] for p in leader1} & {p["id"] for p in leader2}
    homes = all_pages(client, "/properties", as_user("leader1"))
    team_homes = set().union(*(members(db, p["id"]) for p in leader1))
    assert {h["uprn"] for h in homes} == team_homes
    # reassign patch 1 to officer2; officer1 loses it at once
    officer2 = client.get("/me", headers=as_user("officer2")).get_json()
    target = next(p for p in leader1 if p["officer_username"] == "officer1")
    response = client.patch(
        f"/patches/{target['id']}", json={"officer_id": officer2["id"]}, headers=as_user("leader1")
    )
    assert response.get_json()["officer_username"] == "officer2"
    assert patch_ids(client, as_user("officer1")) == set()
    assert target["id"] in patch_ids(client, as_user("officer2"))
    # the other team's leader cannot see it; an officer may not change it
    assert_problem(
        client.patch(
            f"/patches/{target['id']}", json={"officer_id": None}, headers=as_user("leader2")
        ),
        404,
    )
    assert_problem(
        client.patch(
            f"/patches/{target['id']}", json={"officer_id": None}, headers=as_user("officer2")
        ),
        403,
    )
    # a leader assigns patches to their own officers, not the other team's
    officer4 = client.get("/me", headers=as_user("officer4")).get_json()
    assert_problem(
        client.patch(
            f"/patches/{target['id']}",
            json={"officer_id": officer4["id"]},
            headers=as_user("leader1"),
        ),
        422,
        field="officer_id",
    )
    # boundaries are the admin's
    assert_problem(
        client.patch(
            f"/patches/{target['id']}", json={"name": "Renamed"}, headers=as_user("leader1")
        ),
        403,
    )


def test_maintenance_sees_homes_and_people_but_no_finances(client, as_user, db):
    headers = as_user("repairs1")
    homes = client.get("/properties?limit=5", headers=headers).get_json()["items"]
    assert len(homes) == 5
    all_homes = db.execute("SELECT count(*) FROM properties").fetchone()[0]
    assert len(all_pages(client, "/properties", headers)) == all_homes
    tenancy = client.get("/tenancies?limit=1", headers=headers).get_json()["items"][0]
    assert tenancy["account"] is None and tenancy["tenants"]
    detail = client.get(f"/tenancies/{tenancy['tenancy_ref']}", headers=headers).get_json()
    assert detail["account"] is None
    assert_problem(
        client.get(f"/tenancies/{tenancy['tenancy_ref']}/account-history", headers=headers),
        403,
        "forbidden",
    )
    assert_problem(
        client.get("/tenancies?arrears_above=0", headers=headers), 403, field="arrears_above"
    )
    assert_problem(
        client.get("/tenancies?legal_stage=notice", headers=headers), 403, field="legal_stage"
    )
    assert (
        client.get(f"/tenancies/{tenancy['tenancy_ref']}/markers", headers=headers).status_code
        == 200
    )


def test_safeguarding_lead_sees_people_not_money(client, as_user):
    tenancy = client.get("/tenancies?limit=1", headers=as_user("safeguarding1")).get_json()
    assert tenancy["items"][0]["account"] is None


def test_role_may_not_act_on_what_it_can_see(client, as_user):
    patch = own_patch(client, as_user, "officer1")
    me = client.get("/me", headers=as_user("officer1")).get_json()
    assert_problem(
        client.post(
            f"/patches/{patch['id']}/covers",
            headers=as_user("officer1"),
            json={"officer_id": me["id"], "start_date": "2030-01-01", "end_date": "2030-01-02"},
        ),
        403,
    )
    assert_problem(
        client.post("/teams", json={"name": "Rebels"}, headers=as_user("officer1")), 403
    )
    assert_problem(
        client.post(
            "/imports?kind=properties&format=csv", data=b"uprn\n", headers=as_user("leader1")
        ),
        403,
    )
    assert_problem(client.get("/patches/coverage", headers=as_user("officer1")), 403)


def test_account_history_keeps_every_snapshot_newest_first(client, as_user, db):
    ref = client.get("/tenancies?limit=1", headers=as_user("officer1")).get_json()["items"][0][
        "tenancy_ref"
    ]
    expected = [
        r[0]
        for r in db.execute(
            "SELECT as_of FROM account_snapshots WHERE tenancy_ref = ? ORDER BY as_of DESC", [ref]
        )
    ]
    assert len(expected) > 1
    pages = all_pages(client, f"/tenancies/{ref}/account-history", as_user("officer1"))
    assert [s["as_of"] for s in pages] == expected


def test_filters(client, as_user, db):
    headers = as_user("leader1")
    over = all_pages(client, "/tenancies?arrears_above=500", headers)
    assert over and all(t["account"]["balance"] > 500 for t in over)
    some = next(
        t
        for t in all_pages(client, "/tenancies", headers)
        if t["account"] and t["account"]["legal_stage"] != "none"
    )
    stage = some["account"]["legal_stage"]
    staged = all_pages(client, f"/tenancies?legal_stage={stage}", headers)
    assert some["tenancy_ref"] in {t["tenancy_ref"] for t in staged}
    assert all(t["account"]["legal_stage"] == stage for t in staged)
    postcode = some["postcode"]
    outward = postcode.split()[0]
    by_outward = all_pages(client, f"/properties?postcode={outward}", headers)
    assert by_outward and all(h["postcode"].split()[0] == outward for h in by_outward)
    exact = all_pages(client, f"/properties?postcode={postcode.replace(' ', '').lower()}", headers)
    assert exact and all(h["postcode"] == postcode for h in exact)
    garages = all_pages(client, "/properties?kind=garage", headers)
    assert all(h["kind"] == "garage" for h in garages)


def test_expired_and_future_markers_are_not_served(client, as_user, db, today):
    uprn, ref = db.execute("SELECT uprn, tenancy_ref FROM tenancies LIMIT 1").fetchone()
    day = timedelta(days=1)
    rows = [  # (marker_ref, start, end)
        ("T-ACTIVE", today - 30 * day, None),
        ("T-ENDS-TODAY", today - 30 * day, today),
        ("T-EXPIRED", today - 30 * day, today - day),
        ("T-FUTURE", today + day, None),
    ]
    body = (
        "marker_ref,uprn,tenancy_ref,code,description,source_incident,start_date,"
        "review_date,end_date\n"
        + "".join(
            f"{m},{uprn},{ref},verbal_abuse,Shouted at staff,IR-1,{start},"
            f"{start + 90 * day},{end or ''}\n"
            for m, start, end in rows
        )
    )
    result = client.post(
        "/imports?kind=markers&format=csv", data=body, headers=as_user("admin")
    ).get_json()
    assert result["inserted"] == 4, result
    home = client.get(f"/properties/{uprn}", headers=as_user("admin")).get_json()
    tenancy = client.get(f"/tenancies/{ref}/markers", headers=as_user("admin")).get_json()
    for served in (home["markers"], tenancy):
        refs = {m["marker_ref"] for m in served}
        assert {"T-ACTIVE", "T-ENDS-TODAY"} <= refs
        assert not {"T-EXPIRED", "T-FUTURE"} & refs


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 120), kind=st.sampled_from(["properties", "tenancies"]))
def test_keyset_pages_cover_every_record_once_in_order(client, as_user, limit, kind):
    key = "uprn" if kind == "properties" else "tenancy_ref"
    headers = as_user("leader2")
    seen, after = [], None
    while True:
        url = f"/{kind}?limit={limit}" + (f"&after={after}" if after is not None else "")
        body = client.get(url, headers=headers).get_json()
        assert len(body["items"]) <= limit
        seen += [item[key] for item in body["items"]]
        after = body["next_after"]
        if after is None:
            break
    everything = client.get(f"/{kind}?limit=1000", headers=headers).get_json()
    assert seen == sorted(seen) == [item[key] for item in everything["items"]]
    assert len(set(seen)) == len(seen) > 0
