"""Row formats of the nightly import. ``docs/import-formats.md`` documents each column.

Each kind's columns and how they are checked (``sync.intake.parse``), and how its rows are
stored (``sync.intake.store.Kind``).
"""

import functools
from datetime import date, timedelta

from sync import codes
from sync.checks import NOT_PENCE, whole_pence
from sync.intake.parse import (
    Code,
    Codes,
    Date,
    Decimal,
    Email,
    Flag,
    Postcode,
    Row,
    Trimmed,
    Whole,
)
from sync.intake.store import (
    Kind,
    Tenancies,
    after_accounts,
    after_properties,
    after_tenancies,
    derive_account,
)
from sync.records import breathing, notices, phone_statements


def _out_of_order(row: dict, pairs, errors: dict) -> None:
    for earlier, later in pairs:
        first, then = row[earlier], row[later]
        if first and then and then < first:
            errors.setdefault(later, []).append(f"Must not be before {earlier}.")


def _ref():
    return Trimmed(40, required=True, nullable=False)


def _text(max_len: int = 200):
    return Trimmed(max_len)


def _dates(*pairs):
    def whole(row: dict) -> dict:
        errors: dict = {}
        _out_of_order(row, pairs, errors)
        return errors

    return whole


def _money():
    return Decimal(0, 1_000_000)


PROPERTY = Row(
    {
        "uprn": Whole(1, 999_999_999_999, required=True, nullable=False),
        "address_line_1": Trimmed(200, required=True, nullable=False),
        "address_line_2": _text(),
        "address_line_3": _text(),
        "post_town": Trimmed(60, required=True, nullable=False),
        "postcode": Postcode(required=True, nullable=False),
        "latitude": Decimal(49.8, 60.9, required=True, nullable=False),
        "longitude": Decimal(-8.7, 1.9, required=True, nullable=False),
        "kind": Code(codes.PROPERTY_KINDS, required=True, nullable=False),
        "building": _text(),
        "bedrooms": Whole(0, 12),
    }
)

TENANCY = Row(
    {
        "tenancy_ref": _ref(),
        "uprn": Whole(1, 999_999_999_999, required=True, nullable=False),
        "tenure": Code(codes.TENURES, required=True, nullable=False),
        "start_date": Date(required=True, nullable=False),
        "end_date": Date(),
        "weekly_rent": Decimal(0, 5000, required=True, nullable=False),
    },
    whole=_dates(("start_date", "end_date")),
)


def _reachable(row: dict) -> dict:
    needs = {"phone": ("phone", "mobile"), "sms": ("mobile",), "email": ("email",)}
    wanted = needs.get(row["preferred_contact"], ())
    if wanted and not any(row[f] for f in wanted):
        return {"preferred_contact": [f"Needs {' or '.join(wanted)} to be given."]}
    return {}


TENANT = Row(
    {
        "person_ref": _ref(),
        "tenancy_ref": _ref(),
        "is_lead": Flag(nullable=False),
        "title": _text(20),
        "first_name": Trimmed(100, required=True, nullable=False),
        "last_name": Trimmed(100, required=True, nullable=False),
        "date_of_birth": Date(past=True),
        "phone": _text(30),
        "mobile": _text(30),
        "email": Email(),
        "preferred_contact": Code(codes.CONTACT_METHODS, required=True, nullable=False),
        "language": _text(40),
        "interpreter_needed": Flag(nullable=False),
        "reasonable_adjustments": _text(500),
        "vulnerabilities": Codes(Code(codes.VULNERABILITIES), nullable=False),
    },
    defaults={"is_lead": int, "interpreter_needed": int, "vulnerabilities": list},
    whole=_reachable,
)

ARRANGEMENT = ("arrangement_amount", "arrangement_frequency", "arrangement_start")
ARRANGEMENT += ("arrangement_status",)
_LEGAL_ORDER = (
    ("notice_served_date", "notice_expiry_date"),
    ("claim_date", "hearing_date"),
    ("breathing_space_start", "breathing_space_end"),
    ("warrant_date", "eviction_date"),
)


