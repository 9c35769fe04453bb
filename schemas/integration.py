"""What the housing system reads: the outbox feed, webhook deliveries, the audit log,
and a tenant's subject access export."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, PageQuerySchema, page_schema
from sync import kinds


class FeedQuerySchema(PageQuerySchema):
    after = Id(load_default=0, metadata={"description": "The last `seq` already stored."})
    topic = fields.String(validate=validate.OneOf(kinds.topics()))


class EventSchema(Schema):
    seq = Id(metadata={"description": "Position in the feed: pass the last as `after`."})
    id = fields.String(metadata={"description": "The event id: deduplicate on it."})
    topic = fields.String(metadata={"enum": list(kinds.topics())})
    occurred_at = fields.String()
    data = fields.Dict(allow_none=True)


FeedPageSchema = page_schema(EventSchema, Id)


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "dead"]))
    target = fields.String(validate=validate.Length(1, 40))
    after = Id()


class DeliverySchema(Schema):
    id = Id()
    target = fields.String()
    status = fields.String(metadata={"enum": ["pending", "delivered", "dead"]})
    attempts = Id()
    next_attempt_at = fields.String()
    last_error = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)
    event_id = fields.String()
    topic = fields.String()
    entity_id = fields.String()
    created_at = fields.String()


DeliveryPageSchema = page_schema(DeliverySchema, Id)


class AuditQuerySchema(PageQuerySchema):
    after = Id()
    entity_type = fields.String(validate=validate.Length(1, 40))
    entity_id = fields.String(validate=validate.Length(1, 100))
    user_id = Id()


class AuditEntrySchema(Schema):
    id = Id()
    at = fields.String()
    user_id = Id(allow_none=True)
    username = fields.String(allow_none=True)
    device_id = Id(allow_none=True)
    action = fields.String(metadata={"description": "`read`, `sync-read`, `clear-flag`, ..."})
    entity_type = fields.String()
    entity_ids = fields.List(fields.String())
    detail = fields.String(allow_none=True)


AuditPageSchema = page_schema(AuditEntrySchema, Id)


class WithheldSchema(Schema):
    sections = fields.List(fields.String())
    released_by = fields.String(
        metadata={"description": "The role whose export of the same tenant has them."}
    )
    detail = fields.String()


class SubjectExportSchema(Schema):
    """An admin's export has every section, with safeguarding concerns listed without
    their text; a safeguarding lead's has only the concerns, in full (see `withheld`)."""

    exported_at = fields.String()
    person_ref = fields.String()
    tenant = fields.Dict()
    tenancy = fields.Dict(allow_none=True)
    home = fields.Dict(allow_none=True)
    rent_account_history = fields.List(fields.Dict())
    breathing_spaces = fields.List(fields.Dict())
    rent_transactions = fields.List(fields.Dict())
    letters = fields.List(fields.Dict(), metadata={"description": "Letters to the tenancy."})
    contact_records = fields.List(fields.Dict())
    arrangements = fields.List(fields.Dict())
    promises = fields.List(fields.Dict())
    warning_markers = fields.List(fields.Dict())
    repairs = fields.List(fields.Dict())
    safeguarding_concerns = fields.List(
        fields.Dict(),
        metadata={
            "description": "A safeguarding lead's export: each concern as held. An admin's: "
            "each concern's `id`, `category` and `raised_on` (a date) only."
        },
    )
    field_changes = fields.List(fields.Dict())
    conflicts = fields.List(fields.Dict())
    pushed_records = fields.List(
        fields.Dict(),
        metadata={
            "description": "What phones pushed about these records, as sent: concerns "
            "only in a safeguarding lead's export, all but concerns in an admin's."
        },
    )
    visit_plans = fields.List(
        fields.Dict(), metadata={"description": "Day plans' stops naming the tenancy."}
    )
    withheld = fields.List(
        fields.Nested(WithheldSchema),
        metadata={"description": "What this export leaves out, and whose export has it."},
    )
