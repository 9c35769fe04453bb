"""Patches, their boundaries and cover."""

from marshmallow import Schema, fields, validate

from schemas.common import Day, Id, Name


class CoverSchema(Schema):
    id = Id()
    patch_id = Id()
    officer_id = Id()
    officer_username = fields.String()
    start_date = fields.String()
    end_date = fields.String()
    reason = fields.String(allow_none=True)
    created_by = Id()
    created_at = fields.String()
    cancelled_at = fields.String(allow_none=True)
    cancelled_by = Id(allow_none=True)


class CoverCreateSchema(Schema):
    officer_id = Id(required=True)
    start_date = Day(required=True, metadata={"description": "First day (England)."})
    end_date = Day(required=True, metadata={"description": "Last day, inclusive."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PatchSchema(Schema):
    id = Id()
    name = fields.String()
    team_id = Id()
    team_name = fields.String()
    officer_id = Id(allow_none=True)
    officer_username = fields.String(allow_none=True)
    officer_name = fields.String(allow_none=True)
    boundary = fields.Dict(
        metadata={"description": "GeoJSON Polygon or MultiPolygon, [longitude, latitude] (WGS84)."}
    )
    home_count = Id()
    covers = fields.List(
        fields.Nested(CoverSchema), metadata={"description": "Current and future cover."}
    )
    created_at = fields.String()
    updated_at = fields.String()


class PatchCreateSchema(Schema):
    name = Name(required=True)
    team_id = Id(required=True)
    officer_id = Id(load_default=None, allow_none=True)
    boundary = fields.Dict(required=True)


class PatchUpdateSchema(Schema):
    officer_id = Id(allow_none=True, metadata={"description": "Owning officer."})
    name = Name()
    team_id = Id()
    boundary = fields.Dict()


class CoverageHomeSchema(Schema):
    uprn = Id()
    address_line_1 = fields.String()
    postcode = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    patch_ids = fields.List(Id())


class CoverageReportSchema(Schema):
    homes = Id()
    outside_count = Id()
    overlap_count = Id()
    outside = fields.List(fields.Nested(CoverageHomeSchema))
    overlapping = fields.List(fields.Nested(CoverageHomeSchema))