def _consistent(row: dict) -> dict:
    errors: dict = {}
    if not all(row[f] is None for f in ARRANGEMENT):
        for f in ARRANGEMENT:
            if row[f] is None:
                errors.setdefault(f, []).append("Required when an arrangement is given.")
    notice, served = row["notice_type"], row["notice_served_date"]
    if notice and not served:
        errors.setdefault("notice_served_date", []).append("Required with notice_type.")
    if served and not notice:
        errors.setdefault("notice_type", []).append("Required with notice_served_date.")
    space, space_start = row["breathing_space_type"], row["breathing_space_start"]
    if space and not space_start:
        errors.setdefault("breathing_space_start", []).append(
            "Required with breathing_space_type."
        )
    if space_start and not space:
        errors.setdefault("breathing_space_type", []).append(
            "Required with breathing_space_start."
        )
    for given in ("breathing_space_notified_by", "moratorium_debt"):
        if row[given] is not None and not space_start:
            errors.setdefault(given, []).append("Only with breathing_space_start.")
    if row["uc_managed_payment"] and row["benefit"] != "universal_credit":
        errors.setdefault("uc_managed_payment", []).append("Only for Universal Credit claimants.")
    _out_of_order(row, _LEGAL_ORDER, errors)
    return errors


ACCOUNT = Row(
    {
        "tenancy_ref": _ref(),
        "as_of": Date(required=True, nullable=False),
        "balance": Decimal(-1_000_000, 1_000_000, required=True, nullable=False),
        "arrears_weeks": Decimal(0, 1000),
        "last_payment_date": Date(),
        "last_payment_amount": _money(),
        "benefit": Code(codes.BENEFITS, required=True, nullable=False),
        "uc_managed_payment": Flag(nullable=False),
        "uc_deduction_weekly": _money(),
        "uc_assessment_day": Whole(1, 31),
        "arrangement_amount": _money(),
        "arrangement_frequency": Code(codes.ARRANGEMENT_FREQUENCIES),
        "arrangement_start": Date(),
        "arrangement_status": Code(codes.ARRANGEMENT_STATUSES),
        "notice_type": Code(codes.NOTICE_TYPES),
        "notice_served_date": Date(),
        "notice_expiry_date": Date(),
        "claim_date": Date(),
        "hearing_date": Date(),
        "order_type": Code(codes.ORDER_TYPES),
        "order_date": Date(),
        "warrant_date": Date(),
        "eviction_date": Date(),
        "breathing_space_type": Code(codes.BREATHING_SPACE_TYPES),
        "breathing_space_start": Date(),
        "breathing_space_end": Date(),
        "breathing_space_notified_by": _text(),
        "moratorium_debt": _money(),
        "moratorium_step_basis": Code(breathing.STEP_BASES),
    },
    defaults={"uc_managed_payment": int},
    whole=_consistent,
)


def account_warnings(row: dict, tenancies: Tenancies, spaces: dict) -> list[dict]:
    """The rules of law the row's notice and claim break, as of the row's date
    (sync.records.notices), and its enforcement steps dated inside a Breathing Space
    (sync.records.breathing; ``spaces``: the batch's tenancies' history): the row is
    stored all the same, and the tenancy shows it."""
    if row["tenancy_ref"] not in tenancies:
        return []
    uprn, _, tenure, start = tenancies[row["tenancy_ref"]]
    found = notices.problems(tenure, start, row, notices.day(row["as_of"]))
    # A step inside a moratorium also goes to review: what it is about, for the record.
    about = {"tenancy_ref": row["tenancy_ref"], "as_of": row["as_of"], "uprn": uprn}
    steps = breathing.step_problems(row, with_own_space(row, spaces))
    return found + [p | about for p in steps]


