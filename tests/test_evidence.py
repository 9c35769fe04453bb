"""The Pre-Action Protocol evidence and the court bundle: what a claim-stage tenancy's
evidence holds (through HTTP, after field work and letters), the checklist's rules as
named cases, and the PDF bundle, rendered and read back. The sample bundle is left in
var/bundles/ (untracked) for a person to look at."""

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from sync.casework import checklist
from tests.conftest import assert_problem
from tests.phone import Outbox, push

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "var" / "bundles"


def _claim_case(db):
    """A current claim-stage tenancy with the most transactions, and its officer."""
    return db.execute(
        """SELECT t.tenancy_ref, t.uprn, u.username FROM tenancies t
           JOIN account_snapshots s ON s.id = t.current_snapshot_id
           JOIN patch_properties pp ON pp.uprn = t.uprn JOIN patches p ON p.id = pp.patch_id
           JOIN users u ON u.id = p.officer_id
           WHERE s.legal_stage = 'claim' AND t.end_date IS NULL
           ORDER BY (SELECT count(*) FROM rent_transactions r
                     WHERE r.tenancy_ref = t.tenancy_ref) DESC LIMIT 1"""
    ).fetchone()


def _field_work(client, as_user, ref, uprn, officer):
    """A visit that offers an arrangement and benefit help, and the arrangement agreed on
    the doorstep with income and expenditure."""
    at = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    phone = Outbox()
    visit = phone.create(
        "visit",
        {
            "uprn": uprn,
            "tenancy_ref": ref,
            "outcome": "contact_made",
            "present": ["tenant"],
            "offers": ["arrangement", "benefit_claim_help", "debt_advice_referral"],
            "notes": "Talked through the statement.",
        },
        observed_at=at,
    )
    terms = {"amount": 12.5, "frequency": "weekly", "start_date": at[:10]}
    money = {"income_monthly": 1100, "expenditure_monthly": 1020}
    agreed = phone.create(
        "arrangement",
        {"tenancy_ref": ref, **terms, "income_expenditure": money, "visit_id": visit["entity_id"]},
        observed_at=at,
    )
    results = push(client, as_user(officer), visit, agreed)["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results


def test_a_claim_stage_tenancys_evidence_is_the_protocols_whole_record(client, as_user, db):
    ref, uprn, officer = _claim_case(db)
    _field_work(client, as_user, ref, uprn, officer)
    got = client.get(f"/tenancies/{ref}/evidence", headers=as_user(officer))
    assert got.status_code == 200, got.get_json()
    ev = got.get_json()
    assert ev["tenancy"]["tenancy_ref"] == ref and ev["tenants"]
    kinds = {c["kind"] for c in ev["contacts"]}
    assert kinds == {"contact", "letter"}  # visits from phones, letters from the system
    letters = [c for c in ev["contacts"] if c["kind"] == "letter"]
    assert {"arrears_reminder", "notice_cover_letter"} <= {x["outcome"] for x in letters}
    offer = next(o for o in ev["offers"] if o["income_expenditure"])
    assert offer["income_expenditure"]["income_monthly"] == 1100 and offer["amount"] == 12.5
    assert ev["arrangements"]["doorstep"][0]["history"][0]["status"] == "live"
    helped = {s["what"] for s in ev["support"]["steps"]}
    assert {"benefit_claim_help", "debt_advice_referral"} <= helped
    assert [v["person_ref"] for v in ev["vulnerabilities"]] == [
        t["person_ref"] for t in ev["tenants"]
    ]
    assert ev["notice"]["notice_validity"]["status"] in ("valid", "invalid", "lapsed")
    assert ev["statement"]["account_check"]["agrees"]
    checks = {c["code"]: c for c in ev["checklist"]}
    assert list(checks) == list(checklist.REQUIREMENTS)
    assert checks["affordable_arrangement"]["status"] == "met"
    assert "income £1100.00" in " ".join(checks["affordable_arrangement"]["evidence"])
    assert checks["valid_notice"]["status"] != "not_applicable"
    assert all(c["evidence"] for c in ev["checklist"])
    assert [e["at"] for e in ev["entries"]] == sorted(e["at"] for e in ev["entries"])
    assert {"contact", "letter", "arrangement", "legal"} <= {e["kind"] for e in ev["entries"]}
    assert_problem(client.get(f"/tenancies/{ref}/evidence", headers=as_user("repairs1")), 403)


def _pdf_text(data: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(BytesIO(data))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


def test_the_court_bundle_is_a_pdf_on_numbered_pages(client, as_user, db):
    ref, uprn, officer = _claim_case(db)
    _field_work(client, as_user, ref, uprn, officer)
    pdf = {"Accept": "application/pdf"}
    got = client.get(f"/tenancies/{ref}/evidence", headers=as_user(officer) | pdf)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.data.startswith(b"%PDF-")
    SAMPLE.mkdir(parents=True, exist_ok=True)
    (SAMPLE / "sample-claim-bundle.pdf").write_bytes(got.data)
    pages, text = _pdf_text(got.data)
    lead = db.execute(
        "SELECT first_name, last_name FROM tenants WHERE tenancy_ref = ? AND is_lead = 1", [ref]
    ).fetchone()
    assert "Claim for possession: rent arrears" in text[0] and ref in text[0]
    assert lead[1] in text[0] and "The parties" in text[0] and "The tenancy" in text[0]
    whole = "\n".join(text)
    for section in (
        "1. Chronology",
        "2. Rent statement",
        "3. Contact log",
        "4. Arrangements and offers",
        "6. Pre-Action Protocol checklist",
    ):
        assert section in whole, section
    assert "agrees with the rent account" in whole
    assert "Talked through" in whole  # the visit's notes, in the contact log
    for n, page in enumerate(text, start=1):
        assert f"Page {n} of {pages}" in page
    # The same bundle at its own address, for links; JSON stays the default.
    sibling = client.get(f"/tenancies/{ref}/bundle.pdf", headers=as_user(officer))
    assert sibling.mimetype == "application/pdf" and _pdf_text(sibling.data)[0] == pages
    json_too = client.get(f"/tenancies/{ref}/evidence", headers=as_user(officer))
    assert json_too.mimetype == "application/json"
    assert_problem(client.get(f"/tenancies/{ref}/bundle.pdf", headers=as_user("repairs1")), 403)
    assert_problem(client.get("/tenancies/NO-SUCH/bundle.pdf", headers=as_user(officer)), 404)


def test_the_bundle_prints_names_as_they_are_written(client, as_user, db):
    """Not their nearest Latin-1 letters: a court document names the parties exactly."""
    ref, _, officer = _claim_case(db)
    db.execute(
        "UPDATE tenants SET first_name = 'Łukasz', last_name = 'Wiśniewski-Nguyễn' "
        "WHERE tenancy_ref = ? AND is_lead = 1",
        [ref],
    )
    db.conn.commit()
    got = client.get(f"/tenancies/{ref}/bundle.pdf", headers=as_user(officer))
    assert got.status_code == 200
    _, text = _pdf_text(got.data)
    assert "Łukasz Wiśniewski-Nguyễn" in text[0]


def test_the_bundle_carries_long_notes_and_many_arrangements_over_pages(client, as_user, db):
    """A cell taller than a page (a visit's 4,000 characters of notes, with spaces or
    without; the checklist's evidence of many doorstep arrangements) goes on in the rows
    after it: every word is printed, and the bundle is made."""
    ref, uprn, officer = _claim_case(db)
    words = " ".join(f"word{n:04d}" for n in range(430))[:4000]
    unbroken = "ж" * 4000  # one word: no space to wrap at
    phone = Outbox()
    visits = [
        phone.create(
            "visit", {"uprn": uprn, "tenancy_ref": ref, "outcome": "no_access", "notes": notes}
        )
        for notes in (words, unbroken)
    ]
    arrangements = [
        phone.create(
            "arrangement",
            {
                "tenancy_ref": ref,
                "amount": 5 + n,
                "frequency": "weekly",
                "start_date": "2026-12-07",
            },
        )
        for n in range(60)
    ]
    results = push(client, as_user(officer), *visits, *arrangements)["results"]
    assert {r["status"] for r in results} == {"applied"}, results[:2]
    got = client.get(f"/tenancies/{ref}/bundle.pdf", headers=as_user(officer))
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    _, text = _pdf_text(got.data)
    whole = "".join(text)
    assert "word0000" in whole and "word0399" in whole
    assert whole.count("ж") == 4000  # the unbroken note, whole, over its lines
    assert all(f"£{5 + n:.2f}" in whole for n in (0, 59))


def test_the_bundle_is_declared_in_the_openapi(client):
    spec = client.get("/openapi.json").get_json()
    evidence = spec["paths"]["/tenancies/{tenancy_ref}/evidence"]["get"]["responses"]["200"]
    assert {"application/json", "application/pdf"} <= set(evidence["content"])
    sibling = spec["paths"]["/tenancies/{tenancy_ref}/bundle.pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in sibling["content"]


# --- the checklist's rules, as named cases -------------------------------------------------


def _evidence(**over) -> dict:
    tenants = [
        {"person_ref": "P1", "name": "Ann Lee", "is_lead": True},
        {"person_ref": "P2", "name": "Bo Lee", "is_lead": False},
    ]
    base = {
        "tenants": tenants,
        "contacts": [],
        "offers": [],
        "arrangements": {"imported": [], "doorstep": []},
        "support": {"benefit": "none", "universal_credit": None, "steps": []},
        "vulnerabilities": [
            t
            | {
                "vulnerabilities": [],
                "reasonable_adjustments": None,
                "language": None,
                "interpreter_needed": False,
            }
            for t in tenants
        ],
        "breathing_spaces": [],
        "notice": None,
        "account": {"arrears_weeks": 4.0, "legal": {}},
    }
    return base | over


def _letter(on: str, kind: str, person=None) -> dict:
    return {
        "kind": "letter",
        "at": on,
        "channel": "letter",
        "outcome": kind,
        "by": "housing system",
        "to": person or "the household",
        "record": {"person_ref": person},
    }


STATEMENT = {"arrears_began": "2026-01-05", "account_check": None, "last_transaction": None}
TODAY = datetime(2026, 6, 1).date()


def _status(code: str, ev: dict, statement=STATEMENT) -> str:
    return next(c for c in checklist.assess(ev, statement, TODAY) if c["code"] == code)["status"]


CASES = [
    pytest.param(
        "early_contact",
        _evidence(contacts=[_letter("2026-01-20", "arrears_letter", "P1")]),
        "not_met",
        id="arrears-letter-to-one-of-two-tenants",
    ),
    pytest.param(
        "early_contact",
        _evidence(contacts=[_letter("2026-01-20", "arrears_letter", p) for p in ("P1", "P2")]),
        "met",
        id="arrears-letter-to-each-tenant",
    ),
    pytest.param(
        "rent_statements",
        _evidence(contacts=[_letter("2026-02-01", "rent_statement")]),
        "not_met",
        id="no-statement-for-four-months",
    ),
    pytest.param(
        "rent_statements",
        _evidence(contacts=[_letter(d, "rent_statement") for d in ("2026-03-01", "2026-05-25")]),
        "met",
        id="statements-quarterly",
    ),
    pytest.param(
        "no_premature_claim",
        _evidence(
            notice={"notice_type": "nosp", "claim_date": "2026-04-01"},
            arrangements={
                "imported": [{"as_of": "2026-03-28", "arrangement_status": "live"}],
                "doorstep": [],
            },
        ),
        "not_met",
        id="claim-while-an-arrangement-was-kept",
    ),
    pytest.param(
        "no_premature_claim",
        _evidence(),
        "not_applicable",
        id="no-claim",
    ),
    pytest.param(
        "benefits",
        _evidence(
            support={"benefit": "universal_credit", "universal_credit": {}, "steps": []},
            account={"arrears_weeks": 10.0, "legal": {}},
        ),
        "not_met",
        id="uc-two-months-behind-no-managed-payment-asked",
    ),
    pytest.param(
        "breathing_space",
        _evidence(
            notice={"notice_type": "nosp", "notice_served_date": "2026-03-10"},
            breathing_spaces=[
                {"type": "standard", "start_date": "2026-03-01", "end_date": "2026-04-30"}
            ],
        ),
        "not_met",
        id="notice-served-inside-a-breathing-space",
    ),
    pytest.param(
        "vulnerability",
        _evidence(
            vulnerabilities=[
                {
                    "person_ref": "P1",
                    "name": "Ann Lee",
                    "vulnerabilities": ["mental_health"],
                    "reasonable_adjustments": None,
                    "language": None,
                    "interpreter_needed": False,
                }
            ]
        ),
        "not_met",
        id="vulnerable-with-no-adjustment",
    ),
]


@pytest.mark.parametrize("code, evidence, expected", CASES)
def test_checklist_rules(code, evidence, expected):
    assert _status(code, evidence) == expected


def test_nothing_applies_without_arrears_or_legal_steps():
    quiet = {**STATEMENT, "arrears_began": None}
    items = checklist.assess(_evidence(), quiet, TODAY)
    assert {c["status"] for c in items} == {"not_applicable"}


def test_drawing_a_bundle_logs_nothing_of_its_fonts(client, as_user, db, caplog):
    """The server's log is JSON lines: fontTools' plain-text notes on what it kept of a
    font, some twenty a bundle, stay out of it."""
    import logging

    caplog.set_level(logging.INFO)
    ref, _, officer = _claim_case(db)
    got = client.get(f"/tenancies/{ref}/bundle.pdf", headers=as_user(officer))
    assert got.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("fontTools")] == []
