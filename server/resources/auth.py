"""Logging in and out on a device; who am I; changing my password."""

from flask import request
from flask.views import MethodView

from schemas.accounts import LoginResultSchema, LoginSchema, PasswordChangeSchema, UserSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.access import devices, users

blp = Blueprint("auth", __name__, description="Logging in on a device")
blueprints = [blp]


@blp.route("/auth/login")
class Login(MethodView):
    @blp.public
    @blp.arguments(LoginSchema)
    @blp.response(201, LoginResultSchema)
    @blp.errors(401, 429)
    def post(self, body):
        """Log in and register this device

        Returns a bearer token for the device. Keep it on the device; it stops working when
        it expires (30 days; rotate it before then), when the device is revoked (a lost
        phone) or when the user is disabled. Repeated failures are throttled (429).
        """
        result = devices.login(db(), **body, address=request.remote_addr)
        result["user"] = users.get_user(db(), result["device"]["user_id"])
        return result


@blp.route("/auth/rotate")
class Rotate(MethodView):
    @blp.before_password_change
    @blp.response(201, LoginResultSchema)
    @blp.errors(401)
    def post(self):
        """Rotate this device's token

        Returns a new token with a fresh expiry; the one you used stops working at once.
        Store the new token before using it.
        """
        me = caller()
        result = devices.rotate(db(), me)
        result["user"] = users.get_user(db(), me.user_id)
        return result


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.before_password_change
    @blp.response(204)
    @blp.errors(401)
    def post(self):
        """Log out: revoke this device's token"""
        devices.logout(db(), caller())


@blp.route("/me")
class Me(MethodView):
    @blp.before_password_change
    @blp.response(200, UserSchema)
    @blp.errors(401)
    def get(self):
        """Who am I"""
        return users.get_user(db(), caller().user_id)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.before_password_change
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.errors(401, 429)
    def post(self, body):
        """Change my password

        Signs out every other device of yours (unless `sign_out_other_devices` is false);
        the device making the change stays signed in. A wrong current password counts as a
        failed login for this user and address: after too many, any attempt here or at
        /auth/login waits (429, with Retry-After).
        """
        users.change_own_password(
            db(),
            caller(),
            body["current_password"],
            body["new_password"],
            address=request.remote_addr,
            sign_out_others=body["sign_out_other_devices"],
        )
