"""Photos and signatures, stored by SHA-256."""

from marshmallow import Schema, fields

from schemas.common import Id


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
