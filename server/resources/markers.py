"""Warning markers raised from the field, awaiting a team leader's approval."""

from flask.views import MethodView

from schemas.markers import (
    FieldMarkerPageSchema,
    FieldMarkerSchema,
    MarkerDecisionSchema,
    MarkerQuerySchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync.records import markers

blp = Blueprint(
    "markers", __name__, url_prefix="/markers", description="Warning markers raised from the field"
)
blueprints = [blp]


@blp.route("")
class Markers(MethodView):
    @blp.arguments(MarkerQuerySchema, location="query")
    @blp.response(200, FieldMarkerPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """Markers raised from the field in my scope (default: awaiting approval)"""
        return markers.list_markers(db(), caller(), **query)


@blp.route("/<string:marker_ref>/decision")
class MarkerDecision(MethodView):
    @blp.arguments(MarkerDecisionSchema)
    @blp.response(200, FieldMarkerSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, marker_ref):
        """Approve or reject a marker raised from the field (team leaders)"""
        return markers.decide(db(), caller(), marker_ref, body["approve"], body.get("note"))
