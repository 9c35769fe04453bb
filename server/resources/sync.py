"""The sync protocol: pull (docs/sync-protocol.md)."""

from flask import current_app
from flask.views import MethodView

from schemas.sync import PullQuerySchema, PullSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync import pull

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
