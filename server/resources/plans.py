"""Records made in the field: repairs for maintenance, safeguarding concerns, warning
markers awaiting approval, lone-working alerts, photos, and protocol evidence."""

from pathlib import Path

from flask import current_app, request, send_file
from flask.views import MethodView

from routing.travel import OsrmTable, StraightLine
from schemas.integration import (
    AlertSchema,
    BlobSchema,
    ClearAlertSchema,
    ClearedAlertSchema,
    ClearedFlagSchema,
    ClearFlagSchema,
    ConcernPageSchema,
    ConcernQuerySchema,
    ConcernSchema,
    DashboardQuerySchema,
    DashboardSchema,
    EvidenceSchema,
    FieldMarkerPageSchema,
    FieldMarkerSchema,
    MarkerDecisionSchema,
    MarkerQuerySchema,
    MissingBlobSchema,
    RepairActionSchema,
    RepairPageSchema,
    RepairQuerySchema,
    RepairSchema,
)
from schemas.planning import (
    PlanListQuerySchema,
    PlanRequestSchema,
    PlanSchema,
    PrioritySchema,
    ReplanSchema,
    WeekPlanRequestSchema,
    WeekPlanSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync import kinds as records
from sync.casework import cases, dashboard, days, plans, weeks
from sync.clock import london_today
from sync.records import blobs, markers, repairs, tenancies
from sync.records import checkins as lone_working
from sync.records import concerns as safeguarding

repair_blp = Blueprint(
    "repairs",
    __name__,
    url_prefix="/repairs",
    description="Repair referrals from visits, with Awaab's Law deadlines (maintenance)",
)
concern_blp = Blueprint(
    "concerns",
    __name__,
    url_prefix="/concerns",
    description="Safeguarding concerns: the raising officer, their team leaders and "
    "safeguarding leads only; every read is audited",
)
marker_blp = Blueprint(
    "markers", __name__, url_prefix="/markers", description="Warning markers raised from the field"
)
alert_blp = Blueprint(
    "lone-working",
    __name__,
    url_prefix="/lone-working",
    description="Officers overdue at a visit (team leaders)",
)
blob_blp = Blueprint(
    "blobs", __name__, url_prefix="/blobs", description="Photos and signatures, by SHA-256"
)
evidence_blp = Blueprint(
    "evidence", __name__, url_prefix="/tenancies", description="Pre-Action Protocol evidence"
)
dashboard_blp = Blueprint(
    "dashboard", __name__, url_prefix="/teams", description="The team leader's view"
)
plan_blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/plans",
    description="Day plans: whom to visit, in what order, and why",
)
blueprints = [
    plan_blp,
    repair_blp,
    concern_blp,
    marker_blp,
    alert_blp,
    blob_blp,
    evidence_blp,
    dashboard_blp,
]

SHA256 = "<string(length=64):sha256>"
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The repair's ETag, from GET /repairs/{repair_id}.",
}


def blob_root() -> Path:
    return Path(current_app.config["BLOB_DIR"])


def private(response):
    """A personal file's caching: the phone may keep it a while, no shared cache may."""
    response.cache_control.public = False
    response.cache_control.private = True
    return response


# --- repairs ---------------------------------------------------------------------------


@repair_blp.route("")
class Repairs(MethodView):
    @repair_blp.arguments(RepairQuerySchema, location="query")
    @repair_blp.response(200, RepairPageSchema)
    @repair_blp.errors(401, 403)
    def get(self, query):
        """The repairs queue: most urgent hazard first, then oldest

        Maintenance sees the whole landlord; others, the homes in their scope.
        """
        return repairs.queue(db(), caller(), **query)


