"""A tenancy's Pre-Action Protocol evidence (sync.casework.evidence)."""

from marshmallow import Schema, fields

from schemas.homes import AccountSchema, LegalSchema
from sync import codes
from sync.casework import checklist

ENTRY_KINDS = [
    "contact",
    "letter",
    "arrangement",
    "promise",
    "imported_arrangement",
    "legal",
    "breathing_space",
]


class EvidenceEntrySchema(Schema):
    kind = fields.String(metadata={"enum": ENTRY_KINDS})
    at = fields.String(metadata={"description": "When it happened: an instant or a date."})
    summary = fields.String(metadata={"description": "What happened, in words."})
    record = fields.Dict(metadata={"description": "The record it comes from."})


class ContactSchema(Schema):
    kind = fields.String(metadata={"enum": ["contact", "letter"]})
    at = fields.String()
    channel = fields.String(metadata={"enum": list(codes.CHANNELS)})
    outcome = fields.String(
        metadata={"description": "A visit's outcome, or a letter's type (data.md)."}
    )
    by = fields.String(metadata={"description": "The officer, or `housing system`."})
    to = fields.String(allow_none=True, metadata={"description": "A letter's addressee."})
    record = fields.Dict()


class OfferSchema(Schema):
    at = fields.String()
    source = fields.String()
    amount = fields.Float(allow_none=True)
    frequency = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    income_expenditure = fields.Dict(allow_none=True)


class ArrangementsSchema(Schema):
    imported = fields.List(
        fields.Dict(), metadata={"description": "The housing system's, at each change."}
    )
    doorstep = fields.List(
        fields.Dict(), metadata={"description": "Agreed on phones, each with its `history`."}
    )


class SupportSchema(Schema):
    benefit = fields.String(allow_none=True, metadata={"enum": list(codes.BENEFITS)})
    universal_credit = fields.Dict(allow_none=True)
    steps = fields.List(fields.Dict(), metadata={"description": "Benefit and debt help."})


class CheckSchema(Schema):
    code = fields.String(metadata={"enum": list(checklist.REQUIREMENTS)})
    requirement = fields.String()
    status = fields.String(
        metadata={"enum": [checklist.MET, checklist.NOT_MET, checklist.NOT_APPLICABLE]}
    )
    evidence = fields.List(fields.String())


class EvidenceSchema(Schema):
    tenancy_ref = fields.String()
    as_of = fields.String()
    tenancy = fields.Dict(metadata={"description": "Address, tenure, dates, weekly rent."})
    tenants = fields.List(fields.Dict(), metadata={"description": "The parties."})
    account = fields.Nested(AccountSchema, allow_none=True)
    contacts = fields.List(fields.Nested(ContactSchema))
    offers = fields.List(fields.Nested(OfferSchema))
    arrangements = fields.Nested(ArrangementsSchema)
    promises = fields.List(fields.Dict())
    support = fields.Nested(SupportSchema)
    vulnerabilities = fields.List(fields.Dict())
    breathing_spaces = fields.List(fields.Dict())
    notice = fields.Nested(
        LegalSchema,
        allow_none=True,
        metadata={
            "description": "The current notice and claim, with the notice's validity "
            "(null: no notice)."
        },
    )
    statement = fields.Dict(
        metadata={"description": "The rent statement's balance, arrears start and check."}
    )
    entries = fields.List(fields.Nested(EvidenceEntrySchema))
    checklist = fields.List(fields.Nested(CheckSchema))
