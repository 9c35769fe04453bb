"""Field work for the housing system: the outbox feed, webhook deliveries, and the audit
log (admins)."""

from flask.views import MethodView

from schemas.integration import (
    AuditPageSchema,
    AuditQuerySchema,
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    FeedPageSchema,
    FeedQuerySchema,
    SubjectExportSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync import retention
from sync.access import audit
from sync.protocol import outbox

blp = Blueprint(
    "integration",
    __name__,
    url_prefix="",
    description="The outbox feed, webhook deliveries and the audit log (admins)",
)
blueprints = [blp]


@blp.route("/feed")
class Feed(MethodView):
    @blp.arguments(FeedQuerySchema, location="query")
    @blp.response(200, FeedPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """Field work in order, for the housing system

        Store each event (deduplicate on `id`), then ask again with the last `seq` as `after`.
        """
        return outbox.feed(db(), caller(), **query)


@blp.route("/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """Webhook deliveries, e.g. the dead ones (`?status=dead`)"""
        return outbox.list_deliveries(db(), caller(), **query)


@blp.route("/deliveries/<int:delivery_id>/replay")
class Replay(MethodView):
    @blp.response(200, DeliverySchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, delivery_id):
        """Send a dead delivery again"""
        return outbox.replay(db(), caller(), delivery_id)


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """The audit log, oldest first"""
        return audit.list_entries(db(), caller(), **query)


@blp.route("/tenants/<string:person_ref>/export")
class SubjectExport(MethodView):
    @blp.response(200, SubjectExportSchema)
    @blp.errors(401, 403, 404)
    def get(self, person_ref):
        """Everything held about one tenant, for a subject access request (audited)

        Admins get every section, with safeguarding concerns listed without their text;
        only a safeguarding lead exports what concerns say (and nothing else).
        """
        return retention.subject_export(db(), caller(), person_ref)
