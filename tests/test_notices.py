"""Notice validity by tenure and law (DOMAIN.md's table), as named cases; then through the
import (stored, warned of by line and rule), the tenancy, the evidence and the priority."""

from datetime import date, timedelta

import pytest

from server.cli import main
from sync.records import notices

D = date.fromisoformat
MONDAY = "2025-01-06"  # a tenancy starting on a Monday: its weeks end on Sundays
TODAY = D("2026-12-06")


def broken(tenure, notice_type, served, expiry, claim=None, today=TODAY, start=MONDAY):
    account = {
        "notice_type": notice_type,
        "notice_served_date": served,
        "notice_expiry_date": expiry,
        "claim_date": claim,
    }
    return [p["rule"] for p in notices.problems(tenure, start, account, today)]


# (tenure, notice type, served, the date it names, the rules it breaks)
PERIODS = [
    pytest.param("secure", "nosp", "2026-06-01", "2026-06-29", [], id="nosp-secure-4-weeks"),
    pytest.param("flexible", "nosp", "2026-06-01", "2026-07-03", [], id="nosp-flexible-longer"),
    pytest.param(
        "secure", "nosp", "2026-06-01", "2026-06-28", ["notice-period"], id="nosp-27-days"
    ),
    pytest.param(
        "secure", "nosp", "2026-06-01", "2026-06-08", ["notice-period"], id="nosp-7-days"
    ),
    pytest.param(
        "assured", "nosp", "2026-06-01", "2026-06-29", ["notice-type"], id="nosp-assured"
    ),
    pytest.param(
        "secure", "section_8", "2026-06-01", "2026-06-29", ["notice-type"], id="s8-on-secure"
    ),
    pytest.param(
        "assured", "section_8", "2026-04-16", "2026-04-30", [], id="s8-2-weeks-before-reform"
    ),
    pytest.param(
        "assured", "section_8", "2026-04-30", "2026-05-14", [], id="s8-2-weeks-served-30-april"
    ),
    pytest.param(
        "assured",
        "section_8",
        "2026-05-01",
        "2026-05-15",
        ["notice-period"],
        id="s8-2-weeks-served-1-may",
    ),
    pytest.param("starter", "section_8", "2026-05-01", "2026-05-29", [], id="s8-starter-4-weeks"),
    pytest.param(
        "assured",
        "section_8",
        "2026-04-16",
        "2026-04-29",
        ["notice-period"],
        id="s8-13-days-before-reform",
    ),
    pytest.param(
        "introductory", "notice_of_proceedings", "2025-06-02", "2025-06-30", [], id="nop-4-weeks"
    ),
    pytest.param(
        "introductory",
        "notice_of_proceedings",
        "2025-06-02",
        "2025-06-23",
        ["notice-period"],
        id="nop-3-weeks",
    ),
    pytest.param(
        "secure",
        "notice_of_proceedings",
        "2026-06-01",
        "2026-06-29",
        ["notice-type"],
        id="nop-on-secure",
    ),
    pytest.param(
        "introductory",
        "notice_to_quit",
        "2025-06-02",
        "2025-07-06",
        ["notice-type"],
        id="ntq-on-introductory",
    ),
    pytest.param(
        "non_secure", "notice_to_quit", "2026-06-01", "2026-07-05", [], id="ntq-ends-a-week"
    ),
    pytest.param(
        "non_secure",
        "notice_to_quit",
        "2026-06-01",
        "2026-07-01",
        ["notice-period-end"],
        id="ntq-mid-week",
    ),
    pytest.param(
        "non_secure",
        "notice_to_quit",
        "2026-06-01",
        "2026-06-10",
        ["notice-period", "notice-period-end"],
        id="ntq-9-days",
    ),
    pytest.param(
        "garage", "notice_to_quit", "2026-06-01", "2026-07-05", ["notice-type"], id="ntq-garage"
    ),
    pytest.param("garage", "nosp", "2026-06-01", "2026-06-29", ["notice-type"], id="nosp-garage"),
    pytest.param(
        "secure", "nosp", "2026-06-01", None, ["notice-expiry-missing"], id="nosp-no-date"
    ),
]


@pytest.mark.parametrize(("tenure", "notice_type", "served", "expiry", "rules"), PERIODS)
def test_notice_periods_by_type_and_tenure(tenure, notice_type, served, expiry, rules):
    checked = D(served) + timedelta(days=35)  # soon after: not yet lapsed
    assert broken(tenure, notice_type, served, expiry, today=checked) == rules


