"""Warning markers raised from the field, and a team leader's decision on one."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, PageQuerySchema, page_schema
from schemas.homes import MarkerSchema
from sync import codes


class FieldMarkerSchema(MarkerSchema):
    class Meta:
        exclude = ("review_overdue",)

    status = fields.String(metadata={"enum": list(codes.MARKER_STATUSES)})
    raised_by = Id()
    raised_by_username = fields.String()
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    postcode = fields.String(allow_none=True)
    decided_by = Id(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)


class MarkerQuerySchema(PageQuerySchema):
    status = fields.String(load_default="pending", validate=validate.OneOf(codes.MARKER_STATUSES))
    after = fields.String(validate=validate.Length(1, 100))


FieldMarkerPageSchema = page_schema(FieldMarkerSchema, fields.String)


class MarkerDecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(1, 2000))
