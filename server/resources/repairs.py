"""Repair referrals from visits, and the steps maintenance records against Awaab's Law
deadlines."""

from flask import request
from flask.views import MethodView

from schemas.repairs import (
    RepairActionSchema,
    RepairPageSchema,
    RepairQuerySchema,
    RepairSchema,
)
from server.blueprint import Blueprint, if_match
from server.context import caller, db
from sync.casework import jobs
from sync.records import repairs

blp = Blueprint(
    "repairs",
    __name__,
    url_prefix="/repairs",
    description="Repair referrals from visits, with Awaab's Law deadlines (maintenance)",
)
blueprints = [blp]

IF_MATCH = if_match("repair", "GET /repairs/{repair_id}")


@blp.route("")
class Repairs(MethodView):
    @blp.arguments(RepairQuerySchema, location="query")
    @blp.response(200, RepairPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """The repairs queue, by hazard class or by urgency, filtered by area and deadline

        Each repair comes with what a visit needs: the address, the tenants' contact
        details and access needs, and the warning markers in force. Maintenance sees the
        whole landlord; others, the homes in their scope.
        """
        return jobs.queue(db(), caller(), **query)


@blp.route("/<string:repair_id>")
class RepairById(MethodView):
    @blp.response(200, RepairSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.errors(401, 403, 404)
    def get(self, repair_id):
        """A repair with its steps and deadlines; its ETag guards the next step"""
        repair = jobs.get(db(), caller(), repair_id)
        return repair, 200, {"ETag": repairs.etag(repair)}


@blp.route("/<string:repair_id>/actions")
class RepairActions(MethodView):
    @blp.arguments(RepairActionSchema)
    @blp.doc(parameters=[IF_MATCH])
    @blp.response(200, RepairSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.errors(401, 403, 404, 409, 412, 428)
    def post(self, body, repair_id):
        """Record a step (maintenance, admins)

        Send the ETag you read as `If-Match`: a 412 means someone else recorded a step
        since; read the repair again.
        """
        if_match = request.headers.get("If-Match")
        repair = jobs.act(db(), caller(), repair_id, if_match=if_match, **body)
        return repair, 200, {"ETag": repairs.etag(repair)}