def with_own_space(row: dict, spaces: dict) -> list[dict]:
    """The tenancy's Breathing Spaces as known, with the one the row shows (its end and
    moratorium debt, when given, as the row says)."""
    known = list(spaces.get(row["tenancy_ref"], ()))
    start = row["breathing_space_start"]
    if start is None:
        return known
    same = next((s for s in known if s["start_date"] == start), None)
    own = {
        "start_date": start,
        "end_date": row["breathing_space_end"],
        "moratorium_debt": row["moratorium_debt"]
        if row["moratorium_debt"] is not None
        else (same or {}).get("moratorium_debt"),
    }
    return [s for s in known if s is not same] + [own]


def read_spaces(db, rows: list[dict]) -> dict:
    return breathing.history(db, {r["tenancy_ref"] for r in rows})


MARKER = Row(
    {
        "marker_ref": _ref(),
        "uprn": Whole(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": _text(40),
        "code": Code(codes.MARKER_CODES, required=True, nullable=False),
        "description": Trimmed(1000, required=True, nullable=False),
        "source_incident": Trimmed(200, required=True, nullable=False),
        "start_date": Date(required=True, nullable=False),
        "review_date": Date(required=True, nullable=False),
        "end_date": Date(),
    },
    whole=_dates(("start_date", "review_date"), ("start_date", "end_date")),
)


_METHODS = {"payment": codes.PAYMENT_METHODS, "benefit": codes.BENEFIT_METHODS}


@functools.lru_cache(maxsize=2)
def _year_ahead(today: date) -> str:
    """A year from ``today``: worked out once a day, not once a row (a day either way
    does not matter to the rule)."""
    return (today + timedelta(days=366)).isoformat()


def _transaction(row: dict) -> dict:
    """A payment names how it was paid, a benefit credit where it came from; nothing else
    names a method. An amount is in pounds and pence; only the balance brought forward
    may be nil. A transaction is posted at most a year ahead."""
    errors: dict = {}
    methods = _METHODS.get(row["type"])
    if methods is None and row["method"] is not None:
        errors["method"] = [f"Only for a payment or a benefit credit, not {row['type']!r}."]
    elif methods is not None and row["method"] not in methods:
        errors["method"] = [f"A {row['type']} needs one of: {', '.join(methods)}."]
    if not whole_pence(row["amount"]):
        errors["amount"] = [NOT_PENCE]
    elif row["amount"] == 0 and row["type"] != "opening":
        errors["amount"] = ["Must not be zero."]
    if row["posted_on"] > _year_ahead(date.today()):
        errors["posted_on"] = ["More than a year ahead."]
    return errors


TRANSACTION = Row(
    {
        "transaction_ref": _ref(),
        "tenancy_ref": _ref(),
        "posted_on": Date(required=True, nullable=False),
        "type": Code(codes.TRANSACTION_TYPES, required=True, nullable=False),
        "method": Code((*codes.PAYMENT_METHODS, *codes.BENEFIT_METHODS)),
        # Signed as it moves the balance: a charge adds, a payment takes away.
        "amount": Decimal(-1_000_000, 1_000_000, required=True, nullable=False),
        "description": _text(),
    },
    whole=_transaction,
)

LETTER = Row(
    {
        "letter_ref": _ref(),
        "tenancy_ref": _ref(),
        "person_ref": _text(40),
        "sent_on": Date(required=True, nullable=False, past=True),
        "type": Code(codes.LETTER_TYPES, required=True, nullable=False),
        "description": _text(500),
    }
)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "properties",
            "properties",
            ("uprn",),
            PROPERTY,
            (
                "uprn",
                "address_line_1",
                "address_line_2",
                "address_line_3",
                "post_town",
                "postcode",
                "latitude",
                "longitude",
                "kind",
                "building",
                "bedrooms",
            ),
            after=after_properties,
            sync_entity=lambda r, _: ("property", str(r["uprn"]), r["uprn"]),
        ),
        Kind(
            "tenancies",
            "tenancies",
            ("tenancy_ref",),
            TENANCY,
            ("tenancy_ref", "uprn", "tenure", "start_date", "end_date", "weekly_rent"),
            references=(("uprn", "properties", "uprn"),),
            after=after_tenancies,
            sync_entity=lambda r, _: ("tenancy", r["tenancy_ref"], r["uprn"]),
        ),
        Kind(
            "tenants",
            "tenants",
            ("person_ref",),
            TENANT,
            (
                "person_ref",
                "tenancy_ref",
                "is_lead",
                "title",
                "first_name",
                "last_name",
                "date_of_birth",
                *codes.TENANT_CONTACT_FIELDS,
                "vulnerabilities",
            ),
            references=(("tenancy_ref", "tenancies", "tenancy_ref"),),
            reads_tenancies=True,
            sync_entity=lambda r, tenancies: (
                "tenant",
                r["person_ref"],
                tenancies[r["tenancy_ref"]][0],
            ),
            versioned=codes.TENANT_CONTACT_FIELDS,
        ),
        Kind(
            "accounts",
            "account_snapshots",
            ("tenancy_ref", "as_of"),
            ACCOUNT,
            (
                "tenancy_ref",
                "as_of",
                "balance",
                "arrears_weeks",
                "last_payment_date",
                "last_payment_amount",
                "benefit",
                "uc_managed_payment",
                "uc_deduction_weekly",
                "uc_assessment_day",
                "arrangement_amount",
                "arrangement_frequency",
                "arrangement_start",
                "arrangement_status",
                "legal_stage",
                "notice_type",
                "notice_served_date",
                "notice_expiry_date",
                "claim_date",
                "hearing_date",
                "order_type",
                "order_date",
                "warrant_date",
                "eviction_date",
                "breathing_space_type",
                "breathing_space_start",
                "breathing_space_end",
                "breathing_space_notified_by",
                "moratorium_debt",
                "moratorium_step_basis",
            ),
            references=(("tenancy_ref", "tenancies", "tenancy_ref"),),
            reads_tenancies=True,
            derive=derive_account,
            warn=account_warnings,
            warn_reads=read_spaces,
            after=after_accounts,
            has_updated_at=False,
            # The phone holds a tenancy's current account; its history stays on the server.
            sync_entity=lambda r, tenancies: (
                "account",
                r["tenancy_ref"],
                tenancies[r["tenancy_ref"]][0],
            ),
        ),
        Kind(
            "markers",
            "warning_markers",
            ("marker_ref",),
            MARKER,
            (
                "marker_ref",
                "uprn",
                "tenancy_ref",
                "code",
                "description",
                "source_incident",
                "start_date",
                "review_date",
                "end_date",
            ),
            references=(
                ("uprn", "properties", "uprn"),
                ("tenancy_ref", "tenancies", "tenancy_ref"),
                (("tenancy_ref", "uprn"), "tenancies", ("tenancy_ref", "uprn")),
            ),
            sync_entity=lambda r, _: ("marker", r["marker_ref"], r["uprn"]),
        ),
        Kind(
            "transactions",
            "rent_transactions",
            ("transaction_ref",),
            TRANSACTION,
            (
                "transaction_ref",
                "tenancy_ref",
                "posted_on",
                "type",
                "method",
                "amount",
                "description",
            ),
            references=(("tenancy_ref", "tenancies", "tenancy_ref"),),
            # Phones hold a statement for each tenancy in arrears, not the transactions: a
            # transaction moved to another tenancy changes both tenancies' statements.
            after=lambda db, run, rows, replaced: phone_statements.refresh(
                db, {r["tenancy_ref"] for r in [*rows, *replaced]}
            ),
        ),
        Kind(
            "letters",
            "letters",
            ("letter_ref",),
            LETTER,
            ("letter_ref", "tenancy_ref", "person_ref", "sent_on", "type", "description"),
            references=(
                ("tenancy_ref", "tenancies", "tenancy_ref"),
                ("person_ref", "tenants", "person_ref"),
                (("person_ref", "tenancy_ref"), "tenants", ("person_ref", "tenancy_ref")),
            ),
        ),
    )
}
