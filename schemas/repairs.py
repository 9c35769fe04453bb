"""Repairs as the API shows them: the referral, its steps, and its Awaab's Law
deadlines."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, PageQuerySchema, page_schema
from sync import codes
from sync.records import repairs


class DeadlineSchema(Schema):
    name = fields.String(metadata={"description": "`investigate`, `make_safe`, `summary`, ..."})
    what = fields.String()
    due_at = fields.String(allow_none=True, metadata={"description": "null while waiting."})
    met_at = fields.String(allow_none=True)
    state = fields.String(
        metadata={
            "enum": ["met", "met_late", "overdue", "due_soon", "open", "waiting", "closed"],
            "description": "`waiting`: starts when the investigation ends.",
        }
    )


class RepairEventSchema(Schema):
    action = fields.String(metadata={"enum": ["reported", *codes.REPAIR_ACTIONS]})
    at = fields.String()
    by_username = fields.String()
    note = fields.String(allow_none=True)


class RepairSchema(Schema):
    id = fields.String()
    uprn = Id()
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    postcode = fields.String(allow_none=True)
    tenancy_ref = fields.String(allow_none=True)
    location = fields.String()
    category = fields.String(metadata={"enum": list(codes.REPAIR_CATEGORIES)})
    hazard_class = fields.String(metadata={"enum": list(codes.HAZARD_CLASSES)})
    description = fields.String()
    photos = fields.List(fields.String())
    missing_photos = fields.List(
        fields.String(), metadata={"description": "Named photos not uploaded yet."}
    )
    status = fields.String(metadata={"enum": list(codes.REPAIR_STATUSES)})
    observed_at = fields.String(metadata={"description": "When the officer saw it: day 0."})
    reported_by = Id()
    reported_by_username = fields.String()
    received_at = fields.String()
    flags = fields.List(
        fields.String(),
        metadata={"description": "What the server noticed on arrival, e.g. clock-ahead."},
    )
    investigated_at = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    version = Id()
    updated_at = fields.String()
    events = fields.List(fields.Nested(RepairEventSchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    queue_key = fields.String(load_default=None)


class RepairQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(codes.REPAIR_STATUSES))
    hazard_class = fields.String(validate=validate.OneOf(list(codes.HAZARD_CLASSES)))
    due = fields.String(
        validate=validate.OneOf(["overdue", "due_soon"]),
        metadata={"description": "Only open repairs with a deadline in this state."},
    )
    uprn = Id()
    after = fields.String(validate=validate.Length(1, 200))


RepairPageSchema = page_schema(RepairSchema, fields.String)


class RepairActionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(list(repairs.ACTIONS)))
    at = fields.AwareDateTime(
        metadata={"description": "When it happened (default: now); not in the future."}
    )
    note = fields.String(
        validate=validate.Length(1, 2000),
        metadata={"description": "Required to cancel: the reason."},
    )
