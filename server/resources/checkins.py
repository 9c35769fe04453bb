"""Lone working: officers still checked in at a visit past their expected finish, for
their team leaders to follow up and clear."""

from flask.views import MethodView

from schemas.checkins import AlertSchema, ClearAlertSchema, ClearedAlertSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.records import checkins

blp = Blueprint(
    "lone-working",
    __name__,
    url_prefix="/lone-working",
    description="Officers overdue at a visit (team leaders)",
)
blueprints = [blp]


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.response(200, AlertSchema(many=True))
    @blp.errors(401, 403)
    def get(self):
        """Officers still checked in past their expected finish plus the grace period"""
        return checkins.alerts(db(), caller())


@blp.route("/alerts/<string:checkin_id>/clear")
class ClearAlert(MethodView):
    @blp.arguments(ClearAlertSchema)
    @blp.response(200, ClearedAlertSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, checkin_id):
        """Clear an alert, saying what was done (team leaders)"""
        return checkins.clear(db(), caller(), checkin_id, body["note"])
