"""The Pre-Action Protocol checklist: each requirement DOMAIN.md lists, judged from a
tenancy's evidence (sync.casework.evidence) as ``met``, ``not_met`` or ``not_applicable``,
with the evidence for it in words.

The protocol asks what the landlord *did*; Doorstep sees what was recorded: visits and
calls from phones, letters and accounts from the housing system. A requirement nothing
recorded shows is ``not_met``, saying what is missing, for the officer to find or do.
"""

from datetime import date, timedelta

from sync import codes

MET, NOT_MET, NOT_APPLICABLE = "met", "not_met", "not_applicable"
QUARTER = timedelta(weeks=14)  # at least quarterly, with a week's grace
UC_MONTHS = 52 / 12 * 2  # two months' rent, in weeks: when UC can pay arrears direct

REQUIREMENTS = {
    "early_contact": "Contacted the tenant as soon as reasonably possible about the cause "
    "of the arrears, their finances, benefit entitlement and repayment, writing to each "
    "named tenant separately",
    "affordable_arrangement": "Tried to agree affordable sums based on income and "
    "expenditure, and set out any time limits in writing",
    "benefits": "Arranged for arrears to be paid from benefit where the tenant qualifies, "
    "and helped with any claim for housing costs or Housing Benefit",
    "rent_statements": "Sent rent statements regularly (at least quarterly), showing rent "
    "due and sums received",
    "vulnerability": "Took steps to ensure the tenant understood, and considered early "
    "whether the tenant is vulnerable",
    "no_premature_claim": "Did not start proceedings while the tenant kept to an agreement "
    "(or while a benefit claim was pending and the rest was paid)",
    "discuss_and_hearing": "Offered to discuss the case or alternative dispute resolution "
    "before issuing, and told the tenant the date and time of any hearing",
    "up_to_date_statement": "An up-to-date rent statement for the court and the tenant "
    "before the hearing",
    "valid_notice": "The notice fits the tenure and its period, and the claim rests on it "
    "while it lives",
    "breathing_space": "No notice, claim or enforcement step for the moratorium debt during "
    "a Breathing Space",
}


def _item(code: str, status: str, evidence: list[str]) -> dict:
    return {
        "code": code,
        "requirement": REQUIREMENTS[code],
        "status": status,
        "evidence": evidence,
    }


def assess(ev: dict, statement: dict, today: date) -> list[dict]:
    """The checklist, in DOMAIN.md's order (the protocol's, then the court's)."""
    in_arrears = statement["arrears_began"] is not None
    legal = ev["notice"] or ((ev["account"] or {}).get("legal") or {})
    steps = in_arrears or bool(legal.get("notice_type") or legal.get("claim_date"))
    checks = (
        _early_contact,
        _affordable,
        _benefits,
        _statements,
        _vulnerability,
        _no_premature_claim,
        _discuss_and_hearing,
        _up_to_date,
        _valid_notice,
        _breathing_space,
    )
    out = []
    for check in checks:
        code, status, found = check(ev, statement, legal, today)
        if not steps and code not in ("valid_notice", "breathing_space"):
            status, found = NOT_APPLICABLE, ["Not in arrears and no legal steps."]
        out.append(_item(code, status, found))
    return out


def _letters(ev: dict, *types: str) -> list[dict]:
    return [c for c in ev["contacts"] if c["kind"] == "letter" and c["outcome"] in types]


def _reached(ev: dict) -> list[dict]:
    return [c for c in ev["contacts"] if c["kind"] == "contact" and c["outcome"] == "contact_made"]


def _early_contact(ev, statement, legal, today):
    found, missing = [], []
    reached = _reached(ev)
    if reached:
        first = reached[0]
        found.append(f"Contact made on {first['at'][:10]} ({first['channel']}, {first['by']}).")
    written = _letters(ev, "arrears_letter")
    for tenant in ev["tenants"]:
        mine = [x for x in written if x["record"]["person_ref"] == tenant["person_ref"]]
        if mine:
            found.append(f"Arrears letter to {tenant['name']} on {mine[0]['at']}.")
        else:
            missing.append(f"No arrears letter to {tenant['name']} on record.")
    if not reached and not written:
        missing.append("No contact made and no arrears letter on record.")
    return "early_contact", NOT_MET if missing else MET, found + missing


