"""Schemas shared by every resource: the problem document and pagination."""

from datetime import date

from marshmallow import Schema, fields, validate

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
