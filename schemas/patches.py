"""Patches, their boundaries and cover."""

from marshmallow import Schema, fields, validate


class CoverSchema(Schema):
    id = fields.Integer()
    patch_id = fields.Integer()
    officer_id = fields.Integer()
    officer_username = fields.String()
    start_date = fields.String()
    end_date = fields.String()
    reason = fields.String(allow_none=True)
    created_by = fields.Integer()
    created_at = fields.String()
    cancelled_at = fields.String(allow_none=True)
    cancelled_by = fields.Integer(allow_none=True)


class CoverCreateSchema(Schema):
    officer_id = fields.Integer(required=True)
    start_date = fields.Date(required=True, metadata={"description": "First day (England)."})
    end_date = fields.Date(required=True, metadata={"description": "Last day, inclusive."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PatchSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    team_id = fields.Integer()
    team_name = fields.String()
    officer_id = fields.Integer(allow_none=True)
    officer_username = fields.String(allow_none=True)
    officer_name = fields.String(allow_none=True)
    boundary = fields.Dict(
        metadata={"description": "GeoJSON Polygon or MultiPolygon, [longitude, latitude] (WGS84)."}
    )
    home_count = fields.Integer()
    covers = fields.List(
        fields.Nested(CoverSchema), metadata={"description": "Current and future cover."}
    )
    created_at = fields.String()
    updated_at = fields.String()


class PatchCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    team_id = fields.Integer(required=True)
    officer_id = fields.Integer(load_default=None, allow_none=True)
    boundary = fields.Dict(required=True)


class PatchUpdateSchema(Schema):
    officer_id = fields.Integer(allow_none=True, metadata={"description": "Owning officer."})
    name = fields.String(validate=validate.Length(1, 100))
    team_id = fields.Integer()
    boundary = fields.Dict()


class CoverageHomeSchema(Schema):
    uprn = fields.Integer()
    address_line_1 = fields.String()
    postcode = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    patch_ids = fields.List(fields.Integer())


class CoverageReportSchema(Schema):
    homes = fields.Integer()
    outside_count = fields.Integer()
    overlap_count = fields.Integer()
    outside = fields.List(fields.Nested(CoverageHomeSchema))
    overlapping = fields.List(fields.Nested(CoverageHomeSchema))