def _affordable(ev, statement, legal, today):
    found = []
    assessed = [o for o in ev["offers"] if o["income_expenditure"]]
    for o in assessed:
        ie = o["income_expenditure"]
        found.append(
            f"{o['source'].capitalize()} on {o['at'][:10]}: £{o['amount']:.2f} {o['frequency']}, "
            f"on income £{ie['income_monthly']:.2f} and expenditure "
            f"£{ie['expenditure_monthly']:.2f} a month."
        )
    in_writing = _letters(ev, "arrangement_confirmation", "income_expenditure_form")
    found += [f"{codes.LETTER_TYPES[x['outcome']]}: letter of {x['at']}." for x in in_writing]
    offered = [o for o in ev["offers"] if not o["income_expenditure"]]
    found += [
        f"{o['source'].capitalize()} on {o['at'][:10]}, with no income and expenditure recorded."
        for o in offered
    ]
    confirmed = _letters(ev, "arrangement_confirmation")
    if assessed or (confirmed and _letters(ev, "income_expenditure_form")):
        return "affordable_arrangement", MET, found
    found.append("No arrangement offered on income and expenditure, set out in writing.")
    return "affordable_arrangement", NOT_MET, found


def _benefits(ev, statement, legal, today):
    support = ev["support"]
    found = [f"{s['text']} ({s['via']}, {s['at'][:10]})." for s in support["steps"]]
    uc = support["universal_credit"] or {}
    if uc.get("managed_payment"):
        found.append("Universal Credit is paid direct to the landlord (managed payment).")
    if uc.get("deduction_weekly"):
        found.append(f"Universal Credit deduction of £{uc['deduction_weekly']:.2f} a week.")
    weeks = (ev["account"] or {}).get("arrears_weeks") or 0
    asked = any(s["what"] == "uc_managed_payment" for s in support["steps"])
    paid_direct = uc.get("managed_payment") or uc.get("deduction_weekly") or asked
    if support["benefit"] == "universal_credit" and weeks >= UC_MONTHS and not paid_direct:
        found.append(
            f"Arrears of {weeks:.1f} weeks on Universal Credit: no managed payment or "
            "deduction asked for on record."
        )
        return "benefits", NOT_MET, found
    if not support["steps"] and not found:
        return "benefits", NOT_MET, ["No help with benefits on record."]
    return "benefits", MET, found


def _statements(ev, statement, legal, today):
    sent = [date.fromisoformat(x["at"]) for x in _letters(ev, "rent_statement")]
    since = date.fromisoformat(statement["arrears_began"] or today.isoformat())
    since = max(since, today - timedelta(weeks=52))
    found = [f"{len(sent)} rent statements sent, the last on {sent[-1]}."] if sent else []
    gaps = []
    previous = since
    for d in [*(d for d in sent if d >= since), today]:
        if d - previous > QUARTER:
            gaps.append(f"No rent statement from {previous} to {d}.")
        previous = d
    if gaps:
        return "rent_statements", NOT_MET, found + gaps
    return "rent_statements", MET, found or ["Arrears began less than a quarter ago."]


def _vulnerability(ev, statement, legal, today):
    found, missing = [], []
    for person in ev["vulnerabilities"]:
        needs = [codes.VULNERABILITIES.get(v, v) for v in person["vulnerabilities"]]
        if person["interpreter_needed"]:
            needs.append(f"needs a {person['language'] or ''} interpreter".replace("  ", " "))
        if not needs:
            continue
        found.append(f"{person['name']}: {', '.join(needs)}.")
        if person["reasonable_adjustments"]:
            found.append(f"Adjustment made: {person['reasonable_adjustments']}.")
        else:
            missing.append(f"No adjustment recorded for {person['name']}.")
    reached = _reached(ev)
    if not found and reached:
        found.append(f"No vulnerability known; household seen on {reached[0]['at'][:10]}.")
    if not found and not reached:
        missing.append("No vulnerability known, and no contact made to consider it.")
    return "vulnerability", NOT_MET if missing else MET, found + missing


