"""The sync protocol's messages (see docs/sync-protocol.md)."""

from marshmallow import Schema, fields, validate

from schemas.common import Id, Note, PageQuerySchema, page_schema
from sync import kinds
from sync.pull import DEFAULT_LIMIT, MAX_LIMIT
from sync.push import ENVELOPE, MAX_BATCH
from sync.records import breathing


class PullQuerySchema(Schema):
    cursor = fields.String(
        validate=validate.Length(max=16384),
        metadata={
            "description": "The `cursor` of the previous page; omit to bootstrap (an empty "
            "one is no cursor this server issued: `bad-cursor`)."
        },
    )
    limit = Id(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Changes per page, 1 to {MAX_LIMIT}."},
    )


CHANGE_JSON_SCHEMA = {
    "type": "object",
    "required": ["type", "id", "op"],
    "properties": {
        "seq": {
            "type": "integer",
            "description": "Change sequence number; absent on removals caused by scope or time.",
        },
        "type": {
            "type": "string",
            # Every type a pull carries, from the registry that defines them.
            "enum": list(kinds.KINDS),
        },
        "id": {"type": "string"},
        "op": {"type": "string", "enum": ["upsert", "delete", "remove"]},
        "data": {"type": "object", "description": "The whole record, on `upsert`."},
    },
}


class PullSchema(Schema):
    # Passed through as built by sync.pull (already plain JSON): dumping thousands of
    # records field by field would double a bootstrap's server time.
    changes = fields.Raw(
        metadata={"type": "array", "items": CHANGE_JSON_SCHEMA, "description": "Apply in order."}
    )
    cursor = fields.String(
        metadata={
            "description": "Send with the next pull. Store it only "
            "after applying this page's changes."
        }
    )
    has_more = fields.Boolean(metadata={"description": "Pull again at once if true."})
    patch_ids = fields.List(Id(), metadata={"description": "The patches now in scope."})


def _mutation_json_schema() -> dict:
    schema = ENVELOPE.json_schema()
    schema["properties"]["entity_type"]["enum"] = list(kinds.pushed())
    # Any text is checked (one no kind takes is answered ``invalid-op``); these are taken.
    schema["properties"]["op"] = {
        "type": "string",
        "enum": sorted({name for kind in kinds.pushed().values() for name in kind.ops}),
        "description": "Which ops each kind takes: docs/sync-protocol.md.",
    }
    schema["properties"]["payload"] = {
        "description": "By entity_type and op; see docs/sync-protocol.md.",
        "oneOf": [
            {"title": f"{kind.name} {name}", **op.payload.json_schema()}
            for kind in kinds.pushed().values()
            for name, op in kind.ops.items()
        ],
    }
    return schema


class PushSchema(Schema):
    # Any JSON value is taken as an entry: each is checked on its own (sync.push), so a
    # malformed one (null, a number, an object missing fields) is rejected, not the batch.
    mutations = fields.List(
        fields.Raw(allow_none=True, metadata=_mutation_json_schema()),
        required=True,
        metadata={
            "description": f"Up to {MAX_BATCH} mutations, each checked on its own: a "
            "malformed one, or any other JSON value (null, a number, a list), is answered "
            "rejected invalid-mutation, not the batch."
        },
    )
    # Any value is taken (one the server cannot use is ignored): an upload is never
    # refused for its cursor.
    cursor = fields.Raw(
        allow_none=True,
        metadata={
            "type": "string",
            "description": "The cursor of your last pull, as stored: which versions you "
            "hold, so that your own edits of them are not sent back to you. Without a "
            "cursor this device's pulls issued, an edit based on a version someone else "
            "wrote comes back on your next pull.",
        },
    )


RESULT_JSON_SCHEMA = {
    "type": "object",
    "required": ["mutation_id", "status"],
    "properties": {
        "mutation_id": {
            "type": ["string", "null"],
            "description": "As sent; null when the entry had no string mutation_id.",
        },
        "status": {"type": "string", "enum": ["applied", "duplicate", "conflict", "rejected"]},
        "code": {"type": "string", "description": "Why it was rejected (rejected only)."},
        "reason": {"type": "string", "description": "For a person (rejected only)."},
        "errors": {
            "type": "object",
            "description": "Offending fields (rejected only): name -> messages.",
        },
        "version": {
            "type": "integer",
            "description": "The record's version now (mutable records).",
        },
        "flags": {
            "type": "array",
            "items": {"type": "string"},
            "description": "What the server noticed, the record kept: e.g. `clock-ahead`, "
            "`breathing-space` (it asked for a Breathing Space's frozen debt: sent to review, "
            "GET /sync/flagged).",
        },
        "observed_at": {
            "type": "string",
            "format": "date-time",
            "description": "clock-ahead only: the time the record was kept at (the time the "
            "server received it), in the UTC offset the phone sent.",
        },
        "conflicts": {
            "type": "array",
            "description": "Fields whose value the server kept: field, kept, yours.",
            "items": {"type": "object"},
        },
        "original": {"type": "object", "description": "The first result (duplicate only)."},
    },
}


