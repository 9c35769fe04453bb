"""Lean field checks for the sync push, the hot path.

A push carries hundreds of small records; marshmallow costs about 40 µs to load each one,
more than storing it. These checks do the same job for flat JSON records in a few
microseconds: each field declares its rule, a record is checked field by field, and every
problem is reported under the field's name, as marshmallow would. ``json_schema`` gives the
same rules to the OpenAPI document, so the documented shape is the checked one.

A record's load is written once, as one function for its fields (``_taking_as_is``): a
value its rule would return unchanged (``Check.as_is``: text of the right length, a number
in range) is taken without a call, and anything else goes the field-by-field way, so the
answer is always ``Record.load``'s (tests/test_checks_fast.py holds them to it).
"""

import re
import uuid
from collections.abc import Callable
from datetime import date

from sync.clock import instant


class Invalid(Exception):
    """``errors``: field name -> list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class Check:
    json_type: str = ""

    def __init__(self, *, required: bool = False, nullable: bool = True, description: str = ""):
        self.required, self.nullable, self.description = required, nullable, description

    def clean(self, value):
        raise NotImplementedError

    def json_schema(self) -> dict:
        schema = {"type": [self.json_type, "null"] if self.nullable else self.json_type}
        if self.description:
            schema["description"] = self.description
        schema |= self.constraints()
        if self.nullable and "enum" in schema:  # enum is checked whatever type allows
            schema["enum"] = [*schema["enum"], None]
        return schema

    def constraints(self) -> dict:
        return {}

    def as_is(self) -> tuple[str, dict] | None:
        """A Python expression in ``v``, and the names it uses: true only when ``clean(v)``
        would return ``v`` itself (what phones send), so a record's load can take the
        value without calling ``clean`` (``Record``). None: always call ``clean``. A
        subclass that overrides ``clean`` has none unless it declares its own."""
        return None


class Text(Check):
    json_type = "string"

    def __init__(self, max_len: int, *, min_len: int = 0, choices=None, **kw):
        super().__init__(**kw)
        self.min_len, self.max_len = min_len, max_len
        if choices is not None and not (choices and all(type(c) is str for c in choices)):
            raise ValueError("A Text's choices are text, at least one.")
        self.choices = tuple(choices) if choices is not None else None
        self._choices = frozenset(choices) if choices is not None else None  # to look up

    def clean(self, value):
        if not isinstance(value, str):
            raise ValueError("Not a valid string.")
        if self._choices is not None:
            if value not in self._choices:
                raise ValueError(f"Must be one of: {', '.join(self.choices)}.")
        elif not self.min_len <= len(value) <= self.max_len:
            raise ValueError(f"Length must be between {self.min_len} and {self.max_len}.")
        elif "\x00" in value:  # what C strings, exports and other systems end text at
            raise ValueError("May not hold a NUL character.")
        return value

    def constraints(self):
        if self.choices is not None:
            return {"enum": list(self.choices)}
        return {"minLength": self.min_len, "maxLength": self.max_len}

    def as_is(self):
        if type(self).clean is not Text.clean:
            return None
        if self._choices is not None:
            return "type(v) is str and v in choices", {"choices": self._choices}
        lo, hi = self.min_len, self.max_len
        return 'type(v) is str and lo <= len(v) <= hi and "\\x00" not in v', {"lo": lo, "hi": hi}


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Email(Text):
    def __init__(self, **kw):
        super().__init__(254, min_len=3, **kw)

    def clean(self, value):
        value = super().clean(value)
        if not _EMAIL.fullmatch(value):
            raise ValueError("Not a valid email address.")
        return value

    def constraints(self):
        return super().constraints() | {"format": "email"}


class Phone(Text):
    """A telephone number as typed: 7 to 15 digits (E.164's most), with spaces, brackets,
    dots or dashes between, and a + before an international one. Blank clears it."""

    _FORM = re.compile(r"\+?[0-9][0-9 ().-]*")
    RULE = "Digits (7 to 15), with spaces, brackets, dots or dashes, and + before a country code."

    def __init__(self, **kw):
        super().__init__(30, **kw)

    def clean(self, value):
        value = super().clean(value)
        if value and not (
            self._FORM.fullmatch(value) and 7 <= sum(c in "0123456789" for c in value) <= 15
        ):
            raise ValueError(f"Not a phone number. {self.RULE}")
        return value

    def constraints(self):
        return super().constraints() | {"pattern": "^(\\+?[0-9][0-9 ().-]*)?$"}


class Integer(Check):
    json_type = "integer"

    def __init__(self, lo: int, hi: int, **kw):
        super().__init__(**kw)
        self.lo, self.hi = lo, hi

    def clean(self, value):
        if type(value) is not int:
            raise ValueError("Not a valid integer.")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"Must be between {self.lo} and {self.hi}.")
        return value

    def constraints(self):
        return {"minimum": self.lo, "maximum": self.hi}

    def as_is(self):
        # Number: a float between the bounds is taken as it is; an int becomes a float.
        kind = {Integer.clean: "int", Number.clean: "float"}.get(type(self).clean)
        if kind is None:
            return None
        return f"type(v) is {kind} and lo <= v <= hi", {"lo": self.lo, "hi": self.hi}


_INFINITIES = (float("inf"), float("-inf"))


class Number(Integer):
    """A finite number between finite bounds; cleaned to a float."""

    json_type = "number"

    def __init__(self, lo: float, hi: float, **kw):
        if not all(type(b) in (int, float) and b - b == 0 for b in (lo, hi)):  # not inf, NaN
            raise ValueError("A Number's bounds are finite.")
        super().__init__(lo, hi, **kw)

    def clean(self, value):
        # What phones send, first: NaN fails the comparison, and infinity is past a bound.
        if type(value) is float and self.lo <= value <= self.hi:
            return value
        if type(value) not in (int, float) or value != value or value in _INFINITIES:
            raise ValueError("Not a valid number.")
        if not self.lo <= value <= self.hi:  # an integer of any size compares exactly
            raise ValueError(f"Must be between {self.lo} and {self.hi}.")
        return float(value)


# An amount of money is pounds and pence (the import's transactions, a push's money).
NOT_PENCE = "In pounds and pence: at most two decimal places."


def whole_pence(amount: float) -> bool:
    """Whether ``amount`` (pounds) is a whole number of pence, within float rounding."""
    return not round(amount * 100, 6) % 1


class Money(Number):
    """An amount in pounds, to the penny: at most two decimal places (0.015 is refused,
    not rounded one way or the other)."""

    def clean(self, value):
        value = super().clean(value)
        if not whole_pence(value):
            raise ValueError(NOT_PENCE)
        return value

    def json_schema(self):
        schema = super().json_schema()
        schema["description"] = (
            schema.get("description", "") + " In pounds, to the penny."
        ).strip()
        return schema


class Boolean(Check):
    json_type = "boolean"

    def clean(self, value):
        if type(value) is not bool:
            raise ValueError("Not a valid boolean.")
        return value

    def as_is(self):
        return ("type(v) is bool", {}) if type(self).clean is Boolean.clean else None


class Moment(Check):
    """An instant with its UTC offset, as ISO 8601 text; cleaned to an aware datetime
    (``sync.clock.instant``: its offset in hours and minutes, in years 1800 to 2999)."""

    json_type = "string"

    def clean(self, value):
        return instant(value)

    def constraints(self):
        return {"format": "date-time"}


class Day(Check):
    """A calendar date as ``YYYY-MM-DD``; cleaned to a ``date``."""

    json_type = "string"

    _FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # not ISO 8601's week dates

    def clean(self, value):
        if not isinstance(value, str) or not self._FORM.fullmatch(value):
            raise ValueError("Not a valid date (YYYY-MM-DD).")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("Not a valid date (YYYY-MM-DD).") from None

    def constraints(self):
        return {"format": "date"}


class Sha256(Text):
    """A SHA-256 digest in lower-case hex (a photo or signature, sync.records.blobs)."""

    _HEX = re.compile(r"[0-9a-f]{64}")

    def __init__(self, **kw):
        super().__init__(64, min_len=64, **kw)

    def clean(self, value):
        if not isinstance(value, str) or not self._HEX.fullmatch(value):
            raise ValueError("Not a SHA-256 digest (64 lower-case hex digits).")
        return value

    def constraints(self):
        return {"pattern": "^[0-9a-f]{64}$"}


class Many(Check):
    """A list of items, each checked by ``item``; duplicates are dropped, order kept."""

    json_type = "array"

    def __init__(self, item: Check, *, max_items: int, min_items: int = 0, **kw):
        kw.setdefault("nullable", False)
        super().__init__(**kw)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def clean(self, value):
        if not isinstance(value, list):
            raise ValueError("Not a valid list.")
        if not self.min_items <= len(value) <= self.max_items:
            raise ValueError(f"Give {self.min_items} to {self.max_items} items.")
        out = []
        for position, item in enumerate(value):
            if item is None:
                raise ValueError(f"Item {position}: may not be null.")
            try:
                item = self.item.clean(item)
            except ValueError as exc:
                raise ValueError(f"Item {position}: {exc}") from None
            if item not in out:
                out.append(item)
        return out

    def constraints(self):
        item = self.item.json_schema()
        item["type"] = self.item.json_type
        return {"items": item, "minItems": self.min_items, "maxItems": self.max_items}


class Nested(Check):
    """An object checked by its own ``Record``."""

    json_type = "object"

    def __init__(self, record: "Record", **kw):
        super().__init__(**kw)
        self.record = record

    def clean(self, value):
        try:
            return self.record.load(value)
        except Invalid as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            raise ValueError(problems) from None

    def json_schema(self):
        schema = self.record.json_schema()
        if self.nullable:
            schema["type"] = ["object", "null"]
        if self.description:
            schema["description"] = self.description
        return schema


class Uuid(Check):
    """Cleaned to the canonical lower-case hyphenated form."""

    json_type = "string"
    _CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

    def clean(self, value):
        if not isinstance(value, str) or len(value) > 45:
            raise ValueError("Not a valid UUID.")
        if self._CANONICAL.fullmatch(value):  # what phones send: already canonical
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("Not a valid UUID.") from None

    def constraints(self):
        return {"format": "uuid"}

    def as_is(self):
        if type(self).clean is not Uuid.clean:
            return None
        return "type(v) is str and canonical(v)", {"canonical": self._CANONICAL.fullmatch}


class Object(Check):
    """Any JSON object, checked elsewhere (a mutation's payload, by its kind)."""

    json_type = "object"

    def clean(self, value):
        if not isinstance(value, dict):
            raise ValueError("Not a valid mapping type.")
        return value

    def as_is(self):
        return ("type(v) is dict", {}) if type(self).clean is Object.clean else None


class Record:
    """A flat JSON object checked field by field. Unknown fields are refused. A field left
    out is absent from the result, unless ``fill`` is set: then it is ``None``. ``whole``
    checks the cleaned record as a whole and returns errors (field -> messages)."""

    def __init__(
        self,
        fields: dict[str, Check],
        *,
        fill: bool = True,
        whole: Callable[[dict], dict[str, list[str]]] | None = None,
        min_fields: int = 0,
    ):
        self.fields, self.fill, self.whole, self.min_fields = fields, fill, whole, min_fields
        self.required = [name for name, check in fields.items() if check.required]
        # Looked up once (the hot path): each field's clean method, those that take null,
        # the required names as a set, and the record a load starts from.
        self._cleans = {name: check.clean for name, check in fields.items()}
        self._nullable = frozenset(name for name, check in fields.items() if check.nullable)
        self._required = frozenset(self.required)
        self._blank = dict.fromkeys(fields) if fill else {}
        if fill and type(self).load is Record.load:  # (a subclass's own load stays)
            self.load = _taking_as_is(self)  # the hot path: takes what phones send sooner

    def load(self, data) -> dict:
        """The record cleaned, or ``Invalid`` naming every problem, field by field."""
        if not isinstance(data, dict):
            raise Invalid({"_schema": ["Not an object."]})
        errors: dict[str, list[str]] = {}
        clean = self._blank.copy()
        cleans = self._cleans
        for name, value in data.items():
            check = cleans.get(name)
            if check is not None and value is not None:
                try:
                    clean[name] = check(value)
                except ValueError as exc:
                    errors[name] = [str(exc)]
            elif check is not None and name in self._nullable:
                clean[name] = None
            else:
                errors[str(name)[:100]] = [
                    "Unknown field." if check is None else "Field may not be null."
                ]
        if not self._required <= data.keys():
            for name in self.required:
                if name not in data:
                    errors[name] = ["Missing data for required field."]
        if len(data) < self.min_fields:
            errors.setdefault("_schema", []).append(
                f"Give at least {self.min_fields} field{'s' if self.min_fields > 1 else ''}."
            )
        if not errors and self.whole:
            errors = self.whole(clean)
        if errors:
            raise Invalid(errors)
        return clean

    def json_schema(self) -> dict:
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: check.json_schema() for name, check in self.fields.items()},
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.min_fields:
            schema["minProperties"] = self.min_fields
        return schema


def _taking_as_is(record: Record) -> Callable[[dict], dict]:
    """``record.load`` as one function written for its fields: each value a field's
    ``as_is`` takes is kept without a call, any other goes to the field's ``clean``, and
    anything amiss (a problem, a field missing, unknown or null where it may not be) is
    handed to ``Record.load``, which names every problem. So it returns what
    ``Record.load`` returns, or raises what it raises, for every input, only sooner for
    a record that is all in order (tests/test_checks_fast.py holds the two to that)."""
    names: dict[str, object] = {"MISSING": object(), "blank": record._blank}
    names |= {"checked": lambda data: Record.load(record, data), "whole": record.whole}
    lines = [
        "def load(data):",
        "    if type(data) is not dict:",
        "        return checked(data)",
        "    out = blank.copy()",
        "    found = 0",
        "    try:",
        "        pass",  # (a record of no fields)
    ]
    for i, (name, check) in enumerate(record.fields.items()):
        names[f"clean_{i}"] = check.clean
        lines += [f"        v = data.get({name!r}, MISSING)", "        if v is not MISSING:"]
        lines.append("            found += 1")
        taken = check.as_is()
        if taken is not None:
            expression, uses = taken
            for use, value in uses.items():
                expression = re.sub(rf"\b{use}\b", f"{use}_{i}", expression)
                names[f"{use}_{i}"] = value
            lines.append(f"            if {expression}: out[{name!r}] = v")
            lines.append(f"            elif v is not None: out[{name!r}] = clean_{i}(v)")
        else:
            lines.append(f"            if v is not None: out[{name!r}] = clean_{i}(v)")
        if not check.nullable:
            lines.append("            else: return checked(data)")
        if check.required:
            lines.append("        else: return checked(data)")
    lines += [
        "    except ValueError:",
        "        return checked(data)",
        f"    if found != len(data) or len(data) < {record.min_fields}:",
        "        return checked(data)",
        "    if whole is not None and whole(out):",
        "        return checked(data)",
        "    return out",
    ]
    exec("\n".join(lines), names)
    return names["load"]
