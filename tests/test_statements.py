"""The rent statement: the ``transactions`` and ``letters`` imports, the demo's history
agreeing with its account snapshots, and the statement's views (unit and HTTP). The
compact 13-week statement phones hold: tests/test_phone_statements.py."""

from datetime import date, timedelta

from sync.intake.run import import_file
from sync.records import statements
from tests.conftest import assert_problem

D = date.fromisoformat


def _in_arrears(db, patch_officer="officer1"):
    """A current tenancy in arrears in the officer's patch, its home and balance."""
    return db.execute(
        """SELECT t.tenancy_ref, t.uprn, s.balance FROM tenancies t
           JOIN account_snapshots s ON s.id = t.current_snapshot_id
           JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id
           JOIN users u ON u.id = p.officer_id
           WHERE u.username = ? AND s.balance > 50 AND t.end_date IS NULL
           ORDER BY t.tenancy_ref LIMIT 1""",
        [patch_officer],
    ).fetchone()


HEADER = "transaction_ref,tenancy_ref,posted_on,type,method,amount,description\n"


def _import(db, text: str, kind="transactions"):
    return import_file(db, text.encode(), kind=kind, fmt="csv", source="test.csv")


# --- the import -------------------------------------------------------------------------


def test_transactions_import_checks_each_row_and_is_idempotent_by_reference(db):
    ref, _, _ = _in_arrears(db)
    good = (
        f"X1,{ref},2026-01-05,charge,,90.50,Rent\n"
        f"X2,{ref},2026-01-06,payment,direct_debit,-90.50,\n"
        f"X3,{ref},2026-01-07,benefit,managed_payment,-20,\n"
    )
    bad = (
        f"X4,{ref},2026-01-07,payment,,-5,\n"  # line 5: a payment names its method
        f"X5,{ref},2026-01-07,charge,cash,5,\n"  # a charge names none
        f"X6,{ref},2026-01-07,benefit,cash,-5,\n"  # cash is not a benefit
        f"X7,{ref},2026-01-07,adjustment,,0,\n"  # zero moves nothing
        "X8,NO-SUCH,2026-01-07,charge,,5,\n"
        f"X1,{ref},2026-01-07,charge,,5,\n"  # the same reference twice in one file
        # Found by probing: each of these was stored.
        f"X9,{ref},2026-01-07,payment,card,-0.001,\n"  # a tenth of a penny
        f"X10,{ref},9999-12-31,charge,,5,\n"  # years ahead
        f"X11,{ref},2026-01-07,charge,,5,Rent\x00\n"  # a NUL in the text
    )
    run = _import(db, HEADER + good + bad)
    assert (run["inserted"], run["rejected"]) == (3, 9)
    errors = {e["line"]: e["errors"] for e in run["errors"]}
    assert list(errors[5]) == ["method"] and list(errors[6]) == ["method"]
    assert "managed_payment" in errors[7]["method"][0]
    assert errors[8] == {"amount": ["Must not be zero."]}
    assert "tenancy_ref" in errors[9] and "Duplicate of line 2" in errors[10]["transaction_ref"][0]
    assert errors[11] == {"amount": ["In pounds and pence: at most two decimal places."]}
    assert errors[12] == {"posted_on": ["More than a year ahead."]}
    assert errors[13] == {"description": ["Must not contain control characters."]}
    again = _import(db, HEADER + good)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    corrected = _import(db, HEADER + good.replace("-20,", "-25,"))
    assert (corrected["updated"], corrected["unchanged"]) == (1, 2)
    stored = db.execute("SELECT amount FROM rent_transactions WHERE transaction_ref = 'X3'")
    assert stored.fetchone()[0] == -25


def test_letters_import_names_a_known_tenant(db):
    ref, _, _ = _in_arrears(db)
    person = db.execute("SELECT person_ref FROM tenants WHERE tenancy_ref = ?", [ref]).fetchone()
    stranger = db.execute(
        "SELECT person_ref FROM tenants WHERE tenancy_ref != ? LIMIT 1", [ref]
    ).fetchone()[0]
    header = "letter_ref,tenancy_ref,person_ref,sent_on,type,description\n"
    run = _import(
        db,
        header
        + f"LX1,{ref},{person[0]},2026-01-05,arrears_letter,\n"
        + f"LX2,{ref},,2026-01-05,rent_statement,Quarterly\n"
        + f"LX3,{ref},P-NOBODY,2026-01-05,arrears_letter,\n"
        + f"LX4,{ref},,2026-01-05,a_postcard,\n"
        # Found by probing: a tenant of another tenancy was taken, and that tenancy's
        # purge then failed on the letter for good.
        + f"LX5,{ref},{stranger},2026-01-05,arrears_letter,\n"
        # A letter not sent yet, and dates in ISO 8601's other forms (Python takes them).
        + f"LX6,{ref},,2999-01-05,arrears_letter,\n"
        + f"LX7,{ref},,20260105,arrears_letter,\n"
        + f"LX8,{ref},,2026-W02-1,arrears_letter,\n",
        kind="letters",
    )
    assert (run["inserted"], run["rejected"]) == (2, 6)
    assert {e["line"]: list(e["errors"]) for e in run["errors"]} == {
        4: ["person_ref"],
        5: ["type"],
        6: ["person_ref"],
        7: ["sent_on"],
        8: ["sent_on"],
        9: ["sent_on"],
    }
    assert "do not go together" in run["errors"][2]["errors"]["person_ref"][0]