# (tenure, type, served, date named, claim, today, the rules broken)
CLAIMS = [
    pytest.param(
        "secure",
        "nosp",
        "2026-06-01",
        "2026-06-29",
        "2026-06-22",
        ["claim-too-early"],
        id="claim-before-the-date",
    ),
    pytest.param(
        "secure", "nosp", "2026-06-01", "2026-06-29", "2026-06-29", [], id="claim-on-the-date"
    ),
    pytest.param(
        "secure", "nosp", "2025-01-06", "2025-02-03", "2026-02-03", [], id="claim-12-months-on"
    ),
    pytest.param(
        "secure",
        "nosp",
        "2024-01-08",
        "2024-02-05",
        "2025-11-05",
        ["claim-after-lapse"],
        id="claim-21-months-on",
    ),
    pytest.param(
        "assured",
        "section_8",
        "2025-01-06",
        "2025-01-20",
        "2026-01-20",
        ["claim-after-lapse"],
        id="s8-claim-12-months-after-service-and-more",
    ),
    pytest.param(
        "non_secure",
        "notice_to_quit",
        "2026-06-01",
        "2026-07-05",
        "2026-07-05",
        ["claim-too-early"],
        id="ntq-claim-the-day-it-ends",
    ),
    pytest.param(
        "introductory",
        "notice_of_proceedings",
        "2025-06-02",
        "2025-06-30",
        "2026-07-07",
        ["claim-after-lapse"],
        id="nop-claim-after-18-months",
    ),
]


@pytest.mark.parametrize(("tenure", "notice_type", "served", "expiry", "claim", "rules"), CLAIMS)
def test_a_claim_comes_after_the_notice_allows_and_within_its_life(
    tenure, notice_type, served, expiry, claim, rules
):
    assert broken(tenure, notice_type, served, expiry, claim) == rules


def test_a_notice_not_acted_on_lapses():
    account = {
        "notice_type": "nosp",
        "notice_served_date": "2025-06-02",
        "notice_expiry_date": "2025-06-30",
    }
    before = notices.validity("secure", MONDAY, account, D("2026-06-30"))
    after = notices.validity("secure", MONDAY, account, D("2026-07-01"))
    assert before == {"status": "valid", "problems": []}
    assert after["status"] == "lapsed" and after["problems"][0]["rule"] == "notice-lapsed"
    assert notices.validity("secure", MONDAY, {"notice_type": None}, TODAY) is None


def test_old_files_notice_to_quit_on_an_introductory_tenancy_is_a_notice_of_proceedings():
    assert notices.import_type("notice_to_quit", "introductory") == "notice_of_proceedings"
    assert notices.import_type("notice_to_quit", "non_secure") == "notice_to_quit"
    assert notices.import_type("nosp", "introductory") == "nosp"
    assert notices.add_months(D("2024-02-29"), 12) == D("2025-02-28")


# --- through the import, the tenancy, the evidence and the priority ----------------------

HEADER = (
    "tenancy_ref,as_of,balance,benefit,notice_type,notice_served_date,notice_expiry_date,"
    "claim_date\n"
)


def _secure_tenancy(db, username="officer1"):
    """A current secure tenancy of the officer's patch, and its current balance."""
    return db.execute(
        "SELECT t.tenancy_ref, s.balance FROM tenancies t JOIN patch_properties pp "
        "ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id JOIN users u "
        "ON u.id = p.officer_id JOIN account_snapshots s ON s.id = t.current_snapshot_id "
        "WHERE u.username = ? AND t.end_date IS NULL AND t.tenure = 'secure' "
        "ORDER BY t.tenancy_ref LIMIT 2",
        [username],
    ).fetchall()


def test_a_defective_notice_is_stored_warned_of_and_shown(client, as_user, db, today):
    (short, _), (wrong, _) = _secure_tenancy(db)
    served = today - timedelta(days=5)
    rows = (
        f"{short},{today},987.65,none,nosp,{served},{served + timedelta(days=7)},\n"
        f"{wrong},{today},432.10,none,section_8,{served},{served + timedelta(days=28)},\n"
    )
    response = client.post(
        "/imports?kind=accounts&format=csv", data=HEADER + rows, headers=as_user("admin")
    )
    assert response.status_code == 201
    run = response.get_json()
    assert (run["inserted"] + run["updated"], run["rejected"], run["warnings"]) == (2, 0, 2)
    assert [(w["line"], w["rule"], w["field"]) for w in run["warning_lines"]] == [
        (2, "notice-period", "notice_expiry_date"),
        (3, "notice-type", "notice_type"),
    ]
    assert "7 days" in run["warning_lines"][0]["message"]
    detail = client.get(f"/imports/{run['id']}", headers=as_user("admin")).get_json()
    assert detail["warnings"] == 2 and detail["warning_lines"] == run["warning_lines"]

    # Tonight's balance is kept; the notice is marked invalid on the tenancy.
    tenancy = client.get(f"/tenancies/{short}", headers=as_user("officer1")).get_json()
    assert tenancy["account"]["balance"] == 987.65
    validity = tenancy["account"]["legal"]["notice_validity"]
    assert validity["status"] == "invalid"
    assert validity["problems"][0]["rule"] == "notice-period"
    other = client.get(f"/tenancies/{wrong}", headers=as_user("officer1")).get_json()
    assert other["account"]["legal"]["notice_validity"]["problems"][0]["rule"] == "notice-type"
    evidence = client.get(f"/tenancies/{short}/evidence", headers=as_user("officer1")).get_json()
    assert evidence["notice"]["notice_type"] == "nosp"
    assert evidence["notice"]["notice_validity"]["status"] == "invalid"

    # The notice "expires in 2 days", but the priority urges nothing resting on it.
    priority = client.get(f"/tenancies/{short}/priority", headers=as_user("officer1")).get_json()
    reasons = {r["code"]: r for r in priority["reasons"]}
    assert reasons["notice-expiring"]["suppressed"] == "The notice is invalid"
    assert reasons["notice-invalid"]["kind"] == "legal"
    assert "7 days" in reasons["notice-invalid"]["text"]


