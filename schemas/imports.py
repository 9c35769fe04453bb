"""Import runs."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, PageQuerySchema, page_schema
from sync.intake.formats import FORMATS
from sync.intake.kinds import KINDS


class ImportQuerySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={
            "description": "Defaults from the Content-Type: text/csv or application/x-ndjson."
        },
    )
    source = fields.String(
        load_default="upload",
        validate=validate.Length(1, 200),
        metadata={"description": "File name, for the run's record."},
    )


class RowErrorSchema(Schema):
    line = Id()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class RowWarningSchema(Schema):
    line = Id()
    rule = fields.String(
        metadata={"description": "The rule of law the stored row breaks (docs/import-formats.md)."}
    )
    field = fields.String(metadata={"description": "The column at fault."})
    message = fields.String()


class ImportRunSummarySchema(Schema):
    """An import run's counts (the list); ``ImportRunSchema`` adds its rows by line."""

    id = Id()
    kind = fields.String()
    format = fields.String()
    source = fields.String()
    sha256 = fields.String()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    started_by = Id(allow_none=True)
    rows_read = Id()
    inserted = Id()
    updated = Id()
    unchanged = Id()
    rejected = Id()
    warnings = Id(metadata={"description": "Stored rows that break a rule of law."})


class ImportRunSchema(ImportRunSummarySchema):
    errors = fields.List(
        fields.Nested(RowErrorSchema), metadata={"description": "Bad rows by line (first 1,000)."}
    )
    warning_lines = fields.List(
        fields.Nested(RowWarningSchema),
        metadata={"description": "Each warning by line and rule (first 1,000)."},
    )


class ImportRunListQuerySchema(PageQuerySchema):
    after = Id()


ImportRunPageSchema = page_schema(ImportRunSummarySchema, fields.Integer)