# --- the demo's history ------------------------------------------------------------------


def test_the_demo_statement_agrees_with_every_account_snapshot(db):
    """Every snapshot's balance is the statement's balance at the end of its day."""
    lines = {}
    for row in db.query("SELECT * FROM rent_transactions"):
        lines.setdefault(row["tenancy_ref"], []).append(row)
    checked = 0
    for ref, as_of, balance in db.execute(
        "SELECT tenancy_ref, as_of, balance FROM account_snapshots"
    ):
        held = statements._with_balances(sorted(lines[ref], key=statements._sort_key))
        assert statements.pence(statements.balance_on(held, as_of)) == statements.pence(balance), (
            ref,
            as_of,
        )
        checked += 1
    assert checked > 1000


def test_the_demo_keeps_two_years_for_arrears_and_legal_cases_and_13_weeks_else(db, today):
    rows = db.execute(
        """SELECT t.tenancy_ref, t.start_date, s.balance, s.legal_stage,
                  min(r.posted_on), sum(r.type = 'charge'), group_concat(DISTINCT r.method)
           FROM tenancies t JOIN account_snapshots s ON s.id = t.current_snapshot_id
           JOIN rent_transactions r ON r.tenancy_ref = t.tenancy_ref
           WHERE t.end_date IS NULL GROUP BY t.tenancy_ref"""
    ).fetchall()
    two_years = (today - timedelta(weeks=103)).isoformat()
    quarter = (today - timedelta(weeks=13)).isoformat()
    for ref, start, balance, stage, first, charges, _ in rows:
        weeks = (today - D(max(start, first))).days // 7
        if balance > 0 or stage != "none":  # two years, or since the tenancy began
            assert first <= max(two_years, start) and charges >= min(weeks, 103), ref
        else:
            assert first <= max(quarter, start) and charges <= 15, ref
    methods = {m for *_, found in rows for m in (found or "").split(",")}
    assert {"direct_debit", "housing_benefit", "managed_payment"} <= methods


# --- the statement ------------------------------------------------------------------------


def _line(ref, on, kind, amount, method=None):
    return {
        "transaction_ref": ref,
        "posted_on": on,
        "type": kind,
        "method": method,
        "amount": amount,
        "description": None,
    }


LEDGER = [
    _line("a", "2026-01-05", "opening", -10.0),
    _line("b", "2026-01-05", "charge", 100.0),
    _line("c", "2026-01-09", "payment", -90.0, "cash"),  # 0.00: clear
    _line("d", "2026-01-12", "charge", 100.0),  # arrears begin here
    _line("e", "2026-01-19", "charge", 100.0),
    _line("f", "2026-01-20", "benefit", -50.0, "housing_benefit"),
    _line("g", "2026-01-26", "charge", 100.0),
    _line("h", "2026-01-27", "payment", -150.0, "card"),  # 100.00 owed
]


def test_views_running_balance_arrears_start_and_breathing_space_split():
    lines = statements._with_balances(LEDGER)
    assert [x["balance"] for x in lines] == [-10, 90, 0, 100, 200, 150, 250, 100]
    assert statements.arrears_began(lines) == ("2026-01-12", False)
    since = statements.view(lines, "2026-01-12", "2026-01-31")
    assert (since["opening_balance"], since["charged"], since["paid"]) == (0, 300, 200)
    assert [w["balance"] for w in since["weeks"]] == [100, 150, 100]
    quarter = statements.statement(lines, D("2026-01-31"), None)["last_13_weeks"]
    assert quarter["from"] == "2025-11-03" and len(quarter["weeks"]) == 13
    assert quarter["opening_balance"] == -10  # the balance brought forward opens it
    assert quarter["charged"] == 400 and quarter["adjusted"] == 0
    # A Breathing Space from 19 January: 100.00 owed then is frozen; the ongoing rent
    # (200.00) is met by the 200.00 paid since, nothing beyond it.
    space = {"type": "standard", "start_date": "2026-01-19", "end_date": "2026-03-19"}
    split = statements.breathing_split(lines, space, D("2026-01-31"))
    assert split["moratorium_debt"] == 100 and split["ongoing_arrears"] == 0
    assert statements.breathing_split(lines, space, D("2026-01-18")) is None


def test_statement_through_http_for_finance_roles_only(client, as_user, db):
    ref, _, balance = _in_arrears(db)
    got = client.get(f"/tenancies/{ref}/statement", headers=as_user("leader1"))
    assert got.status_code == 200, got.get_json()
    body = got.get_json()
    assert body["account_check"]["agrees"] and body["balance"] == balance
    assert len(body["last_13_weeks"]["weeks"]) == 13
    assert body["since_arrears_began"]["from"] == body["arrears_began"]
    assert body["transactions"][-1]["balance"] == balance
    assert_problem(client.get(f"/tenancies/{ref}/statement", headers=as_user("repairs1")), 403)
    assert_problem(client.get(f"/tenancies/{ref}/statement", headers=as_user("officer4")), 404)