def _live_on(ev: dict, day: str) -> list[str]:
    """The arrangements live on ``day`` (the tenant keeping to an agreement)."""
    live = []
    imported = [h for h in ev["arrangements"]["imported"] if h["as_of"] <= day]
    if imported and imported[-1]["arrangement_status"] == "live":
        live.append(f"the housing system's arrangement (live on {imported[-1]['as_of']})")
    for a in ev["arrangements"]["doorstep"]:
        states = [h for h in a["history"] if h["at"][:10] <= day]
        if states and states[-1]["status"] == "live":
            live.append(f"the doorstep arrangement of {a['observed_at'][:10]}")
    return live


def _no_premature_claim(ev, statement, legal, today):
    claim = legal.get("claim_date")
    if not claim:
        return "no_premature_claim", NOT_APPLICABLE, ["No claim issued."]
    live = _live_on(ev, claim)
    if live:
        return "no_premature_claim", NOT_MET, [f"Claim of {claim} while {' and '.join(live)}."]
    return "no_premature_claim", MET, [f"No arrangement kept to when the claim of {claim} issued."]


def _discuss_and_hearing(ev, statement, legal, today):
    claim = legal.get("claim_date")
    if not claim and not legal.get("notice_type"):
        return "discuss_and_hearing", NOT_APPLICABLE, ["No notice or claim."]
    before = legal.get("claim_date") or today.isoformat()
    offered = [x for x in _letters(ev, "pre_action_letter") if x["at"] <= before]
    found = [f"Pre-action letter to {x['to']} on {x['at']}." for x in offered]
    missing = [] if offered else ["No offer to discuss the case or mediation on record."]
    hearing = legal.get("hearing_date")
    if hearing:
        told = _letters(ev, "hearing_letter")
        if told:
            found.append(f"Hearing of {hearing} told to the tenant on {told[0]['at']}.")
        else:
            missing.append(f"No letter telling the tenant of the hearing of {hearing}.")
    return "discuss_and_hearing", NOT_MET if missing else MET, found + missing


def _up_to_date(ev, statement, legal, today):
    hearing = legal.get("hearing_date")
    if not hearing or hearing < today.isoformat():
        return "up_to_date_statement", NOT_APPLICABLE, ["No hearing to come."]
    check = statement["account_check"]
    last = statement["last_transaction"]
    found = [f"Transactions held to {last}."] if last else ["No transactions held."]
    if check:
        verdict = "agrees" if check["agrees"] else "does not agree"
        found.append(
            f"Statement balance £{check['statement_balance'] or 0:.2f} on {check['as_of']} "
            f"{verdict} with the account (£{check['account_balance']:.2f})."
        )
    fresh = last is not None and date.fromisoformat(last) >= today - timedelta(days=14)
    agrees = bool(check and check["agrees"])
    return "up_to_date_statement", MET if fresh and agrees else NOT_MET, found


def _valid_notice(ev, statement, legal, today):
    validity = legal.get("notice_validity")
    if not legal.get("notice_type") or not validity:
        return "valid_notice", NOT_APPLICABLE, ["No notice served."]
    found = [
        f"{codes.NOTICE_TYPES[legal['notice_type']]} served {legal['notice_served_date']}, "
        f"naming {legal['notice_expiry_date'] or 'no date'}: {validity['status']}."
    ]
    found += [p["text"] for p in validity["problems"]]
    return "valid_notice", MET if validity["status"] == "valid" else NOT_MET, found


def _breathing_space(ev, statement, legal, today):
    periods = ev["breathing_spaces"]
    if not periods:
        return "breathing_space", NOT_APPLICABLE, ["No Breathing Space on record."]
    found, missing = [], []
    steps = [
        (legal.get(f), text)
        for f, text in (
            ("notice_served_date", "notice served"),
            ("claim_date", "claim issued"),
            ("warrant_date", "warrant applied for"),
            ("eviction_date", "eviction"),
        )
        if legal.get(f)
    ]
    for p in periods:
        end = p["end_date"] or "9999-12-31"
        found.append(
            f"Breathing Space ({p['type']}) from {p['start_date']} to {p['end_date'] or 'open'}."
        )
        missing += [
            f"A {text} on {d}, inside it." for d, text in steps if p["start_date"] <= d <= end
        ]
    return "breathing_space", NOT_MET if missing else MET, found + missing
