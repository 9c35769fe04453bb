"""A tenancy's Pre-Action Protocol evidence: everything a possession claim for rent arrears
must be able to show, gathered in one read (DOMAIN.md, "Arrears recovery").

- every contact attempt: visits, calls and texts recorded on phones, and the letters the
  housing system sent (the import's ``letters``), each to whom;
- each offer of an affordable arrangement, with its income and expenditure;
- the arrangements, the housing system's (their changes snapshot by snapshot) and those
  agreed on the doorstep (made, status changes, breaches with the reason);
- help with benefits and referrals to debt advice, on visits and in letters, and the
  Universal Credit steps the account shows;
- the vulnerabilities known and the adjustments made, tenant by tenant;
- the Breathing Space periods the account snapshots have shown;
- the notice and claim with the notice's validity;
- the rent statement's summary (sync.records.statements);
- the protocol checklist (sync.casework.checklist).

``entries`` keeps every dated item in one chronology. Finance roles only, in scope.
"""

from datetime import date

import orjson
from sqlite_utils import Database

from sync import codes
from sync.access.scope import Caller
from sync.casework import checklist
from sync.clock import london_today
from sync.errors import Forbidden
from sync.records import statements, tenancies
from sync.records.arrangements import ARRANGEMENT_COLUMNS, PROMISE_COLUMNS, arrangement_out
from sync.records.visits import VISIT_COLUMNS, visit_out

_ARRANGEMENT_FIELDS = (
    "arrangement_amount",
    "arrangement_frequency",
    "arrangement_start",
    "arrangement_status",
)
_HELP = ("benefit_claim_help", "dhp", "uc_managed_payment", "debt_advice_referral")
_HELP_LETTERS = ("benefit_advice", "debt_advice")


def protocol_evidence(
    db: Database, caller: Caller, tenancy_ref: str, today: date | None = None
) -> dict:
    """The whole record (see the module), for the API and the court bundle."""
    today = today or london_today()
    tenancy = tenancies.find_tenancy(db, caller, tenancy_ref, today)
    if not caller.sees_finance:
        raise Forbidden(f"{caller.a_role} may not see arrears evidence.")
    people = [
        tenancies.tenant_out(r)
        for r in db.query(
            f"SELECT {tenancies.TENANT_COLUMNS} FROM tenants WHERE tenancy_ref = ? "
            "ORDER BY is_lead DESC, person_ref",
            [tenancy_ref],
        )
    ]
    snapshots = list(
        db.query(
            f"SELECT {tenancies.SNAPSHOT_COLUMNS} FROM account_snapshots WHERE tenancy_ref = ? "
            "ORDER BY as_of",
            [tenancy_ref],
        )
    )
    current = next((s for s in snapshots if s["id"] == tenancy["current_snapshot_id"]), None)
    account = tenancies.account_out(dict(current), today, tenancy) if current else None
    visits = _visits(db, tenancy_ref)
    letters = _letters(db, tenancy_ref, {p["person_ref"]: p for p in people})
    doorstep = _doorstep_arrangements(db, tenancy_ref)
    promises = list(
        db.query(
            f"SELECT {PROMISE_COLUMNS}, v.observed_at FROM promises p "
            "JOIN visits v ON v.id = p.id WHERE p.tenancy_ref = ?",
            [tenancy_ref],
        )
    )
    statement = statements.tenancy_statement(db, tenancy_ref, today)
    evidence = {
        "tenancy_ref": tenancy_ref,
        "as_of": today.isoformat(),
        "tenancy": _tenancy(tenancy),
        "tenants": [_party(p) for p in people],
        "account": account,
        "contacts": [*visits, *letters],
        "offers": _offers(visits, doorstep),
        "arrangements": {"imported": _imported_history(snapshots), "doorstep": doorstep},
        "promises": promises,
        "support": _support(visits, letters, account),
        "vulnerabilities": [_needs(p) for p in people],
        "breathing_spaces": _breathing_spaces(snapshots),
        "notice": account["legal"] if account and account["legal"]["notice_type"] else None,
        "statement": {k: statement[k] for k in ("balance", "arrears_began", "account_check")}
        | {"first_transaction": statement["first_transaction"]},
    }
    evidence["contacts"].sort(key=lambda c: c["at"])
    evidence["entries"] = _chronology(evidence)
    evidence["checklist"] = checklist.assess(evidence, statement, today)
    return evidence


