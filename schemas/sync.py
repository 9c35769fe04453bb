"""The sync protocol's messages (see docs/sync-protocol.md)."""

from marshmallow import Schema, fields, validate

from schemas.common import Id
from sync.pull import DEFAULT_LIMIT, MAX_LIMIT
from sync.push import MAX_BATCH


class PullQuerySchema(Schema):
    cursor = fields.String(
        validate=validate.Length(1, 16384),
        metadata={"description": "The `cursor` of the previous page; omit to bootstrap."},
    )
    limit = Id(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Changes per page, 1 to {MAX_LIMIT}."},
    )


class ChangeSchema(Schema):
    seq = Id(
        metadata={
            "description": "Change sequence number; absent on removals caused by scope or time."
        }
    )
    type = fields.String(metadata={"enum": ["property", "tenancy", "tenant", "account", "marker"]})
    id = fields.String()
    op = fields.String(metadata={"enum": ["upsert", "delete", "remove"]})
    data = fields.Dict(metadata={"description": "The whole record, on `upsert`."})


class PullSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String(
        metadata={
            "description": "Send with the next pull. Store it only "
            "after applying this page's changes."
        }
    )
    has_more = fields.Boolean(metadata={"description": "Pull again at once if true."})
    patch_ids = fields.List(Id(), metadata={"description": "The patches now in scope."})


class PushSchema(Schema):
    mutations = fields.List(
        fields.Raw(),
        required=True,
        metadata={
            "description": f"Up to {MAX_BATCH} mutations, each checked on its own "
            "(a malformed one is rejected, not the batch)."
        },
    )


class MutationResultSchema(Schema):
    mutation_id = fields.String()
    status = fields.String(metadata={"enum": ["applied", "duplicate", "conflict", "rejected"]})
    code = fields.String(metadata={"description": "Why it was rejected (rejected only)."})
    reason = fields.String(metadata={"description": "For a person (rejected only)."})
    errors = fields.Dict(metadata={"description": "Offending fields (rejected only)."})
    version = Id(metadata={"description": "The record's version now (mutable records)."})
    flags = fields.List(fields.String())
    conflicts = fields.List(
        fields.Dict(),
        metadata={"description": "Fields whose value the server kept: field, kept, yours."},
    )
    original = fields.Dict(metadata={"description": "The first result (duplicate only)."})


class PushResultSchema(Schema):
    results = fields.List(
        fields.Nested(MutationResultSchema),
        metadata={"description": "One per mutation, in the order sent."},
    )
    acknowledged_seq = Id(
        metadata={"description": "Every device_seq up to this one has been received."}
    )
