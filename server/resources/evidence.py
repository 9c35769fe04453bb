"""A tenancy's case, as the officer and the court need it: its Pre-Action Protocol
evidence (as JSON, or as a PDF court bundle), its rent statement, and its priority with
the reasons in words. (The tenancy records themselves are in homes.py.)"""

from flask import Response, request
from flask.views import MethodView

from schemas.evidence import EvidenceSchema
from schemas.planning import PrioritySchema
from schemas.statements import StatementSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.casework import bundle, cases, evidence
from sync.clock import london_today
from sync.errors import Forbidden
from sync.records import statements, tenancies

blp = Blueprint(
    "evidence", __name__, url_prefix="/tenancies", description="Pre-Action Protocol evidence"
)
blueprints = [blp]

PDF = "application/pdf"
_PDF = {PDF: {"schema": {"type": "string", "format": "binary"}}}
_PDF_DOC = {
    "responses": {"200": {"description": "The court bundle, on numbered pages.", "content": _PDF}}
}
# JSON by default; the court bundle with ``Accept: application/pdf``.
_EITHER_DOC = {
    "responses": {
        "200": {
            "description": "The evidence as JSON; with `Accept: application/pdf`, the court "
            "bundle on numbered pages.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Evidence"}},
                **_PDF,
            },
        }
    }
}


def _bundle(tenancy_ref: str) -> Response:
    today = london_today()
    found = evidence.protocol_evidence(db(), caller(), tenancy_ref, today)
    statement = statements.tenancy_statement(db(), tenancy_ref, today)
    pdf = bundle.render(found, statement, today)
    name = f"bundle-{tenancy_ref}-{today.isoformat()}.pdf"
    return Response(
        pdf,
        mimetype=PDF,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _wants_pdf() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", PDF])
    return (
        best == PDF
        and request.accept_mimetypes[PDF] > request.accept_mimetypes["application/json"]
    )


@blp.route("/<string:tenancy_ref>/evidence")
class Evidence(MethodView):
    @blp.response(200, EvidenceSchema)
    @blp.doc(**_EITHER_DOC)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's Pre-Action Protocol evidence: JSON, or the court bundle as a PDF
        (`Accept: application/pdf`)"""
        if _wants_pdf():
            return _bundle(tenancy_ref)
        return evidence.protocol_evidence(db(), caller(), tenancy_ref, london_today())


@blp.route("/<string:tenancy_ref>/bundle.pdf")
class Bundle(MethodView):
    @blp.doc(**_PDF_DOC)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """The court bundle as a PDF: the evidence on numbered pages (a link needs no
        Accept header)"""
        return _bundle(tenancy_ref)


@blp.route("/<string:tenancy_ref>/statement")
class Statement(MethodView):
    @blp.response(200, StatementSchema)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's rent statement: the running balance, the last 13 weeks and since
        arrears began, checked against the rent account"""
        today = london_today()
        tenancies.find_tenancy(db(), caller(), tenancy_ref, today)
        if not caller().sees_finance:
            raise Forbidden(f"A {caller().role.replace('_', ' ')} may not see rent accounts.")
        return statements.tenancy_statement(db(), tenancy_ref, today)


@blp.route("/<string:tenancy_ref>/priority")
class Priority(MethodView):
    @blp.response(200, PrioritySchema)
    @blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's priority: score, recommended action, and the reasons in words"""
        return cases.tenancy_priority(db(), caller(), tenancy_ref, london_today())
