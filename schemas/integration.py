"""Records made in the field, as the API shows them: repairs, safeguarding concerns,
warning markers, lone-working alerts, photos, protocol evidence, the outbox feed and
webhook deliveries, and the audit log."""

from marshmallow import Schema, fields, validate

from schemas.common import Day, Id, PageQuerySchema, page_schema
from schemas.homes import MarkerSchema
from sync import codes
from sync.protocol import outbox
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


class ConcernSchema(Schema):
    id = fields.String()
    follows = fields.String(allow_none=True)
    uprn = Id()
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
    cleared = fields.Boolean(metadata={"description": "Cleared by a safeguarding lead."})
    follow_ups = fields.List(fields.Nested(lambda: ConcernSchema(exclude=("follow_ups",))))


class ConcernQuerySchema(PageQuerySchema):
    uprn = Id()
    flagged = fields.Boolean(metadata={"description": "Only concerns not yet cleared."})
    after = fields.String(validate=validate.Length(1, 100))


ConcernPageSchema = page_schema(ConcernSchema, fields.String)


class ClearFlagSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class ClearedFlagSchema(Schema):
    uprn = Id()
    cleared = fields.List(fields.String(), metadata={"description": "The concerns cleared."})
    flagged = fields.Boolean(metadata={"description": "Still flagged (a newer concern)."})


class FieldMarkerSchema(MarkerSchema):
    class Meta:
        exclude = ("review_overdue",)

    status = fields.String(metadata={"enum": list(codes.MARKER_STATUSES)})
    raised_by = Id()
    raised_by_username = fields.String()
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


class AlertSchema(Schema):
    id = fields.String()
    uprn = Id()
    officer_id = Id()
    username = fields.String()
    display_name = fields.String()
    checked_in_at = fields.String()
    expected_out_at = fields.String()
    flags = fields.List(fields.String())
    address_line_1 = fields.String()
    postcode = fields.String()


class ClearAlertSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(1, 2000))


class ClearedAlertSchema(Schema):
    id = fields.String()
    cleared = fields.Boolean()


class BlobSchema(Schema):
    sha256 = fields.String()
    size = Id()
    content_type = fields.String()
    uploaded_at = fields.String()
    created = fields.Boolean(metadata={"description": "False when it was already here."})


class MissingBlobSchema(Schema):
    entity_type = fields.String()
    entity_id = fields.String()
    sha256 = fields.String()


class EvidenceEntrySchema(Schema):
    kind = fields.String(metadata={"enum": ["contact", "arrangement", "promise"]})
    at = fields.String(metadata={"description": "When it happened (observed on the phone)."})
    record = fields.Dict(metadata={"description": "The visit record, arrangement or promise."})


class EvidenceSchema(Schema):
    tenancy_ref = fields.String()
    entries = fields.List(fields.Nested(EvidenceEntrySchema))


class FeedQuerySchema(PageQuerySchema):
    after = Id(load_default=0, metadata={"description": "The last `seq` already stored."})
    topic = fields.String(validate=validate.OneOf(outbox.TOPICS))


class EventSchema(Schema):
    seq = Id(metadata={"description": "Position in the feed: pass the last as `after`."})
    id = fields.String(metadata={"description": "The event id: deduplicate on it."})
    topic = fields.String(metadata={"enum": list(outbox.TOPICS)})
    occurred_at = fields.String()
    data = fields.Dict()


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


class DashboardQuerySchema(Schema):
    start = Day(
        data_key="from", metadata={"description": "First day (default: this week's Monday)."}
    )
    end = Day(
        data_key="to", metadata={"description": "Last day (default: six days after `from`)."}
    )


class DayStatsSchema(Schema):
    date = fields.String()
    contacts = fields.Integer(metadata={"description": "Contact attempts, every channel."})
    home_visits = fields.Integer()
    reached = fields.Integer(metadata={"description": "Contact made or appointment made."})
    contact_rate = fields.Float(allow_none=True, metadata={"description": "reached / contacts"})
    channels = fields.Dict(keys=fields.String(), values=fields.Integer())
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    arrangements = fields.Integer()
    promises = fields.Integer()
    repairs = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "By hazard."}
    )
    concerns = fields.Integer(metadata={"description": "Safeguarding concerns raised."})


class DashboardDeviceSchema(Schema):
    id = Id()
    name = fields.String()
    last_seen_at = fields.String(allow_none=True)
    last_pull_at = fields.String(allow_none=True)
    last_push_at = fields.String(allow_none=True)
    acknowledged_seq = Id()
    rejected_awaiting_review = Id()


class OfficerStatsSchema(Schema):
    user_id = Id()
    username = fields.String()
    display_name = fields.String()
    days = fields.List(fields.Nested(DayStatsSchema))
    total = fields.Nested(DayStatsSchema, metadata={"description": "The whole period (no date)."})
    overdue_repairs = fields.List(
        fields.String(), metadata={"description": "Open repairs they raised, now overdue."}
    )
    devices = fields.List(fields.Nested(DashboardDeviceSchema))


class TrendPointSchema(Schema):
    week_ending = fields.String()
    arrears = fields.Float(metadata={"description": "Owed on tenancies in arrears, £."})
    in_arrears = fields.Integer()


class PatchTrendSchema(Schema):
    patch_id = Id()
    name = fields.String()
    trend = fields.List(fields.Nested(TrendPointSchema))


class ArrearsTrendSchema(Schema):
    team = fields.List(fields.Nested(TrendPointSchema))
    patches = fields.List(fields.Nested(PatchTrendSchema))


class DashboardSchema(Schema):
    team_id = Id()
    start = fields.String(data_key="from")
    end = fields.String(data_key="to")
    officers = fields.List(fields.Nested(OfficerStatsSchema))
    arrears = fields.Nested(ArrearsTrendSchema)


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
