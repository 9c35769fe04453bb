"""Users, teams, devices and logging in."""

from marshmallow import Schema, ValidationError, fields, validate

from schemas.common import Id, Name
from schemas.planning import PlaceSchema
from sync import codes
from sync.access import passwords

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9._-]{2,40}$", error="2-40 letters, digits, dots, dashes or underscores."
)


class PasswordPolicy(validate.Length):
    """The policy of sync.access.passwords.weakness. A Length, so the OpenAPI shows the lengths."""

    def __init__(self):
        super().__init__(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)

    def __call__(self, value: str) -> str:
        problem = passwords.weakness(value)
        if problem:
            raise ValidationError(problem)
        return value


PASSWORD = PasswordPolicy()
PASSWORD_RULES = (
    "10-200 characters; not only spaces, not one character repeated, and not on a list of "
    "commonly used passwords (in any case)."
)


class TeamSchema(Schema):
    id = Id()
    name = fields.String()
    created_at = fields.String()


class TeamCreateSchema(Schema):
    name = Name(required=True)


BASE = (
    "Where the user's day plans start and end by default (an office, or home): latitude, "
    "longitude, label. Null: none set (plans then start from the middle of the officer's "
    "homes)."
)


WORK_PHONE = (
    "The user's work phone, a UK number: 0 and 10 digits or +44 and 10 digits, spaces and "
    "dashes allowed; stored and shown as E.164 (+447700900123). Team leaders call an officer "
    "overdue at a visit on it. Null or blank: none."
)


class UserSchema(Schema):
    id = Id()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    role = fields.String(metadata={"enum": list(codes.ROLES)})
    team_id = Id(allow_none=True)
    must_change_password = fields.Boolean()
    active = fields.Boolean()
    disabled_at = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    base = fields.Nested(PlaceSchema, allow_none=True, metadata={"description": BASE})
    work_phone = fields.String(allow_none=True, metadata={"description": WORK_PHONE})


class UserQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(codes.ROLES))
    team_id = Id()
    include_disabled = fields.Boolean(load_default=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = Name(required=True)
    email = fields.Email(load_default=None, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(codes.ROLES))
    team_id = Id(load_default=None, allow_none=True)
    base = fields.Nested(PlaceSchema, allow_none=True, metadata={"description": BASE})
    work_phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": WORK_PHONE},
    )
    password = fields.String(
        required=True,
        validate=PASSWORD,
        load_only=True,
        metadata={
            "description": f"Initial password; must be changed at first login. {PASSWORD_RULES}"
        },
    )


class UserUpdateSchema(Schema):
    display_name = Name()
    email = fields.Email(allow_none=True)
    role = fields.String(validate=validate.OneOf(codes.ROLES))
    team_id = Id(allow_none=True)
    base = fields.Nested(PlaceSchema, allow_none=True, metadata={"description": BASE})
    work_phone = fields.String(
        allow_none=True, validate=validate.Length(max=40), metadata={"description": WORK_PHONE}
    )
    active = fields.Boolean(
        metadata={"description": "false disables a leaver and revokes all their devices."}
    )


class PasswordResetSchema(Schema):
    password = fields.String(
        required=True, validate=PASSWORD, metadata={"description": PASSWORD_RULES}
    )


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=200))
    new_password = fields.String(
        required=True, validate=PASSWORD, metadata={"description": PASSWORD_RULES}
    )
    sign_out_other_devices = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Sign out (revoke) every other device of yours; the one making "
            "the change stays signed in. A signed-out device is answered 401 token-expired: "
            "it signs in again and keeps its unsent records. Send false to keep your "
            "devices signed in."
        },
    )


class DeviceSchema(Schema):
    id = Id()
    user_id = Id()
    username = fields.String()
    name = fields.String()
    created_at = fields.String()
    last_seen_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    revoked_by = Id(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
    expires_at = fields.String(
        allow_none=True, metadata={"description": "The token stops working then; rotate it."}
    )
    last_pull_at = fields.String(
        allow_none=True,
        metadata={"description": "When this device last finished a pull (has_more false)."},
    )
    last_push_at = fields.String(allow_none=True)
    acknowledged_seq = Id(
        metadata={"description": "Every device_seq up to this one has been received."}
    )
    rejected_awaiting_review = Id(
        metadata={"description": "Rejected mutations from this device nobody has reviewed."}
    )


class DeviceQuerySchema(Schema):
    active_only = fields.Boolean(load_default=False)


class DeviceRevokeSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 200))
    device_name = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={
            "description": "A name the team leader will recognise, e.g. 'Galaxy A15 (Sam)'."
        },
    )


class LoginResultSchema(Schema):
    token = fields.String(
        metadata={
            "description": "Bearer token for this device. Shown "
            "once; the server keeps only its hash."
        }
    )
    device = fields.Nested(DeviceSchema)
    user = fields.Nested(UserSchema)
