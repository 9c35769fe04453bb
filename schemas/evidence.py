"""A tenancy's Pre-Action Protocol evidence: contacts, arrangements and promises."""

from marshmallow import Schema, fields


class EvidenceEntrySchema(Schema):
    kind = fields.String(metadata={"enum": ["contact", "arrangement", "promise"]})
    at = fields.String(metadata={"description": "When it happened (observed on the phone)."})
    record = fields.Dict(metadata={"description": "The visit record, arrangement or promise."})


class EvidenceSchema(Schema):
    tenancy_ref = fields.String()
    entries = fields.List(fields.Nested(EvidenceEntrySchema))
