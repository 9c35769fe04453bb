"""Schemas shared by every resource: the problem document and pagination."""

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from sync.store.pages import MAX_LIMIT

# SQLite's largest integer: anything bigger cannot name a record.
MAX_ID = 2**63 - 1


class Id(fields.Integer):
    """A whole number that fits SQLite's INTEGER (0 to 2**63 - 1)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(0, MAX_ID))
        super().__init__(strict=False, **kwargs)


# Days the API accepts: far enough either way for any tenancy or plan, near enough that
# date arithmetic (a week on, a day before) never leaves the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class Day(fields.Date):
    """A date (``YYYY-MM-DD``) between 1900 and 2199."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(FIRST_DAY, LAST_DAY))
        super().__init__(**kwargs)


# What a name people read may not hold: control characters (a NUL among them) and the
# bidirectional overrides and isolates that make text display other than it reads.
_HIDDEN = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class _Said(fields.String):
    """Text a person reads or wrote: 1 to ``max_len`` characters, not ``BLANK`` (spaces
    say nothing), and nothing ``HIDDEN`` matches (``HIDING`` says what it refused)."""

    MAX = 100
    BLANK = "May not be blank."
    HIDDEN = _HIDDEN
    HIDING = "May not hold control characters or direction overrides."

    def __init__(self, max_len: int | None = None, **kwargs):
        kwargs.setdefault("validate", validate.Length(1, max_len or self.MAX))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError(self.BLANK)
        if self.HIDDEN.search(text):
            raise ValidationError(self.HIDING)
        return text


class Name(_Said):
    """A name people read (a team's, a patch's, a user's): up to 100 characters, without
    control characters or bidirectional overrides."""


class Note(_Said):
    """What a person did or decided, in their words: up to 2,000 characters, lines and
    all, but no NUL (a record that needs a note must say something)."""

    MAX = 2000
    BLANK = "May not be blank: say what was done."
    HIDDEN = re.compile("\x00")
    HIDING = "May not hold a NUL character."


class ProblemSchema(Schema):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type = fields.String(metadata={"description": "Always `about:blank`; see `code`."})
    title = fields.String(metadata={"description": "The HTTP status phrase."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "What went wrong, for a person."})
    code = fields.String(metadata={"description": "Stable machine code, e.g. `not-found`."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Offending fields (dotted paths) and what is wrong with each."},
    )


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Page size, 1 to {MAX_LIMIT}."},
    )


def page_schema(item_schema, key_field) -> type[Schema]:
    """A page of ``item_schema`` with the key to pass as ``after`` for the next page."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_after": key_field(
                allow_none=True,
                metadata={"description": "Pass as `after` for the next page; null at the end."},
            ),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )
