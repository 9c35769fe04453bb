"""Safeguarding concerns: read by the raising officer, their team leaders and the
safeguarding leads only, every read audited; a lead clears a home's flag."""

from flask.views import MethodView

from schemas.concerns import (
    ClearedFlagSchema,
    ClearFlagSchema,
    ConcernPageSchema,
    ConcernQuerySchema,
    ConcernSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync.records import concerns

blp = Blueprint(
    "concerns",
    __name__,
    url_prefix="/concerns",
    description="Safeguarding concerns: the raising officer, their team leaders and "
    "safeguarding leads only; every read is audited",
)
blueprints = [blp]


@blp.route("")
class Concerns(MethodView):
    @blp.arguments(ConcernQuerySchema, location="query")
    @blp.response(200, ConcernPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """Safeguarding concerns I may see (audited)"""
        return concerns.list_concerns(db(), caller(), **query)


@blp.route("/<string:concern_id>")
class ConcernById(MethodView):
    @blp.response(200, ConcernSchema)
    @blp.errors(401, 403, 404)
    def get(self, concern_id):
        """A concern with its follow-ups (audited)"""
        return concerns.get_concern(db(), caller(), concern_id)


@blp.route("/flags/<int:uprn>/clear")
class ClearFlag(MethodView):
    @blp.arguments(ClearFlagSchema)
    @blp.response(200, ClearedFlagSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, uprn):
        """Clear a home's safeguarding flag (safeguarding leads)

        Clears the concerns held now; one raised offline and synced later keeps the flag.
        A home whose flag is already down (another lead cleared it, perhaps a moment
        before) answers 409 `already-cleared`; a home with no concern at all, 404.
        """
        return concerns.clear_flag(db(), caller(), uprn, body["reason"])