class PushResultSchema(Schema):
    # Passed through as built by sync.push (plain JSON), like a pull's changes.
    results = fields.Raw(
        metadata={
            "type": "array",
            "items": RESULT_JSON_SCHEMA,
            "description": "One per mutation, in the order sent.",
        }
    )
    acknowledged_seq = Id(
        metadata={"description": "Every device_seq up to this one has been received."}
    )


class ConflictQuerySchema(PageQuerySchema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved"]))
    after = Id(metadata={"description": "The last conflict id of the previous page."})


class ConflictSchema(Schema):
    id = Id()
    entity_type = fields.String()
    entity_id = fields.String()
    field = fields.String()
    uprn = Id(allow_none=True)
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    postcode = fields.String(allow_none=True)
    rule = fields.String(
        metadata={"description": "`first-write-kept` (two phones) or `import-kept-phone-edit`."}
    )
    kept_value = fields.Raw(allow_none=True)
    kept_source = fields.String()
    kept_by = Id(allow_none=True)
    kept_by_username = fields.String(allow_none=True)
    kept_at = fields.String(allow_none=True)
    other_value = fields.Raw(allow_none=True)
    other_source = fields.String()
    other_by = Id(allow_none=True)
    other_by_username = fields.String(allow_none=True)
    other_at = fields.String(allow_none=True)
    mutation_id = fields.String(allow_none=True)
    created_at = fields.String()
    resolved_at = fields.String(allow_none=True)
    resolved_by = Id(allow_none=True)
    resolution = fields.String(allow_none=True)


ConflictPageSchema = page_schema(ConflictSchema, Id)


class ResolveSchema(Schema):
    choose = fields.String(
        required=True,
        validate=validate.OneOf(["kept", "other"]),
        metadata={
            "description": "`other` makes the other value the record's value; `kept` leaves it."
        },
    )


class RejectionQuerySchema(PageQuerySchema):
    reviewed = fields.Boolean(load_default=False)
    after = Id()


class RejectionSchema(Schema):
    id = Id()
    mutation_id = fields.String()
    device_id = Id()
    user_id = Id()
    username = fields.String()
    device_seq = Id(allow_none=True)
    entity_type = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    op = fields.String(allow_none=True)
    observed_at = fields.String(allow_none=True)
    received_at = fields.String()
    body = fields.Raw(metadata={"description": "The mutation as the phone sent it."})
    result = fields.Dict(metadata={"description": "The rejection: code and reason."})
    reviewed_at = fields.String(allow_none=True)
    reviewed_by = Id(allow_none=True)
    uprn = Id(
        allow_none=True, metadata={"description": "The home the payload names, if it names one."}
    )
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    postcode = fields.String(allow_none=True)


RejectionPageSchema = page_schema(RejectionSchema, Id)


class FlagQuerySchema(PageQuerySchema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "reviewed"]))
    after = Id(metadata={"description": "The last flagged item id of the previous page."})


class FlagSchema(Schema):
    id = Id()
    flag = fields.String(metadata={"enum": ["breathing-space"]})
    rule = fields.String(
        metadata={
            "enum": list(breathing.RULES),
            "description": "The rule it touched (docs/sync-protocol.md).",
        }
    )
    message = fields.String(metadata={"description": "The rule and the figures, in words."})
    tenancy_ref = fields.String()
    uprn = Id()
    address_line_1 = fields.String(allow_none=True, metadata={"description": "The home's."})
    postcode = fields.String(allow_none=True)
    source = fields.String(
        metadata={"enum": ["push", "import"], "description": "A phone's record or an import row."}
    )
    entity_type = fields.String(allow_none=True, metadata={"description": "push: the record."})
    entity_id = fields.String(allow_none=True)
    step = fields.String(
        allow_none=True,
        metadata={"enum": [s for s, _, _ in breathing.STEPS], "description": "import: the step."},
    )
    step_date = fields.String(allow_none=True)
    run_id = Id(allow_none=True, metadata={"description": "import: the run that first sent it."})
    line = Id(allow_none=True)
    user_id = Id(allow_none=True, metadata={"description": "push: the officer who recorded it."})
    username = fields.String(allow_none=True)
    observed_at = fields.String(allow_none=True)
    created_at = fields.String()
    reviewed_at = fields.String(allow_none=True)
    reviewed_by = Id(allow_none=True)
    reviewed_by_username = fields.String(allow_none=True)
    review_note = fields.String(allow_none=True)


FlagPageSchema = page_schema(FlagSchema, Id)


class FlagReviewSchema(Schema):
    note = Note(required=True, metadata={"description": "What the leader found and did."})
