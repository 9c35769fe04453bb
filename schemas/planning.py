"""Priorities and day plans (routing.priority, sync.casework.days, plans, weeks)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from routing import priority
from schemas.common import FIRST_DAY, LAST_DAY, Day, Id
from sync.casework import days
from sync.clock import london_today

CLOCK = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="A time as HH:MM.")


class ReasonSchema(Schema):
    code = fields.String()
    kind = fields.String(
        metadata={
            "enum": ["enforcement", "ongoing-rent", "support", "legal"],
            "description": "`ongoing-rent`: during a Breathing Space, rent fallen due since "
            "it began, which may be asked for (the moratorium debt is frozen).",
        }
    )
    points = fields.Float()
    text = fields.String(metadata={"description": "For the officer."})
    suppressed = fields.String(
        metadata={"description": "Why it does not count (Breathing Space, say)."}
    )
    tenancy_ref = fields.String()


class MoratoriumSchema(Schema):
    type = fields.String(allow_none=True)
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    moratorium_debt = fields.Float(metadata={"description": "Frozen: never asked for."})
    ongoing_arrears = fields.Float(metadata={"description": "Rent due since the start."})
    text = fields.String()


class PrioritySchema(Schema):
    tenancy_ref = fields.String()
    uprn = Id()
    score = fields.Float()
    action = fields.String(metadata={"enum": list(priority.ACTIONS)})
    breathing_space = fields.Boolean()
    moratorium = fields.Nested(
        MoratoriumSchema,
        allow_none=True,
        metadata={"description": "The Breathing Space in force: what may and may not be asked."},
    )
    reasons = fields.List(fields.Nested(ReasonSchema))
    rules_version = fields.String()
    visited_yesterday = fields.Boolean()
    markers = fields.List(fields.String())


class HomePrioritySchema(Schema):
    tenancy_ref = fields.String()
    uprn = Id()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    balance = fields.Float(metadata={"description": "The current balance in pounds"})
    score = fields.Float()
    action = fields.String(metadata={"enum": list(priority.ACTIONS)})
    markers = fields.List(fields.String())


class PlaceSchema(Schema):
    latitude = fields.Float(required=True, validate=validate.Range(49.0, 61.0))
    longitude = fields.Float(required=True, validate=validate.Range(-9.0, 2.5))
    label = fields.String(validate=validate.Length(1, 100))


class WindowSchema(Schema):
    start = fields.String(required=True, validate=CLOCK)
    end = fields.String(required=True, validate=CLOCK)


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


class BreakSchema(Schema):
    start = fields.String(data_key="from", attribute="from", required=True, validate=CLOCK)
    end = fields.String(data_key="to", attribute="to", required=True, validate=CLOCK)
    minutes = fields.Integer(required=True, validate=validate.Range(5, 120))

    @validates_schema
    def _fits(self, data, **kwargs):
        span = _minutes(data["to"]) - _minutes(data["from"])
        if span < data["minutes"]:
            raise ValidationError({"to": ["The break must fit between from and to."]})


class AppointmentSchema(Schema):
    uprn = Id(required=True)
    start = fields.String(data_key="from", attribute="from", required=True, validate=CLOCK)
    end = fields.String(data_key="to", attribute="to", required=True, validate=CLOCK)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["to"] < data["from"]:
            raise ValidationError({"to": ["Before from."]})


def _not_past(day) -> None:
    """Plans are for today or later: phones hold no past day's plan, so it would reach no
    one (days are England's)."""
    if day < london_today():
        raise ValidationError("A plan is for today or a later day.")


PLAN_DAY = [validate.Range(FIRST_DAY, LAST_DAY), _not_past]


class PlanRequestSchema(Schema):
    officer_id = Id(metadata={"description": "Default: me (officers)."})
    date = Day(required=True, validate=PLAN_DAY, metadata={"description": "Today or later."})
    start = fields.Nested(
        PlaceSchema,
        metadata={"description": "Default: the officer's base (else the middle of their homes)."},
    )
    end = fields.Nested(
        PlaceSchema, metadata={"description": "Default: the officer's base (else the start)."}
    )
    window = fields.Nested(WindowSchema, metadata={"description": "Default 09:00-17:00."})
    breaks = fields.List(
        fields.Nested(BreakSchema),
        validate=validate.Length(max=3),
        metadata={"description": "Default: 30 minutes between 12:00 and 14:00."},
    )
    mode = fields.String(load_default="car", validate=validate.OneOf(["car", "walk"]))
    on_site_minutes = fields.Integer(validate=validate.Range(5, 120))
    must_visit = fields.List(Id(), validate=validate.Length(max=30))
    appointments = fields.List(fields.Nested(AppointmentSchema), validate=validate.Length(max=30))

    @validates_schema
    def _window(self, data, **kwargs):
        window = data.get("window")
        if window and window["end"] <= window["start"]:
            raise ValidationError({"window": ["The day must end after it starts."]})
        day = window or days.DEFAULT_WINDOW
        outside = {
            k: {"from": [f"The break must fall within the day ({day['start']}-{day['end']})."]}
            for k, b in enumerate(data.get("breaks") or [])
            if b["from"] < day["start"] or b["to"] > day["end"]
        }
        if outside:
            raise ValidationError({"breaks": outside})


class ReplanSchema(Schema):
    position = fields.Nested(PlaceSchema, required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "Now, with offset."})
    done = fields.List(Id(), load_default=list, metadata={"description": "Homes visited."})
    skipped = fields.List(Id(), load_default=list, metadata={"description": "Homes skipped."})


