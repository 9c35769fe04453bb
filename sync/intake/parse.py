"""Checking the nightly import's rows, cell by cell.

A large landlord's nightly files hold over a million rows, so rows are checked with the lean
checks of ``sync.checks`` (a few microseconds a row; marshmallow took about fifty). A
CSV cell arrives as text and a JSON Lines value as JSON: these checks take either (numbers,
booleans and lists written as text too), and say what is wrong in the words marshmallow
uses, under the column's name (``vulnerabilities.1`` for a list's second item).
"""

import math
import re
from collections.abc import Iterable, Iterator

from marshmallow import ValidationError
from marshmallow.validate import Email as _EmailRule

from sync.checks import Check, Day, Invalid, Record
from sync.clock import london_today

_NOT_TEXT = "Not a valid string."
_SPECIAL = "Special numeric values (nan or infinity) are not permitted."
# Control characters (NUL and the like) but tab and line breaks: never in a housing
# system's text, and a NUL in a reference breaks what reads it.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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
        if not value.isprintable() and _CONTROL.search(value):  # isprintable: the fast path
            raise ValueError("Must not contain control characters.")
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


class Date(Day):
    """A calendar date written ``YYYY-MM-DD``, as ``sync.checks.Day`` takes it, kept as that
    text; ``past``: not after today in England (a birth, a letter sent)."""

    def __init__(self, *, past: bool = False, **kw):
        super().__init__(**kw)
        self.past = past

    def clean(self, value):
        day = super().clean(value)
        if self.past and day > london_today():
            raise ValueError("After today: not a date that has come yet.")
        return value


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


def checked_rows(
    row: Row,
    key: tuple[str, ...],
    records: Iterable[tuple[int, dict | None, str]],
    counts: dict,
    errors: list,
) -> Iterator[tuple[int, dict]]:
    """The good rows of ``records`` (line, raw row or None, problem), checked with ``row``,
    as (line, row), read as they are wanted. Each record is counted in ``rows_read``; a bad
    one, or one repeating an earlier row's ``key``, goes to ``errors`` with its problems."""
    seen: dict[tuple, int] = {}
    for line, raw, problem in records:
        counts["rows_read"] += 1
        if raw is None:
            errors.append((line, {"_row": [problem]}))
            continue
        try:
            clean = row.load(raw)
        except Invalid as exc:
            errors.append((line, exc.errors))
            continue
        found = tuple(clean[k] for k in key)
        if found in seen:
            errors.append((line, {key[0]: [f"Duplicate of line {seen[found]}."]}))
            continue
        seen[found] = line
        yield line, clean
