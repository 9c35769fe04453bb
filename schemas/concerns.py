"""Safeguarding concerns as the API shows them, and clearing a home's flag."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, Note, PageQuerySchema, page_schema
from sync import codes


class ConcernSchema(Schema):
    id = fields.String()
    follows = fields.String(allow_none=True)
    uprn = Id()
    address = fields.String(metadata={"description": "The home's address, on one line."})
    tenancy_ref = fields.String(allow_none=True)
    category = fields.String(metadata={"enum": list(codes.CONCERN_CATEGORIES)})
    subjects = fields.List(fields.String())
    immediate_danger = fields.Boolean()
    seen = fields.String()
    referred_to = fields.String(allow_none=True)
    referred_at = fields.String(allow_none=True)
    referral_ref = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    raised_by = Id()
    raised_by_username = fields.String()
    team_id = Id(allow_none=True, metadata={"description": "The raiser's team when raised."})
    raiser_team_id = Id(allow_none=True, metadata={"description": "The raiser's team now."})
    observed_at = fields.String()
    received_at = fields.String()
    flags = fields.List(
        fields.String(),
        metadata={"description": "What the server noticed on arrival, e.g. clock-ahead."},
    )
    cleared = fields.Boolean(metadata={"description": "Cleared by a safeguarding lead."})
    cleared_at = fields.String(allow_none=True)
    cleared_by_username = fields.String(allow_none=True)
    follow_ups = fields.List(fields.Nested(lambda: ConcernSchema(exclude=("follow_ups",))))


class ConcernQuerySchema(PageQuerySchema):
    uprn = Id()
    flagged = fields.Boolean(metadata={"description": "Only concerns not yet cleared."})
    after = fields.String(validate=validate.Length(1, 100))


ConcernPageSchema = page_schema(ConcernSchema, fields.String)


class FollowUpSchema(Schema):
    note = fields.String(
        required=True,
        validate=validate.Length(1, 4000),
        metadata={"description": "What was done or learnt (the follow-up's `seen`)."},
    )
    referred_to = fields.String(validate=validate.Length(1, 200))
    referred_at = fields.AwareDateTime(
        metadata={"description": "When the referral was made; not in the future."}
    )
    referral_ref = fields.String(validate=validate.Length(1, 100))
    outcome = fields.String(validate=validate.Length(1, 2000))
    immediate_danger = fields.Boolean(
        load_default=False, metadata={"description": "Someone is in danger now."}
    )


class ClearFlagSchema(Schema):
    reason = Note(required=True)


class ClearedFlagSchema(Schema):
    uprn = Id()
    cleared = fields.List(fields.String(), metadata={"description": "The concerns cleared."})
    flagged = fields.Boolean(metadata={"description": "Still flagged (a newer concern)."})