class BookedSchema(Schema):
    start = fields.String(data_key="from", attribute="from")
    end = fields.String(data_key="to", attribute="to")


class PartnerSchema(Schema):
    officer_id = Id()
    name = fields.String()
    booked = fields.Nested(BookedSchema, metadata={"description": "The window booked."})


class StopSchema(Schema):
    seq = fields.Integer()
    uprn = Id()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    tenancy_refs = fields.List(fields.String())
    score = fields.Float()
    arrive_at = fields.String()
    start_at = fields.String()
    leave_at = fields.String()
    travel_s = fields.Integer(metadata={"description": "Travel from the previous stop."})
    on_site_s = fields.Integer()
    appointment = fields.Dict(allow_none=True)
    must_visit = fields.Boolean()
    markers = fields.List(fields.String())
    reasons = fields.List(fields.Nested(ReasonSchema))
    partner = fields.Nested(
        PartnerSchema,
        allow_none=True,
        metadata={
            "description": "A paired visit's other officer: both start it at `start_at`, "
            "the minute in `appointment`, within the window booked."
        },
    )


class LeftOutSchema(Schema):
    uprn = Id()
    address = fields.String()
    score = fields.Float()
    why = fields.String(
        metadata={
            "enum": [
                "time-budget",
                "window-clash",
                "needs-pair",
                "breathing-space",
                "visited-yesterday",
            ]
        }
    )
    text = fields.String()


class StopProgressSchema(Schema):
    uprn = Id()
    address = fields.String(allow_none=True)
    seq = fields.Integer(
        allow_none=True,
        metadata={"description": "The stop's `seq`; null for a stop a re-plan kept (`fixed`)."},
    )
    state = fields.String(
        metadata={
            "enum": ["visited", "skipped", "to_go"],
            "description": "`visited`: the officer's home visit there that day has synced; "
            "`skipped`: not visited, but a later stop was (or a re-plan passed it); "
            "`to_go`: neither.",
        }
    )
    outcome = fields.String(
        allow_none=True, metadata={"description": "The visit's outcome (its latest record)."}
    )
    visit_id = fields.String(allow_none=True)
    visited_at = fields.String(
        allow_none=True, metadata={"description": "When the officer arrived (else recorded)."}
    )


class PlanProgressSchema(Schema):
    visited = fields.Integer()
    skipped = fields.Integer()
    to_go = fields.Integer()
    stops = fields.List(
        fields.Nested(StopProgressSchema),
        metadata={"description": "The day's stops in order: those a re-plan kept, then `stops`."},
    )


