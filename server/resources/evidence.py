"""A tenancy's case, as the officer and the court need it: its Pre-Action Protocol
evidence, and its priority with the reasons in words. (The tenancy records themselves
are in homes.py.)"""

from flask.views import MethodView

from schemas.evidence import EvidenceSchema
from schemas.planning import PrioritySchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.casework import cases
from sync.clock import london_today
from sync.records import tenancies

blp = Blueprint(
    "evidence", __name__, url_prefix="/tenancies", description="Pre-Action Protocol evidence"
)
blueprints = [blp]


@blp.route("/<string:tenancy_ref>/evidence")
class Evidence(MethodView):
    @blp.response(200, EvidenceSchema)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's Pre-Action Protocol evidence, in date order"""
        return tenancies.protocol_evidence(db(), caller(), tenancy_ref)


@blp.route("/<string:tenancy_ref>/priority")
class Priority(MethodView):
    @blp.response(200, PrioritySchema)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's priority: score, recommended action, and the reasons in words"""
        return cases.tenancy_priority(db(), caller(), tenancy_ref, london_today())
