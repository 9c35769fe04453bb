"""Safeguarding concerns: read by the raising officer, their team leaders and the
safeguarding leads only, every read audited; a lead records follow-ups (referral,
outcome) and clears a home's flag."""

from flask import request
from flask.views import MethodView

from schemas.concerns import (
    ClearedFlagSchema,
    ClearFlagSchema,
    ConcernPageSchema,
    ConcernQuerySchema,
    ConcernSchema,
    FollowUpSchema,
)
from server.blueprint import Blueprint, if_match
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

ETAG = {"ETag": {"schema": {"type": "string"}}}
IF_MATCH = if_match("concern", "GET /concerns/{concern_id}")


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
    @blp.response(200, ConcernSchema, headers=ETAG)
    @blp.errors(401, 403, 404)
    def get(self, concern_id):
        """A concern with its follow-ups (audited); its ETag guards the next follow-up"""
        concern = concerns.get_concern(db(), caller(), concern_id)
        return concern, 200, {"ETag": concerns.etag(db(), concern_id)}


@blp.route("/<string:concern_id>/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(FollowUpSchema)
    @blp.doc(parameters=[IF_MATCH])
    @blp.response(201, ConcernSchema, headers=ETAG)
    @blp.errors(401, 403, 404, 412, 428)
    def post(self, body, concern_id):
        """Record a follow-up: a referral, its outcome, notes (audited)

        The follow-up is a concern that `follows` this one, at the same home and about the
        same people, raised by you; like any concern it raises the home's flag until a
        lead clears it. Send the ETag you read as `If-Match`: a 412 means someone added a
        follow-up or cleared the flag since; read the concern again. Answers the concern
        with its follow-ups.
        """
        if_match = request.headers.get("If-Match")
        concern = concerns.follow_up(db(), caller(), concern_id, if_match=if_match, **body)
        return concern, 201, {"ETag": concerns.etag(db(), concern_id)}


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
