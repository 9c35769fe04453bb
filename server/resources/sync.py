"""The sync protocol: pull and push (docs/sync-protocol.md)."""

from flask import current_app
from flask.views import MethodView

from schemas.sync import (
    ConflictPageSchema,
    ConflictQuerySchema,
    ConflictSchema,
    FlagPageSchema,
    FlagQuerySchema,
    FlagReviewSchema,
    FlagSchema,
    PullQuerySchema,
    PullSchema,
    PushResultSchema,
    PushSchema,
    RejectionPageSchema,
    RejectionQuerySchema,
    RejectionSchema,
    ResolveSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync import pull, push
from sync.protocol import review

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/sync",
    description="Offline sync for phones: see docs/sync-protocol.md",
)
blueprints = [blp]


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(PullQuerySchema, location="query")
    @blp.response(200, PullSchema)
    @blp.errors(401, 403, 409)
    def get(self, query):
        """Pull the changes in my scope since my cursor

        Without a cursor: a bootstrap of everything in scope. Page until `has_more` is
        false. A 409 `reset-required` means: upload everything, then pull without a cursor.
        """
        return pull.pull(
            db(),
            caller(),
            query.get("cursor"),
            limit=query["limit"],
            secret=current_app.config["SECRET_KEY"],
        )


@blp.route("/push")
class Push(MethodView):
    @blp.max_body(push.MAX_BODY_BYTES)
    @blp.arguments(PushSchema)
    @blp.response(200, PushResultSchema)
    @blp.errors(401, 403, 413)
    def post(self, body):
        """Push mutations made offline

        Each mutation gets its own final result: applied, duplicate, conflict or rejected.
        Re-send unchanged on a timeout: a mutation is never applied twice.
        """
        secret = current_app.config["SECRET_KEY"]
        return push.upload(db(), caller(), body["mutations"], body.get("cursor"), secret)


@blp.route("/conflicts")
class Conflicts(MethodView):
    @blp.arguments(ConflictQuerySchema, location="query")
    @blp.response(200, ConflictPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """List conflicts on my team's homes (team leaders, admins)

        Each keeps both values, with who and when.
        """
        return review.list_conflicts(db(), caller(), **query)


@blp.route("/conflicts/<int:conflict_id>/resolve")
class ResolveConflict(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, ConflictSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, conflict_id):
        """Resolve a conflict, optionally choosing the other value"""
        return review.resolve_conflict(db(), caller(), conflict_id, body["choose"])


@blp.route("/rejections")
class Rejections(MethodView):
    @blp.arguments(RejectionQuerySchema, location="query")
    @blp.response(200, RejectionPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """List rejected mutations from my team's phones (team leaders, admins)"""
        return review.list_rejections(db(), caller(), **query)


@blp.route("/rejections/<int:rejection_id>/review")
class ReviewRejection(MethodView):
    @blp.response(200, RejectionSchema)
    @blp.errors(401, 403, 404)
    def post(self, rejection_id):
        """Mark a rejected mutation as reviewed"""
        return review.mark_reviewed(db(), caller(), rejection_id)


@blp.route("/flagged")
class Flagged(MethodView):
    @blp.arguments(FlagQuerySchema, location="query")
    @blp.response(200, FlagPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """List flagged records and import steps on my team's homes (team leaders, admins)

        Records phones pushed and import rows that touched a rule (a Breathing Space's
        frozen debt asked for, an enforcement step inside a moratorium): each was kept,
        and names its rule.
        """
        return review.list_flags(db(), caller(), **query)


@blp.route("/flagged/<int:flag_id>/review")
class ReviewFlag(MethodView):
    @blp.arguments(FlagReviewSchema)
    @blp.response(200, FlagSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, flag_id):
        """Mark a flagged record or import step reviewed, with a note"""
        return review.review_flag(db(), caller(), flag_id, body["note"])
