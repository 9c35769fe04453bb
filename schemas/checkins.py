"""Lone working: officers overdue at a visit, and clearing an alert."""

from marshmallow import Schema, fields

from schemas.common import Id, Note


class AlertSchema(Schema):
    id = fields.String()
    uprn = Id()
    officer_id = Id()
    username = fields.String()
    display_name = fields.String()
    work_phone = fields.String(
        allow_none=True, metadata={"description": "The officer's work phone (E.164), to call."}
    )
    checked_in_at = fields.String()
    expected_out_at = fields.String()
    flags = fields.List(fields.String())
    address_line_1 = fields.String()
    postcode = fields.String()
    markers = fields.List(
        fields.String(),
        metadata={"description": "Warning markers in force at the home (`marker_codes`)."},
    )
    overdue_minutes = fields.Integer(
        metadata={"description": "Minutes since the expected finish."}
    )


class ClearAlertSchema(Schema):
    note = Note(required=True)


class ClearedAlertSchema(Schema):
    id = fields.String()
    cleared = fields.Boolean()
