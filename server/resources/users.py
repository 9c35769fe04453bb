"""Users, teams and devices."""

from flask.views import MethodView

from schemas.accounts import (
    DeviceQuerySchema,
    DeviceRevokeSchema,
    DeviceSchema,
    PasswordResetSchema,
    TeamCreateSchema,
    TeamSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync.access import devices, users
from sync.access.scope import require_role

user_blp = Blueprint(
    "users", __name__, url_prefix="/users", description="Users (admins create, disable and reset)"
)
team_blp = Blueprint("teams", __name__, url_prefix="/teams", description="Teams")
device_blp = Blueprint(
    "devices",
    __name__,
    url_prefix="/devices",
    description="Devices: phones logged in, last seen, revoked",
)
blueprints = [user_blp, team_blp, device_blp]


def _admin(action: str):
    me = caller()
    require_role(me, ("admin",), action)
    return me


@user_blp.route("")
class Users(MethodView):
    @user_blp.arguments(UserQuerySchema, location="query")
    @user_blp.response(200, UserSchema(many=True))
    @user_blp.errors(401, 403)
    def get(self, query):
        """List users

        Admins see everyone; team leaders see their own team.
        """
        me = caller()
        if me.role == "team_leader":
            query["team_id"] = me.team_id
        else:
            require_role(me, ("admin",), "list users")
        return users.list_users(db(), **query)

    @user_blp.arguments(UserCreateSchema)
    @user_blp.response(201, UserSchema)
    @user_blp.errors(401, 403, 409)
    def post(self, body):
        """Create a user

        The user must change the initial password at first login.
        """
        _admin("create users")
        return users.create_user(db(), **body, must_change_password=True)


@user_blp.route("/<int:user_id>")
class UserById(MethodView):
    @user_blp.response(200, UserSchema)
    @user_blp.errors(401, 403, 404)
    def get(self, user_id):
        """Get a user

        Anyone may see themselves; team leaders their team; admins everyone.
        """
        me = caller()
        user = users.get_user(db(), user_id)
        leads = me.role == "team_leader" and user["team_id"] == me.team_id
        if me.user_id != user_id and not leads:
            _admin("see other users")
        return user

    @user_blp.arguments(UserUpdateSchema)
    @user_blp.response(200, UserSchema)
    @user_blp.errors(401, 403, 404)
    def patch(self, body, user_id):
        """Change a user; disable a leaver

        Setting `active` to false disables the account and revokes all its devices at once.
        """
        me = _admin("change users")
        return users.update_user(db(), user_id, body, by=me.user_id)


@user_blp.route("/<int:user_id>/password")
class UserPassword(MethodView):
    @user_blp.arguments(PasswordResetSchema)
    @user_blp.response(204)
    @user_blp.errors(401, 403, 404)
    def post(self, body, user_id):
        """Reset a user's password

        The user must change it at next login, and their devices are signed out.
        """
        me = _admin("reset passwords")
        users.set_password(db(), user_id, body["password"], must_change=True, by=me.user_id)


@team_blp.route("")
class Teams(MethodView):
    @team_blp.response(200, TeamSchema(many=True))
    @team_blp.errors(401, 403)
    def get(self):
        """List teams"""
        caller()
        return users.list_teams(db())

    @team_blp.arguments(TeamCreateSchema)
    @team_blp.response(201, TeamSchema)
    @team_blp.errors(401, 403, 409)
    def post(self, body):
        """Create a team"""
        _admin("create teams")
        return users.create_team(db(), body["name"])


@device_blp.route("")
class Devices(MethodView):
    @device_blp.arguments(DeviceQuerySchema, location="query")
    @device_blp.response(200, DeviceSchema(many=True))
    @device_blp.errors(401, 403)
    def get(self, query):
        """List devices

        Officers see their own; team leaders their team's; admins all.
        """
        return devices.list_devices(db(), caller(), **query)


@device_blp.route("/<int:device_id>/revoke")
class DeviceRevoke(MethodView):
    @device_blp.arguments(DeviceRevokeSchema)
    @device_blp.response(200, DeviceSchema)
    @device_blp.errors(401, 403, 404)
    def post(self, body, device_id):
        """Revoke a device (a lost phone)

        Its token stops working at once.
        """
        return devices.revoke_device(db(), caller(), device_id, body["reason"])
