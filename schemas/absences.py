"""Absences: an officer away (annual leave, sickness, training, other), and the cover
each of their patches has, or whom to ask (sync.casework.absences, cover)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import Day, Id
from sync import codes


class AbsenceCreateSchema(Schema):
    officer_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(codes.ABSENCE_KINDS)))
    start_date = Day(required=True, metadata={"description": "First day away (England)."})
    end_date = Day(required=True, metadata={"description": "Last day away, inclusive."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _order(self, data, **kwargs):
        if data["end_date"] < data["start_date"]:
            raise ValidationError({"end_date": ["Before start_date."]})


class AbsenceQuerySchema(Schema):
    team_id = Id(metadata={"description": "Default: my team (team leaders); all (admins)."})
    officer_id = Id()
    from_date = Day(data_key="from", metadata={"description": "Absences ending on or after."})
    to_date = Day(data_key="to", metadata={"description": "Absences starting on or before."})
    include_cancelled = fields.Boolean(load_default=False)

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("from_date") and data.get("to_date") and data["to_date"] < data["from_date"]:
            raise ValidationError({"to": ["Before from."]})


class PatchCoverSchema(Schema):
    id = Id()
    patch_id = Id()
    officer_id = Id()
    officer = fields.String()
    officer_name = fields.String(allow_none=True)
    start_date = fields.String()
    end_date = fields.String()
    reason = fields.String(allow_none=True)


class CoverProposalSchema(Schema):
    officer_id = Id()
    officer = fields.String()
    officer_name = fields.String(allow_none=True)
    patch_id = Id(metadata={"description": "The patch the proposed officer holds."})
    patch_name = fields.String()
    distance_km = fields.Float(
        metadata={"description": "Between the middles of the two patches' homes."}
    )
    covering = fields.Boolean(
        metadata={"description": "Already covering another patch on some of those days."}
    )
    start_date = fields.String(metadata={"description": "The first uncovered day."})
    end_date = fields.String(metadata={"description": "The last uncovered day."})
    why = fields.String(metadata={"description": "Why this officer, in words."})


class AbsentPatchSchema(Schema):
    patch_id = Id()
    name = fields.String()
    covers = fields.List(fields.Nested(PatchCoverSchema))
    uncovered_days = fields.List(fields.String())
    proposal = fields.Nested(
        CoverProposalSchema,
        allow_none=True,
        metadata={"description": "Whom to ask to cover; null when covered or nobody is free."},
    )


class OfficerAbsenceSchema(Schema):
    id = Id()
    officer_id = Id()
    officer = fields.String()
    officer_name = fields.String(allow_none=True)
    team_id = Id(allow_none=True)
    kind = fields.String(metadata={"enum": list(codes.ABSENCE_KINDS)})
    start_date = fields.String()
    end_date = fields.String()
    note = fields.String(allow_none=True)
    created_by = Id()
    created_at = fields.String()
    cancelled_at = fields.String(allow_none=True)
    cancelled_by = Id(allow_none=True)
    patches = fields.List(
        fields.Nested(AbsentPatchSchema),
        metadata={"description": "Each patch the officer owns, its cover during the absence."},
    )
