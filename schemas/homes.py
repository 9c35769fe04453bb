"""Properties, tenancies, tenants, rent accounts and warning markers."""

from marshmallow import Schema, fields, validate

from schemas.common import Day, Id, PageQuerySchema, page_schema
from sync import codes
from sync.records import breathing


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


class UnlawfulStepSchema(Schema):
    step = fields.String(metadata={"enum": [s for s, _, _ in breathing.STEPS]})
    date = fields.String()
    rule = fields.String(metadata={"enum": list(breathing.RULES)})
    message = fields.String()
    flag_id = Id(metadata={"description": "Its item in GET /sync/flagged."})
    reviewed = fields.Boolean()


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
    step_basis = fields.String(
        allow_none=True,
        metadata={
            "enum": list(breathing.STEP_BASES),
            "description": "Why a step inside a Breathing Space stands.",
        },
    )
    unlawful_steps = fields.List(
        fields.Nested(UnlawfulStepSchema),
        metadata={"description": "Steps the import found inside a Breathing Space."},
    )


class BreathingSpaceSchema(Schema):
    type = fields.String(metadata={"enum": list(codes.BREATHING_SPACE_TYPES)})
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    notified_by = fields.String(allow_none=True, metadata={"description": "Who told us."})
    active = fields.Boolean(metadata={"description": "In force today (start and end included)."})
    moratorium_debt = fields.Float(
        allow_none=True,
        metadata={
            "description": "The arrears owed at the start, frozen: no request for payment, "
            "promise, arrangement or enforcement step for them. While it runs, the part of "
            "the balance still owed; null: not known (the whole balance counts as frozen)."
        },
    )
    ongoing_arrears = fields.Float(
        allow_none=True,
        metadata={
            "description": "While it runs: rent fallen due since the start and unpaid "
            "(balance less the moratorium debt), which may be asked for; else null."
        },
    )
    debt_as_of = fields.String(
        allow_none=True,
        metadata={"description": "The snapshot (or row) the moratorium debt was read from."},
    )


class BreathingSpaceHistoryItemSchema(Schema):
    id = Id()
    type = fields.String(metadata={"enum": list(codes.BREATHING_SPACE_TYPES)})
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    notified_by = fields.String(allow_none=True)
    moratorium_debt = fields.Float(allow_none=True)
    debt_as_of = fields.String(allow_none=True)
    debt_source = fields.String(allow_none=True, metadata={"enum": ["import", "snapshot"]})
    first_seen = fields.String(metadata={"description": "The first snapshot that showed it."})
    last_seen = fields.String()
    active = fields.Boolean()
    ongoing_arrears = fields.Float(allow_none=True)


class BreathingSpaceHistorySchema(Schema):
    tenancy_ref = fields.String()
    items = fields.List(fields.Nested(BreathingSpaceHistoryItemSchema))


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
