"""The team leader's dashboard: a team's week, officer by officer, and the arrears
trend."""

from marshmallow import Schema, fields

from schemas.common import Day, Id


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
    arrears = fields.Float(
        allow_none=True,
        metadata={
            "description": "£ owed by current tenants in arrears: the positive balances on "
            "each current tenancy's latest account snapshot on the week's Sunday (today, for "
            "this week), as the patches' priorities show them. null: no account snapshot "
            "yet by then (not known, not nothing)."
        },
    )
    in_arrears = fields.Integer(allow_none=True, metadata={"description": "Tenancies counted."})
    former_arrears = fields.Float(
        allow_none=True,
        metadata={"description": "£ still owed on tenancies ended by then (former tenants)."},
    )


class PatchTrendSchema(Schema):
    patch_id = Id()
    name = fields.String()
    trend = fields.List(fields.Nested(TrendPointSchema))


class ArrearsTrendSchema(Schema):
    team = fields.List(fields.Nested(TrendPointSchema))
    patches = fields.List(fields.Nested(PatchTrendSchema))
    figures_from = fields.String(
        allow_none=True,
        metadata={"description": "The first account snapshot's day: figures begin then."},
    )


class DashboardSchema(Schema):
    team_id = Id()
    start = fields.String(data_key="from")
    end = fields.String(data_key="to")
    officers = fields.List(fields.Nested(OfficerStatsSchema))
    arrears = fields.Nested(ArrearsTrendSchema)