class PlanSchema(Schema):
    id = Id()
    officer_id = Id()
    officer = fields.String()
    date = fields.String()
    status = fields.String(metadata={"enum": ["current", "superseded"]})
    replaces = Id(allow_none=True)
    created_at = fields.String()
    mode = fields.String()
    rules_version = fields.String()
    start = fields.Dict()
    end = fields.Dict()
    window = fields.Dict()
    breaks = fields.List(fields.String(), metadata={"description": "When each break starts."})
    fixed = fields.List(fields.Dict(), metadata={"description": "Done or skipped (re-plans)."})
    stops = fields.List(fields.Nested(StopSchema))
    left_out = fields.List(fields.Nested(LeftOutSchema))
    totals = fields.Dict()
    feasible = fields.Boolean()
    progress = fields.Nested(
        PlanProgressSchema,
        metadata={"description": "How far the officer has got, from the visits synced so far."},
    )


class PlanListQuerySchema(Schema):
    date = Day(required=True)
    officer_id = Id()


class PairedVisitSchema(Schema):
    uprn = Id(required=True)
    date = Day(required=True)
    start = fields.String(data_key="from", attribute="from", required=True, validate=CLOCK)
    end = fields.String(data_key="to", attribute="to", required=True, validate=CLOCK)
    officer_ids = fields.List(Id(), required=True, validate=validate.Length(2, 2))


class AbsenceSchema(Schema):
    officer_id = Id(required=True)
    date = Day(required=True)


class WeekPlanRequestSchema(Schema):
    start = Day(
        required=True,
        validate=PLAN_DAY,
        metadata={"description": "The first day (a Monday, say): today or later."},
    )
    days = fields.Integer(load_default=5, validate=validate.Range(1, 7))
    officer_ids = fields.List(Id(), metadata={"description": "Default: the team's officers."})
    mode = fields.String(load_default="car", validate=validate.OneOf(["car", "walk"]))
    window = fields.Nested(WindowSchema)
    breaks = fields.List(fields.Nested(BreakSchema), validate=validate.Length(max=3))
    on_site_minutes = fields.Integer(validate=validate.Range(5, 120))
    paired = fields.List(fields.Nested(PairedVisitSchema), validate=validate.Length(max=50))
    absent = fields.List(
        fields.Nested(AbsenceSchema),
        validate=validate.Length(max=100),
        metadata={"description": "Officer-days not to plan (leave, training, sickness)."},
    )
    end_slack_minutes = fields.Integer(
        validate=validate.Range(0, 120),
        metadata={"description": "Time kept free at the end of each day, for overruns."},
    )
    method = fields.String(
        load_default="joint",
        validate=validate.OneOf(["joint", "greedy"]),
        metadata={
            "description": "joint (default): the week's days improved together after a "
            "first pass; greedy: each day in turn, taking the best homes left."
        },
    )


class WeekDaySchema(Schema):
    plan_id = Id()
    officer_id = Id()
    date = fields.String()
    stops = fields.Integer()
    score = fields.Float()
    travel_s = fields.Integer()
    paired = fields.List(Id())


class UnplannedDaySchema(Schema):
    officer_id = Id()
    date = fields.String()
    reason = fields.String(
        metadata={
            "description": "Why: the officer holds no patch that day (each covered by "
            "another officer, or none yet)."
        }
    )


class WeekPlanSchema(Schema):
    team_id = Id()
    start = fields.String()
    days = fields.Integer()
    plans = fields.List(fields.Nested(WeekDaySchema))
    unplanned = fields.List(
        fields.Nested(UnplannedDaySchema),
        metadata={"description": "Officer-days left unplanned as no patch is theirs that day."},
    )
    score = fields.Float(metadata={"description": "The week's total score."})
    greedy_score = fields.Float(
        metadata={
            "description": "The week's score after the first pass, each day in turn (the "
            "greedy week); the joint week never scores less."
        }
    )
    balance = fields.Dict(metadata={"description": "Stops per officer-day: min, max, mean."})
