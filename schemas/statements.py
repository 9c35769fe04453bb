"""A tenancy's rent statement (sync.records.statements)."""

from marshmallow import Schema, fields

from sync import codes

_METHODS = [*codes.PAYMENT_METHODS, *codes.BENEFIT_METHODS]


class TransactionLineSchema(Schema):
    transaction_ref = fields.String()
    posted_on = fields.String()
    type = fields.String(metadata={"enum": list(codes.TRANSACTION_TYPES)})
    method = fields.String(allow_none=True, metadata={"enum": _METHODS})
    amount = fields.Float(
        metadata={
            "description": "Signed as it moves the balance: a charge adds, a payment takes away."
        }
    )
    description = fields.String(allow_none=True)
    balance = fields.Float(metadata={"description": "The balance after this transaction."})


class WeekSchema(Schema):
    week_start = fields.String(metadata={"description": "The Monday the week starts."})
    charged = fields.Float()
    paid = fields.Float(metadata={"description": "Payments and benefit credits."})
    adjusted = fields.Float()
    balance = fields.Float(metadata={"description": "The balance at the end of the week."})


class StatementViewSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    opening_balance = fields.Float(metadata={"description": "The balance before `from`."})
    closing_balance = fields.Float()
    charged = fields.Float()
    paid = fields.Float()
    adjusted = fields.Float()
    began_before_history = fields.Boolean(
        metadata={"description": "Since arrears began: the history held starts in arrears."}
    )
    weeks = fields.List(fields.Nested(WeekSchema))
    transactions = fields.List(fields.Nested(TransactionLineSchema))


class AccountCheckSchema(Schema):
    as_of = fields.String()
    account_balance = fields.Float()
    statement_balance = fields.Float(allow_none=True)
    agrees = fields.Boolean()


class StatementBreathingSpaceSchema(Schema):
    type = fields.String(metadata={"enum": list(codes.BREATHING_SPACE_TYPES)})
    start_date = fields.String()
    end_date = fields.String(allow_none=True)
    moratorium_debt_at_start = fields.Float()
    moratorium_debt = fields.Float(
        metadata={
            "description": "Frozen: what was owed at the start, less any voluntary "
            "payment beyond ongoing rent."
        }
    )
    ongoing_charged = fields.Float()
    ongoing_paid = fields.Float()
    ongoing_arrears = fields.Float(metadata={"description": "Ongoing rent unpaid: still due."})


class StatementSchema(Schema):
    tenancy_ref = fields.String()
    balance = fields.Float()
    first_transaction = fields.String(allow_none=True)
    last_transaction = fields.String(allow_none=True)
    arrears_began = fields.String(
        allow_none=True, metadata={"description": "The day the current arrears began."}
    )
    account_check = fields.Nested(
        AccountCheckSchema,
        allow_none=True,
        metadata={"description": "The statement's balance on the current account's date."},
    )
    breathing_space = fields.Nested(StatementBreathingSpaceSchema, allow_none=True)
    last_13_weeks = fields.Nested(StatementViewSchema)
    since_arrears_began = fields.Nested(
        StatementViewSchema, allow_none=True, metadata={"description": "Null: not in arrears."}
    )
    transactions = fields.List(fields.Nested(TransactionLineSchema))
