"""Properties, tenancies, tenants, rent accounts and warning markers."""

from marshmallow import Schema, fields, validate

from schemas.common import Day, Id, PageQuerySchema, page_schema
from sync import codes


class MarkerSchema(Schema):
    marker_ref = fields.String()
    uprn = Id()
    tenancy_ref = fields.String(allow_none=True)
    code = fields.String(metadata={"enum": list(codes.MARKER_CODES)})
    description = fields.String()
    source_incident = fields.String()
    start_date = fields.String()
    review_date = fields.String()
    end_date = fields.String(allow_none=True)
    review_overdue = fields.Boolean()


class PropertySchema(Schema):
    uprn = Id()
    address_line_1 = fields.String()
    address_line_2 = fields.String(allow_none=True)
    address_line_3 = fields.String(allow_none=True)
    post_town = fields.String()
    postcode = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    kind = fields.String(metadata={"enum": list(codes.PROPERTY_KINDS)})
    building = fields.String(allow_none=True)
    bedrooms = Id(allow_none=True)
    patch_ids = fields.List(Id())
    markers = fields.List(fields.Nested(MarkerSchema))
    tenancy_refs = fields.List(fields.String())
    imported_at = fields.String()
    updated_at = fields.String()


class PropertyQuerySchema(PageQuerySchema):
    patch_id = Id()
    postcode = fields.String(
        validate=validate.Length(1, 10),
        metadata={"description": "Full postcode, sector (`BA14 8`) or outward code (`BA14`)."},
    )
    kind = fields.String(validate=validate.OneOf(codes.PROPERTY_KINDS))
    building = fields.String(validate=validate.Length(1, 200))
    after = Id(metadata={"description": "The last UPRN of the previous page."})


PropertyPageSchema = page_schema(PropertySchema, fields.Integer)


class TenantSchema(Schema):
    person_ref = fields.String()
    is_lead = fields.Boolean()
    title = fields.String(allow_none=True)
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    preferred_contact = fields.String(metadata={"enum": list(codes.CONTACT_METHODS)})
    language = fields.String(allow_none=True)
    interpreter_needed = fields.Boolean()
    reasonable_adjustments = fields.String(allow_none=True)
    vulnerabilities = fields.List(fields.String(metadata={"enum": list(codes.VULNERABILITIES)}))
    version = Id(
        metadata={
            "description": "Goes up with every change; a phone's edit names "
            "the version it was based on."
        }
    )


class UniversalCreditSchema(Schema):
    managed_payment = fields.Boolean()
    deduction_weekly = fields.Float(allow_none=True)
    assessment_day = Id(allow_none=True)


class ArrangementSchema(Schema):
    amount = fields.Float()
    frequency = fields.String(metadata={"enum": list(codes.ARRANGEMENT_FREQUENCIES)})
    start_date = fields.String()
    status = fields.String(metadata={"enum": list(codes.ARRANGEMENT_STATUSES)})


class NoticeProblemSchema(Schema):
    rule = fields.String(metadata={"description": "The rule broken (docs/data.md)."})
    field = fields.String(metadata={"description": "The account field at fault."})
    text = fields.String()


class NoticeValiditySchema(Schema):
    status = fields.String(metadata={"enum": ["valid", "invalid", "lapsed"]})
    problems = fields.List(fields.Nested(NoticeProblemSchema))


class LegalSchema(Schema):
    notice_type = fields.String(allow_none=True, metadata={"enum": list(codes.NOTICE_TYPES)})
    notice_served_date = fields.String(allow_none=True)
    notice_expiry_date = fields.String(allow_none=True)
    claim_date = fields.String(allow_none=True)
    hearing_date = fields.String(allow_none=True)
    order_type = fields.String(allow_none=True, metadata={"enum": list(codes.ORDER_TYPES)})
    order_date = fields.String(allow_none=True)
    warrant_date = fields.String(allow_none=True)
    eviction_date = fields.String(allow_none=True)
    notice_validity = fields.Nested(
        NoticeValiditySchema,
        allow_none=True,
        metadata={"description": "Whether the notice is valid by tenure and law; null: none."},
    )


class BreathingSpaceSchema(Schema):
    type = fields.String(metadata={"enum": list(codes.BREATHING_SPACE_TYPES)})
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    active = fields.Boolean()


class AccountSchema(Schema):
    as_of = fields.String()
    balance = fields.Float(metadata={"description": "Positive: arrears owed. Negative: credit."})
    arrears_weeks = fields.Float()
    last_payment_date = fields.String(allow_none=True)
    last_payment_amount = fields.Float(allow_none=True)
    benefit = fields.String(metadata={"enum": list(codes.BENEFITS)})
    universal_credit = fields.Nested(UniversalCreditSchema, allow_none=True)
    arrangement = fields.Nested(ArrangementSchema, allow_none=True)
    legal_stage = fields.String(metadata={"enum": list(codes.LEGAL_STAGES)})
    legal = fields.Nested(LegalSchema)
    breathing_space = fields.Nested(BreathingSpaceSchema, allow_none=True)
    imported_at = fields.String()


class TenancySchema(Schema):
    tenancy_ref = fields.String()
    uprn = Id()
    address_line_1 = fields.String()
    address_line_2 = fields.String(allow_none=True)
    post_town = fields.String()
    postcode = fields.String()
    kind = fields.String()
    tenure = fields.String(metadata={"enum": list(codes.TENURES)})
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["current", "ended", "future"]})
    weekly_rent = fields.Float()
    patch_ids = fields.List(Id())
    tenants = fields.List(fields.Nested(TenantSchema))
    account = fields.Nested(
        AccountSchema,
        allow_none=True,
        metadata={
            "description": "Latest snapshot; null for roles without access to rent accounts."
        },
    )
    markers = fields.List(fields.Nested(MarkerSchema))
    imported_at = fields.String()
    updated_at = fields.String()


class TenancyQuerySchema(PageQuerySchema):
    patch_id = Id()
    postcode = fields.String(validate=validate.Length(1, 10))
    uprn = Id()
    arrears_above = fields.Float(
        allow_nan=False, metadata={"description": "Latest balance strictly above (£)."}
    )
    legal_stage = fields.String(validate=validate.OneOf(codes.LEGAL_STAGES))
    status = fields.String(validate=validate.OneOf(["current", "ended", "future"]))
    after = fields.String(
        validate=validate.Length(1, 40),
        metadata={"description": "The last tenancy_ref of the previous page."},
    )


TenancyPageSchema = page_schema(TenancySchema, fields.String)


class AccountHistoryQuerySchema(PageQuerySchema):
    after = Day(metadata={"description": "The last `as_of` of the previous page (newest first)."})


class AccountHistorySchema(Schema):
    tenancy_ref = fields.String()
    items = fields.List(fields.Nested(AccountSchema))
    next_after = fields.String(allow_none=True)