def _tenancy(row: dict) -> dict:
    address = [row["address_line_1"], row["address_line_2"], row["post_town"], row["postcode"]]
    return {
        "tenancy_ref": row["tenancy_ref"],
        "uprn": row["uprn"],
        "address": ", ".join(a for a in address if a),
        "tenure": row["tenure"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "weekly_rent": row["weekly_rent"],
    }


def _name(p: dict) -> str:
    return " ".join(x for x in (p["title"], p["first_name"], p["last_name"]) if x)


def _party(p: dict) -> dict:
    return {
        "person_ref": p["person_ref"],
        "name": _name(p),
        "is_lead": p["is_lead"],
        "date_of_birth": p["date_of_birth"],
        "preferred_contact": p["preferred_contact"],
    }


def _needs(p: dict) -> dict:
    return {
        "person_ref": p["person_ref"],
        "name": _name(p),
        "vulnerabilities": p["vulnerabilities"],
        "reasonable_adjustments": p["reasonable_adjustments"],
        "language": p["language"],
        "interpreter_needed": p["interpreter_needed"],
    }


def _visits(db: Database, tenancy_ref: str) -> list[dict]:
    """Every contact attempt recorded on a phone, with the officer and any correction."""
    columns = ", ".join(f"v.{c}" for c in VISIT_COLUMNS.split(", "))
    out = []
    for row in db.query(
        f"SELECT {columns}, u.username AS officer, "
        "(SELECT group_concat(c.id) FROM visits c WHERE c.corrects = v.id) AS corrected_by "
        "FROM visits v JOIN users u ON u.id = v.officer_id WHERE v.tenancy_ref = ?",
        [tenancy_ref],
    ):
        corrected_by = row.pop("corrected_by")
        row["corrected_by"] = corrected_by.split(",") if corrected_by else []
        record = visit_out(row)
        out.append(
            {
                "kind": "contact",
                "at": record["observed_at"],
                "channel": record["channel"],
                "outcome": record["outcome"],
                "by": record["officer"],
                "to": None,
                "record": record,
            }
        )
    return out


def _letters(db: Database, tenancy_ref: str, people: dict) -> list[dict]:
    """The housing system's letters, each to the tenant it names (or the household)."""
    out = []
    for row in db.query(
        "SELECT letter_ref, person_ref, sent_on, type, description FROM letters "
        "WHERE tenancy_ref = ? ORDER BY sent_on, letter_ref",
        [tenancy_ref],
    ):
        person = people.get(row["person_ref"])
        out.append(
            {
                "kind": "letter",
                "at": row["sent_on"],
                "channel": "letter",
                "outcome": row["type"],
                "by": "housing system",
                "to": _name(person) if person else "the household",
                "record": row,
            }
        )
    return out


def _doorstep_arrangements(db: Database, tenancy_ref: str) -> list[dict]:
    """Arrangements agreed on phones, each with its history: made, then each status a
    phone set, then the status the account checks gave it (a breach, with the reason)."""
    out = []
    for row in db.query(
        f"SELECT {ARRANGEMENT_COLUMNS} FROM arrangements WHERE tenancy_ref = ? "
        "AND source = 'device' ORDER BY observed_at",
        [tenancy_ref],
    ):
        record = arrangement_out(row)
        history = [{"at": record["observed_at"], "status": "live", "by": "agreed on a visit"}]
        for observed, body in db.execute(
            "SELECT observed_at, body FROM mutations WHERE entity_type = 'arrangement' "
            "AND entity_id = ? AND op = 'update' AND status = 'applied' ORDER BY received_at",
            [record["id"]],
        ):
            status = orjson.loads(body).get("payload", {}).get("status")
            if status:
                history.append({"at": observed, "status": status, "by": "changed on a phone"})
        if record["checked_at"] and record["status"] != history[-1]["status"]:
            history.append(
                {
                    "at": record["checked_at"],
                    "status": record["status"],
                    "by": "account check",
                    "reason": record["status_reason"],
                }
            )
        out.append(record | {"history": history})
    return out


def _imported_history(snapshots: list[dict]) -> list[dict]:
    """The housing system's arrangement as the snapshots show it, at each change."""
    out, last = [], None
    for s in snapshots:
        now = tuple(s[f] for f in _ARRANGEMENT_FIELDS)
        if now != last and (any(now) or last):
            out.append({"as_of": s["as_of"], **dict(zip(_ARRANGEMENT_FIELDS, now, strict=True))})
        last = now
    return out


def _offers(visits: list[dict], doorstep: list[dict]) -> list[dict]:
    """Each offer of an affordable arrangement: on a visit, or agreed on the doorstep,
    with the income and expenditure it rested on (None: none was recorded)."""
    offers = [
        {
            "at": a["observed_at"],
            "source": "doorstep arrangement",
            "amount": a["amount"],
            "frequency": a["frequency"],
            "status": a["status"],
            "income_expenditure": a["income_expenditure"] or None,
        }
        for a in doorstep
    ]
    agreed = {a["visit_id"] for a in doorstep if a.get("visit_id")}
    for v in visits:
        if "arrangement" in v["record"]["offers"] and v["record"]["id"] not in agreed:
            offers.append(
                {
                    "at": v["at"],
                    "source": "offered on a visit",
                    "amount": None,
                    "frequency": None,
                    "status": None,
                    "income_expenditure": None,
                }
            )
    return sorted(offers, key=lambda o: o["at"])


def _support(visits: list[dict], letters: list[dict], account: dict | None) -> dict:
    """Help with benefits and debt advice, and the benefit steps the account shows."""
    steps = [
        {"at": v["at"], "what": offer, "text": codes.OFFERS[offer], "via": v["channel"]}
        for v in visits
        for offer in v["record"]["offers"]
        if offer in _HELP
    ]
    steps += [
        {"at": x["at"], "what": x["outcome"], "text": codes.LETTER_TYPES[x["outcome"]]}
        | {"via": "letter"}
        for x in letters
        if x["outcome"] in _HELP_LETTERS
    ]
    return {
        "benefit": account["benefit"] if account else None,
        "universal_credit": account["universal_credit"] if account else None,
        "steps": sorted(steps, key=lambda s: s["at"]),
    }


def _breathing_spaces(snapshots: list[dict]) -> list[dict]:
    """Each Breathing Space the snapshots have shown, with when it was first and last seen."""
    seen: dict[tuple, dict] = {}
    for s in snapshots:
        if s["breathing_space_start"]:
            key = (s["breathing_space_type"], s["breathing_space_start"])
            period = seen.setdefault(
                key,
                {"type": key[0], "start_date": key[1], "first_seen": s["as_of"]},
            )
            period["end_date"] = s["breathing_space_end"]
            period["last_seen"] = s["as_of"]
    return list(seen.values())


def _chronology(evidence: dict) -> list[dict]:
    """Every dated item in one list, oldest first."""
    entries = [
        {"kind": c["kind"], "at": c["at"], "summary": _contact_summary(c), "record": c["record"]}
        for c in evidence["contacts"]
    ]
    for a in evidence["arrangements"]["doorstep"]:
        entries.append(
            {
                "kind": "arrangement",
                "at": a["observed_at"],
                "summary": f"Arrangement of £{a['amount']:.2f} {a['frequency']} ({a['status']})",
                "record": a,
            }
        )
    for p in evidence["promises"]:
        at = p.pop("observed_at")
        entries.append(
            {
                "kind": "promise",
                "at": at,
                "summary": f"Promise of £{p['amount']:.2f} by {p['due_date']} ({p['status']})",
                "record": p,
            }
        )
    for h in evidence["arrangements"]["imported"]:
        entries.append(
            {
                "kind": "imported_arrangement",
                "at": h["as_of"],
                "summary": _imported_summary(h),
                "record": h,
            }
        )
    legal = evidence["notice"] or (evidence["account"] or {}).get("legal") or {}
    for field, text in (
        ("notice_served_date", "Notice served"),
        ("claim_date", "Possession claim issued"),
        ("hearing_date", "Hearing"),
        ("order_date", "Court order"),
        ("warrant_date", "Warrant of eviction applied for"),
        ("eviction_date", "Eviction"),
    ):
        if legal.get(field):
            entries.append({"kind": "legal", "at": legal[field], "summary": text, "record": {}})
    for b in evidence["breathing_spaces"]:
        summary = f"Breathing Space ({b['type']}) from {b['start_date']}"
        if b["end_date"]:
            summary += f" to {b['end_date']}"
        entries.append({"kind": "breathing_space", "at": b["start_date"], "summary": summary})
        entries[-1]["record"] = b
    entries.sort(key=lambda e: (e["at"], e["kind"]))
    return entries


def _contact_summary(c: dict) -> str:
    if c["kind"] == "letter":
        return f"Letter to {c['to']}: {codes.LETTER_TYPES[c['outcome']]}"
    channel = codes.CHANNELS.get(c["channel"], c["channel"])
    outcome = codes.VISIT_OUTCOMES.get(c["outcome"], c["outcome"])
    offers = ", ".join(codes.OFFERS.get(o, o) for o in c["record"]["offers"])
    return f"{channel} by {c['by']}: {outcome}" + (f"; offered: {offers}" if offers else "")


def _imported_summary(h: dict) -> str:
    if not h["arrangement_status"]:
        return "Arrangement ended (housing system)"
    return (
        f"Arrangement £{h['arrangement_amount']:.2f} {h['arrangement_frequency']} "
        f"from {h['arrangement_start']}: {h['arrangement_status']} (housing system)"
    )
