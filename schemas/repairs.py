"""Repairs as the API shows them: the referral, its steps, and its Awaab's Law
deadlines."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, PageQuerySchema, page_schema
from sync import codes
from sync.casework import jobs
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


class RepairPatchSchema(Schema):
    id = Id()
    name = fields.String()


class RepairTenantSchema(Schema):
    name = fields.String()
    is_lead = fields.Boolean()
    phone = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True)
    preferred_contact = fields.String()
    language = fields.String(allow_none=True)
    interpreter_needed = fields.Boolean()
    reasonable_adjustments = fields.String(allow_none=True)
    access_needs = fields.List(
        fields.String(metadata={"enum": list(jobs.VISIT_NEEDS)}),
        metadata={
            "description": "The tenant's vulnerabilities that change how a visit is made "
            "(codes: `vulnerabilities` in GET /web/config.json); no others."
        },
    )


class RepairMarkerSchema(Schema):
    code = fields.String(metadata={"enum": list(codes.MARKER_CODES)})
    description = fields.String()
    review_date = fields.String()


class RepairSchema(Schema):
    id = fields.String()
    uprn = Id()
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    address = fields.String(
        allow_none=True, metadata={"description": "The home's address in one line."}
    )
    postcode = fields.String(allow_none=True)
    patches = fields.List(fields.Nested(RepairPatchSchema))
    visit_tenancy_ref = fields.String(
        allow_none=True,
        metadata={
            "description": "The tenancy living there now (the repair's own while current); "
            "null when the home is empty."
        },
    )
    tenants = fields.List(
        fields.Nested(RepairTenantSchema),
        metadata={"description": "The tenants to arrange the visit with, lead first."},
    )
    markers = fields.List(
        fields.Nested(RepairMarkerSchema),
        metadata={"description": "Warning markers in force at the home today."},
    )
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
    next_actions = fields.List(
        fields.String(metadata={"enum": list(codes.REPAIR_ACTIONS)}),
        metadata={"description": "The steps that may be recorded now (others answer 409)."},
    )
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
    still_open = fields.Boolean(
        data_key="open",
        metadata={"description": "`true`: only open repairs; `false`: completed or cancelled."},
    )
    patch_id = Id(metadata={"description": "Only homes in this patch."})
    postcode = fields.String(
        validate=validate.Length(1, 10),
        metadata={"description": "Full postcode, sector (`BA14 8`) or outward code (`BA14`)."},
    )
    order = fields.String(
        load_default="hazard",
        validate=validate.OneOf(jobs.ORDERS),
        metadata={
            "description": "`hazard`: most urgent hazard class first, then oldest. "
            "`urgency`: the earliest Awaab's Law deadline not yet met first (so overdue "
            "repairs first), then the rest by hazard class and age."
        },
    )
    after = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "The last `queue_key` of the previous page, same order."},
    )


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