@repair_blp.route("/<string:repair_id>")
class RepairById(MethodView):
    @repair_blp.response(200, RepairSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @repair_blp.errors(401, 403, 404)
    def get(self, repair_id):
        """A repair with its steps and deadlines; its ETag guards the next step"""
        repair = repairs.get(db(), caller(), repair_id)
        return repair, 200, {"ETag": repairs.etag(repair)}


@repair_blp.route("/<string:repair_id>/actions")
class RepairActions(MethodView):
    @repair_blp.arguments(RepairActionSchema)
    @repair_blp.doc(parameters=[IF_MATCH])
    @repair_blp.response(200, RepairSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @repair_blp.errors(401, 403, 404, 409, 412, 428)
    def post(self, body, repair_id):
        """Record a step (maintenance, admins)

        Send the ETag you read as `If-Match`: a 412 means someone else recorded a step
        since; read the repair again.
        """
        if_match = request.headers.get("If-Match")
        repair = repairs.act(db(), caller(), repair_id, if_match=if_match, **body)
        return repair, 200, {"ETag": repairs.etag(repair)}


# --- safeguarding ----------------------------------------------------------------------


@concern_blp.route("")
class Concerns(MethodView):
    @concern_blp.arguments(ConcernQuerySchema, location="query")
    @concern_blp.response(200, ConcernPageSchema)
    @concern_blp.errors(401, 403)
    def get(self, query):
        """Safeguarding concerns I may see (audited)"""
        return safeguarding.list_concerns(db(), caller(), **query)


@concern_blp.route("/<string:concern_id>")
class ConcernById(MethodView):
    @concern_blp.response(200, ConcernSchema)
    @concern_blp.errors(401, 403, 404)
    def get(self, concern_id):
        """A concern with its follow-ups (audited)"""
        return safeguarding.get_concern(db(), caller(), concern_id)


@concern_blp.route("/flags/<int:uprn>/clear")
class ClearFlag(MethodView):
    @concern_blp.arguments(ClearFlagSchema)
    @concern_blp.response(200, ClearedFlagSchema)
    @concern_blp.errors(401, 403, 404, 409)
    def post(self, body, uprn):
        """Clear a home's safeguarding flag (safeguarding leads)

        Clears the concerns held now; one raised offline and synced later keeps the flag.
        A home whose flag is already down (another lead cleared it, perhaps a moment
        before) answers 409 `already-cleared`; a home with no concern at all, 404.
        """
        return safeguarding.clear_flag(db(), caller(), uprn, body["reason"])


# --- markers ---------------------------------------------------------------------------


@marker_blp.route("")
class Markers(MethodView):
    @marker_blp.arguments(MarkerQuerySchema, location="query")
    @marker_blp.response(200, FieldMarkerPageSchema)
    @marker_blp.errors(401, 403)
    def get(self, query):
        """Markers raised from the field in my scope (default: awaiting approval)"""
        return markers.list_markers(db(), caller(), **query)


@marker_blp.route("/<string:marker_ref>/decision")
class MarkerDecision(MethodView):
    @marker_blp.arguments(MarkerDecisionSchema)
    @marker_blp.response(200, FieldMarkerSchema)
    @marker_blp.errors(401, 403, 404, 409)
    def post(self, body, marker_ref):
        """Approve or reject a marker raised from the field (team leaders)"""
        return markers.decide(db(), caller(), marker_ref, body["approve"], body.get("note"))


# --- lone working ----------------------------------------------------------------------


@alert_blp.route("/alerts")
class Alerts(MethodView):
    @alert_blp.response(200, AlertSchema(many=True))
    @alert_blp.errors(401, 403)
    def get(self):
        """Officers still checked in past their expected finish plus the grace period"""
        return lone_working.alerts(db(), caller())


@alert_blp.route("/alerts/<string:checkin_id>/clear")
class ClearAlert(MethodView):
    @alert_blp.arguments(ClearAlertSchema)
    @alert_blp.response(200, ClearedAlertSchema)
    @alert_blp.errors(401, 403, 404, 409)
    def post(self, body, checkin_id):
        """Clear an alert, saying what was done (team leaders)"""
        return lone_working.clear(db(), caller(), checkin_id, body["note"])


# --- photos ----------------------------------------------------------------------------


@blob_blp.route(f"/{SHA256}")
class Blob(MethodView):
    @blob_blp.max_body(blobs.MAX_BYTES)
    @blob_blp.doc(
        requestBody={
            "required": True,
            "description": "The image bytes (JPEG, PNG, WebP or HEIC; checked by content).",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    )
    @blob_blp.response(200, BlobSchema)
    @blob_blp.errors(401, 404, 413, 415, 422)
    def put(self, sha256):
        """Upload a photo or signature under its SHA-256 (idempotent)

        Uploading the bytes makes you one of the photo's uploaders, even when they were here.
        """
        return blobs.put(db(), blob_root(), caller(), sha256, request.get_data())

    @blob_blp.response(200, description="The image.", content_type="application/octet-stream")
    @blob_blp.errors(401, 404)
    def get(self, sha256):
        """Download a photo: its uploaders, or who may see a record naming it that one made

        Knowing or naming the SHA-256 gives no access: a record grants its photos only when
        its author uploaded them. Otherwise `404`, as for a photo that does not exist.
        """
        me, database = caller(), db()
        path, row = blobs.open_blob(
            database, blob_root(), me, sha256,
            lambda kind, ident: records.visible(database, me, kind, ident),
        )  # fmt: skip
        return private(send_file(path, mimetype=row["content_type"], etag=sha256, max_age=86400))


@blob_blp.route("/missing")
class MissingBlobs(MethodView):
    @blob_blp.response(200, MissingBlobSchema(many=True))
    @blob_blp.errors(401)
    def get(self):
        """Photos my records name that I have not uploaded yet

        Listed until I upload them myself, even if someone else has uploaded the same bytes.
        """
        return blobs.missing_for(db(), caller())


# --- evidence --------------------------------------------------------------------------


@evidence_blp.route("/<string:tenancy_ref>/evidence")
class Evidence(MethodView):
    @evidence_blp.response(200, EvidenceSchema)
    @evidence_blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's Pre-Action Protocol evidence, in date order"""
        return tenancies.protocol_evidence(db(), caller(), tenancy_ref)


# --- the team leader's view ------------------------------------------------------------


@dashboard_blp.route("/<int:team_id>/dashboard")
class Dashboard(MethodView):
    @dashboard_blp.arguments(DashboardQuerySchema, location="query")
    @dashboard_blp.response(200, DashboardSchema)
    @dashboard_blp.errors(401, 403, 404, 422)
    def get(self, query, team_id):
        """A team's week: each officer's work day by day, devices, and the arrears trend

        Team leaders see their own team; admins any.
        """
        return dashboard.team_dashboard(db(), caller(), team_id, **query)


# --- planning --------------------------------------------------------------------------


@evidence_blp.route("/<string:tenancy_ref>/priority")
class Priority(MethodView):
    @evidence_blp.response(200, PrioritySchema)
    @evidence_blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """A tenancy's priority: score, recommended action, and the reasons in words"""
        return cases.tenancy_priority(db(), caller(), tenancy_ref, london_today())


@plan_blp.route("")
class Plans(MethodView):
    @plan_blp.arguments(PlanListQuerySchema, location="query")
    @plan_blp.response(200, PlanSchema(many=True))
    @plan_blp.errors(401, 403)
    def get(self, query):
        """Current day plans: mine, or my team's (team leaders)"""
        return plans.list_plans(
            db(), caller(), day=query["date"], officer_id=query.get("officer_id")
        )

    @plan_blp.arguments(PlanRequestSchema)
    @plan_blp.response(201, PlanSchema)
    @plan_blp.errors(401, 403, 404)
    def post(self, body):
        """Plan an officer's day (the officer, or their team leader)

        Replaces any plan for that officer and day. The plan reaches the officer's phone
        through sync.
        """
        me = caller()
        body.setdefault("officer_id", me.user_id)
        return days.plan_day(db(), me, body, provider=travel_provider())


@plan_blp.route("/<int:plan_id>")
class PlanById(MethodView):
    @plan_blp.response(200, PlanSchema)
    @plan_blp.errors(401, 403, 404)
    def get(self, plan_id):
        """A day plan"""
        return plans.get_plan(db(), caller(), plan_id)


@plan_blp.route("/<int:plan_id>/replan")
class Replan(MethodView):
    @plan_blp.arguments(ReplanSchema)
    @plan_blp.response(201, PlanSchema)
    @plan_blp.errors(401, 403, 404, 409)
    def post(self, body, plan_id):
        """Re-plan the rest of the day from where I am now

        Visits done or skipped so far stay fixed; the rest is planned again from `position`
        at `at`.
        """
        return days.replan(db(), caller(), plan_id, body, provider=travel_provider())


def travel_provider():
    url = current_app.config.get("OSRM_URL")
    return OsrmTable(url) if url else StraightLine()


@dashboard_blp.route("/<int:team_id>/week-plan")
class WeekPlan(MethodView):
    @dashboard_blp.arguments(WeekPlanRequestSchema)
    @dashboard_blp.response(201, WeekPlanSchema)
    @dashboard_blp.errors(401, 403, 404)
    def post(self, body, team_id):
        """Plan a team's week (team leaders): every officer, every day

        No home twice in the week; paired visits are fixed stops in both officers' plans
        and bring the home into the partner's phone for that day.
        """
        return weeks.plan_week(db(), caller(), team_id, body, provider=travel_provider())
