"""A tenancy's Pre-Action Protocol evidence: contacts, arrangements and promises."""

from marshmallow import Schema, fields

from schemas.homes import LegalSchema


class EvidenceEntrySchema(Schema):
    kind = fields.String(metadata={"enum": ["contact", "arrangement", "promise"]})
    at = fields.String(metadata={"description": "When it happened (observed on the phone)."})
    record = fields.Dict(metadata={"description": "The visit record, arrangement or promise."})


class EvidenceSchema(Schema):
    tenancy_ref = fields.String()
    entries = fields.List(fields.Nested(EvidenceEntrySchema))
    notice = fields.Nested(
        LegalSchema,
        allow_none=True,
        metadata={
            "description": "The current notice and claim, with the notice's validity "
            "(null: no notice)."
        },
    )
