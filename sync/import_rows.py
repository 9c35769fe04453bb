"""Row formats of the nightly import. ``docs/import-formats.md`` documents each column."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from sync import codes
from sync.fields import CodeList, Postcode, TrimmedString

Ref = TrimmedString(required=True, validate=validate.Length(max=40))
Text = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=200))
OptionalDate = fields.Date(load_default=None, allow_none=True)
Money = fields.Float(
    required=True, validate=validate.Range(-1_000_000, 1_000_000), allow_nan=False
)
OptionalMoney = fields.Float(
    load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(0, 1_000_000)
)


def _one_of(choices):
    return validate.OneOf(list(choices))


class ImportRow(Schema):
    class Meta:
        unknown = RAISE


def _order(data: dict, earlier: str, later: str, errors: dict) -> None:
    if data.get(earlier) and data.get(later) and data[later] < data[earlier]:
        errors.setdefault(later, []).append(f"Must not be before {earlier}.")


class PropertyRow(ImportRow):
    uprn = fields.Integer(required=True, strict=False, validate=validate.Range(1, 999_999_999_999))
    address_line_1 = TrimmedString(required=True, validate=validate.Length(max=200))
    address_line_2 = Text
    address_line_3 = Text
    post_town = TrimmedString(required=True, validate=validate.Length(max=60))
    postcode = Postcode(required=True)
    latitude = fields.Float(required=True, validate=validate.Range(49.8, 60.9), allow_nan=False)
    longitude = fields.Float(required=True, validate=validate.Range(-8.7, 1.9), allow_nan=False)
    kind = fields.String(required=True, validate=_one_of(codes.PROPERTY_KINDS))
    building = Text
    bedrooms = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 12))


class TenancyRow(ImportRow):
    tenancy_ref = Ref
    uprn = fields.Integer(required=True, validate=validate.Range(1, 999_999_999_999))
    tenure = fields.String(required=True, validate=_one_of(codes.TENURES))
    start_date = fields.Date(required=True)
    end_date = OptionalDate
    weekly_rent = fields.Float(required=True, validate=validate.Range(0, 5000), allow_nan=False)

    @validates_schema
    def _dates(self, data, **kwargs):
        errors: dict = {}
        _order(data, "start_date", "end_date", errors)
        if errors:
            raise ValidationError(errors)


class TenantRow(ImportRow):
    person_ref = Ref
    tenancy_ref = Ref
    is_lead = fields.Boolean(load_default=False)
    title = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=20))
    first_name = TrimmedString(required=True, validate=validate.Length(max=100))
    last_name = TrimmedString(required=True, validate=validate.Length(max=100))
    date_of_birth = OptionalDate
    phone = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=30))
    mobile = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=30))
    email = fields.Email(load_default=None, allow_none=True)
    preferred_contact = fields.String(required=True, validate=_one_of(codes.CONTACT_METHODS))
    language = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=40))
    interpreter_needed = fields.Boolean(load_default=False)
    reasonable_adjustments = TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    vulnerabilities = CodeList(
        fields.String(validate=_one_of(codes.VULNERABILITIES)), load_default=list
    )

    @validates_schema
    def _reachable(self, data, **kwargs):
        needs = {"phone": ("phone", "mobile"), "sms": ("mobile",), "email": ("email",)}
        wanted = needs.get(data.get("preferred_contact"), ())
        if wanted and not any(data.get(f) for f in wanted):
            raise ValidationError(
                {"preferred_contact": [f"Needs {' or '.join(wanted)} to be given."]}
            )


class AccountRow(ImportRow):
    tenancy_ref = Ref
    as_of = fields.Date(required=True)
    balance = Money
    arrears_weeks = fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(0, 1000)
    )
    last_payment_date = OptionalDate
    last_payment_amount = OptionalMoney
    benefit = fields.String(required=True, validate=_one_of(codes.BENEFITS))
    uc_managed_payment = fields.Boolean(load_default=False)
    uc_deduction_weekly = OptionalMoney
    uc_assessment_day = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 31)
    )
    arrangement_amount = OptionalMoney
    arrangement_frequency = fields.String(
        load_default=None, allow_none=True, validate=_one_of(codes.ARRANGEMENT_FREQUENCIES)
    )
    arrangement_start = OptionalDate
    arrangement_status = fields.String(
        load_default=None, allow_none=True, validate=_one_of(codes.ARRANGEMENT_STATUSES)
    )
    notice_type = fields.String(
        load_default=None, allow_none=True, validate=_one_of(codes.NOTICE_TYPES)
    )
    notice_served_date = OptionalDate
    notice_expiry_date = OptionalDate
    claim_date = OptionalDate
    hearing_date = OptionalDate
    order_type = fields.String(
        load_default=None, allow_none=True, validate=_one_of(codes.ORDER_TYPES)
    )
    order_date = OptionalDate
    warrant_date = OptionalDate
    eviction_date = OptionalDate
    breathing_space_type = fields.String(
        load_default=None, allow_none=True, validate=_one_of(codes.BREATHING_SPACE_TYPES)
    )
    breathing_space_start = OptionalDate
    breathing_space_end = OptionalDate

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors: dict = {}
        arrangement = (
            "arrangement_amount",
            "arrangement_frequency",
            "arrangement_start",
            "arrangement_status",
        )
        if any(data.get(f) is not None for f in arrangement):
            for f in arrangement:
                if data.get(f) is None:
                    errors.setdefault(f, []).append("Required when an arrangement is given.")
        if data.get("notice_type") and not data.get("notice_served_date"):
            errors.setdefault("notice_served_date", []).append("Required with notice_type.")
        if data.get("notice_served_date") and not data.get("notice_type"):
            errors.setdefault("notice_type", []).append("Required with notice_served_date.")
        if data.get("breathing_space_type") and not data.get("breathing_space_start"):
            errors.setdefault("breathing_space_start", []).append(
                "Required with breathing_space_type."
            )
        if data.get("breathing_space_start") and not data.get("breathing_space_type"):
            errors.setdefault("breathing_space_type", []).append(
                "Required with breathing_space_start."
            )
        if data.get("uc_managed_payment") and data.get("benefit") != "universal_credit":
            errors.setdefault("uc_managed_payment", []).append(
                "Only for Universal Credit claimants."
            )
        for earlier, later in (
            ("notice_served_date", "notice_expiry_date"),
            ("claim_date", "hearing_date"),
            ("breathing_space_start", "breathing_space_end"),
            ("warrant_date", "eviction_date"),
        ):
            _order(data, earlier, later, errors)
        if errors:
            raise ValidationError(errors)


class MarkerRow(ImportRow):
    marker_ref = Ref
    uprn = fields.Integer(required=True, validate=validate.Range(1, 999_999_999_999))
    tenancy_ref = TrimmedString(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    code = fields.String(required=True, validate=_one_of(codes.MARKER_CODES))
    description = TrimmedString(required=True, validate=validate.Length(max=1000))
    source_incident = TrimmedString(required=True, validate=validate.Length(max=200))
    start_date = fields.Date(required=True)
    review_date = fields.Date(required=True)
    end_date = OptionalDate

    @validates_schema
    def _dates(self, data, **kwargs):
        errors: dict = {}
        _order(data, "start_date", "review_date", errors)
        _order(data, "start_date", "end_date", errors)
        if errors:
            raise ValidationError(errors)
