"""Row formats of the nightly import. ``docs/import-formats.md`` documents each column.

A large landlord's nightly files hold over a million rows, so rows are checked with the lean
checks of ``sync.checks`` (a few microseconds a row; marshmallow took about fifty). A
CSV cell arrives as text and a JSON Lines value as JSON: these checks take either (numbers,
booleans and lists written as text too), and say what is wrong in the words marshmallow
uses, under the column's name (``vulnerabilities.1`` for a list's second item).
"""

import math
import re
from datetime import date

from marshmallow import ValidationError
from marshmallow.validate import Email as _EmailRule

from sync import codes
from sync.checks import Check, Invalid, Record

_NOT_TEXT = "Not a valid string."
_SPECIAL = "Special numeric values (nan or infinity) are not permitted."
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")
_TRUE = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES"}
_TRUE |= {"1", 1}
_FALSE = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO"}
_FALSE |= {"0", 0}


def _range_message(lo, hi) -> str:
    return f"Must be greater than or equal to {lo} and less than or equal to {hi}."


class Trimmed(Check):
    """Text with the surrounding whitespace removed; blank text is refused."""

    json_type = "string"

    def __init__(self, max_len: int, **kw):
        super().__init__(**kw)
        self.max_len = max_len

    def clean(self, value):
        if not isinstance(value, str):
            raise ValueError(_NOT_TEXT)
        value = value.strip()
        if not value:
            raise ValueError("Must not be blank.")
        if len(value) > self.max_len:
            raise ValueError(f"Longer than maximum length {self.max_len}.")
        return value


class Code(Check):
    """One code of a documented list, exactly as written."""

    json_type = "string"

    def __init__(self, choices, **kw):
        super().__init__(**kw)
        self.choices = frozenset(choices)
        self.message = f"Must be one of: {', '.join(choices)}."

    def clean(self, value):
        if not isinstance(value, str):
            raise ValueError(_NOT_TEXT)
        if value not in self.choices:
            raise ValueError(self.message)
        return value


class Codes(Check):
    """A list of codes; in CSV, one cell with the codes separated by semicolons (``a;b``).
    A bad item is reported by its position: ``Invalid({position: [message]})``."""

    json_type = "array"

    def __init__(self, item: Code, **kw):
        super().__init__(**kw)
        self.item = item

    def clean(self, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        elif not isinstance(value, list):
            raise ValueError("Not a valid list.")
        out, errors = [], {}
        for position, item in enumerate(value):
            if item is None:
                errors[position] = ["Field may not be null."]
                continue
            try:
                out.append(self.item.clean(item))
            except ValueError as exc:
                errors[position] = [str(exc)]
        if errors:
            raise Invalid(errors)
        return out


class Postcode(Check):
    """A full UK postcode, cleaned to upper case with one space (``BA14 8AB``)."""

    json_type = "string"

    def clean(self, value):
        if not isinstance(value, str):
            raise ValueError(_NOT_TEXT)
        compact = "".join(value.upper().split())
        if not _POSTCODE.match(compact):
            raise ValueError("Not a valid UK postcode.")
        return f"{compact[:-3]} {compact[-3:]}"


class Email(Check):
    json_type = "string"
    _rule = _EmailRule()

    def clean(self, value):
        try:
            if isinstance(value, str):
                return self._rule(value)
        except ValidationError:
            pass
        raise ValueError("Not a valid email address.")


class Whole(Check):
    """A whole number, or text or a number that reads as one (``12``, ``12.0`` as JSON)."""

    json_type = "integer"
    convert, invalid, finite = int, "Not a valid integer.", False

    def __init__(self, lo: int, hi: int, **kw):
        super().__init__(**kw)
        self.lo, self.hi = lo, hi
        self.message = _range_message(lo, hi)

    def clean(self, value):
        if value is True or value is False:
            raise ValueError(self.invalid)
        try:
            value = self.convert(value)
        except (TypeError, ValueError):
            raise ValueError(self.invalid) from None
        except OverflowError:
            raise ValueError("Number too large.") from None
        if self.finite and not math.isfinite(value):
            raise ValueError(_SPECIAL)
        if not self.lo <= value <= self.hi:
            raise ValueError(self.message)
        return value


class Decimal(Whole):
    """A finite number, or text that reads as one."""

    json_type = "number"
    convert, invalid, finite = float, "Not a valid number.", True


class Flag(Check):
    """``true``/``false``, also as text (``1``/``0``, ``yes``/``no`` ...); cleaned to 1 or 0,
    as stored."""

    json_type = "boolean"

    def clean(self, value):
        try:
            if value in _TRUE:
                return 1
            if value in _FALSE:
                return 0
        except TypeError:  # a list or an object
            pass
        raise ValueError("Not a valid boolean.")


class Date(Check):
    """An ISO 8601 calendar date, cleaned to ``YYYY-MM-DD`` text."""

    json_type = "string"

    def clean(self, value):
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, AttributeError, ValueError):
            raise ValueError("Not a valid date.") from None


class Row(Record):
    """The columns of one kind. What ``Record`` does, with the import's rules: a column left
    out takes its default (``None``, or ``defaults``), problems are listed in column order
    then unknown columns, a list's bad items by position (``vulnerabilities.1``), and
    ``whole`` checks the row only when every column is good."""

    def __init__(self, fields: dict[str, Check], *, defaults=None, whole=None):
        super().__init__(fields, whole=whole)
        self.defaults = defaults or {}
        self.blank = dict.fromkeys(fields)
        self.nullable = frozenset(name for name, check in fields.items() if check.nullable)

    def load(self, data: dict) -> dict:
        # Only the values given are checked: most cells of a CSV row are empty.
        clean = self.blank.copy()
        errors: dict = {}
        fields = self.fields
        for name, value in data.items():
            if value is None:
                if name not in self.nullable and name not in self.defaults:
                    errors[name] = [
                        "Field may not be null." if name in fields else "Unknown field."
                    ]
                continue
            check = fields.get(name)
            if check is None:
                errors[name] = ["Unknown field."]
            else:
                try:
                    clean[name] = check.clean(value)
                except ValueError as exc:
                    errors[name] = [str(exc)]
                except Invalid as exc:  # a list's items, by position
                    errors[name] = exc.errors
        for name in self.required:
            if name not in data:
                errors[name] = ["Missing data for required field."]
        for name, make in self.defaults.items():  # an empty cell takes the default too
            if data.get(name) is None:
                clean[name] = make()
        if errors:
            raise Invalid(self._in_order(errors))
        if self.whole:
            errors = self.whole(clean)
            if errors:
                raise Invalid(errors)
        return clean

    def _in_order(self, errors: dict) -> dict[str, list[str]]:
        """Columns in their order, then unknown columns; a list's items by position."""
        ordered: dict[str, list[str]] = {}
        unknown = [name for name in errors if name not in self.fields]
        for name in [*(f for f in self.fields if f in errors), *unknown]:
            problems = errors[name]
            if isinstance(problems, dict):
                ordered.update((f"{name}.{k}", v) for k, v in problems.items())
            else:
                ordered[name] = problems
        return ordered


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
        "date_of_birth": Date(),
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
    },
    defaults={"uc_managed_payment": int},
    whole=_consistent,
)

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