def test_a_valid_notice_and_an_old_files_notice_to_quit_raise_no_warning(
    client, as_user, db, today
):
    (ref, _), _ = _secure_tenancy(db)
    served = today - timedelta(days=5)
    row = f"{ref},{today},120.00,none,nosp,{served},{served + timedelta(days=28)},\n"
    run = client.post(
        "/imports?kind=accounts&format=csv", data=HEADER + row, headers=as_user("admin")
    ).get_json()
    assert (run["inserted"] + run["updated"], run["warnings"], run["warning_lines"]) == (1, 0, [])
    tenancy = client.get(f"/tenancies/{ref}", headers=as_user("officer1")).get_json()
    assert tenancy["account"]["legal"]["notice_validity"] == {"status": "valid", "problems": []}
    priority = client.get(f"/tenancies/{ref}/priority", headers=as_user("officer1")).get_json()
    assert "notice-invalid" not in {r["code"] for r in priority["reasons"]}

    intro = db.execute(
        "SELECT tenancy_ref, start_date FROM tenancies WHERE tenure = 'introductory' LIMIT 1"
    ).fetchone()
    start = D(intro[1])
    served = max(start, today - timedelta(days=60))
    ends = served + timedelta(days=28)
    old = f"{intro[0]},{today},50.00,none,notice_to_quit,{served},{ends},\n"
    run = client.post(
        "/imports?kind=accounts&format=csv", data=HEADER + old, headers=as_user("admin")
    ).get_json()
    assert run["rejected"] == 0
    stored = db.execute(
        "SELECT s.notice_type FROM tenancies t JOIN account_snapshots s "
        "ON s.id = t.current_snapshot_id WHERE t.tenancy_ref = ?",
        [intro[0]],
    ).fetchone()
    assert stored == ("notice_of_proceedings",)
    assert "notice-type" not in {w["rule"] for w in run["warning_lines"]}


def test_a_non_secure_tenancy_takes_a_notice_to_quit(client, as_user, db, today):
    (uprn,) = db.execute("SELECT uprn FROM tenancies LIMIT 1").fetchone()
    start = today - timedelta(days=today.weekday() + 7 * 20)  # a Monday
    tenancy = "tenancy_ref,uprn,tenure,start_date,weekly_rent\n"
    tenancy += f"TEMP-1,{uprn},non_secure,{start},95.00\n"
    run = client.post(
        "/imports?kind=tenancies&format=csv", data=tenancy, headers=as_user("admin")
    ).get_json()
    assert (run["inserted"], run["rejected"]) == (1, 0), run
    served = today - timedelta(days=today.weekday())  # this Monday
    rows = (
        f"TEMP-1,{today - timedelta(days=1)},300.00,none,notice_to_quit,{served},"
        f"{served + timedelta(days=34)},\n"
        f"TEMP-1,{today},310.00,none,notice_to_quit,{served},{served + timedelta(days=9)},\n"
    )
    run = client.post(
        "/imports?kind=accounts&format=csv", data=HEADER + rows, headers=as_user("admin")
    ).get_json()
    assert [(w["line"], w["rule"]) for w in run["warning_lines"]] == [
        (3, "notice-period"),
        (3, "notice-period-end"),
    ]


def test_the_command_prints_each_warning_with_its_line_and_rule(db_path, db, capsys, today):
    (ref, _), _ = _secure_tenancy(db)
    served = today - timedelta(days=30)
    path = db_path.parent / "accounts-tonight.csv"
    path.write_text(
        HEADER + f"{ref},{today},640.00,none,nosp,{served},{served + timedelta(days=28)},"
        f"{served + timedelta(days=20)}\n"
    )
    assert main(["--database", str(db_path), "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rejected 0, warnings 1" in out
    assert "line 2: warning claim-too-early (claim_date):" in out
