"""The team leader's view of a team's week: how it went (the dashboard), and planning
it (every officer, every day)."""

from flask.views import MethodView

from schemas.dashboard import DashboardQuerySchema, DashboardSchema
from schemas.planning import WeekPlanRequestSchema, WeekPlanSchema
from server.blueprint import Blueprint
from server.context import caller, db
from server.resources.plans import travel_provider
from sync.casework import dashboard, weeks

blp = Blueprint("dashboard", __name__, url_prefix="/teams", description="The team leader's view")
blueprints = [blp]


@blp.route("/<int:team_id>/dashboard")
class Dashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query")
    @blp.response(200, DashboardSchema)
    @blp.errors(401, 403, 404, 422)
    def get(self, query, team_id):
        """A team's week: each officer's work day by day, devices, and the arrears trend

        Team leaders see their own team; admins any.
        """
        return dashboard.team_dashboard(db(), caller(), team_id, **query)


@blp.route("/<int:team_id>/week-plan")
class WeekPlan(MethodView):
    @blp.arguments(WeekPlanRequestSchema)
    @blp.response(201, WeekPlanSchema)
    @blp.errors(401, 403, 404)
    def post(self, body, team_id):
        """Plan a team's week (team leaders): every officer, every day

        No home twice in the week; paired visits are fixed stops in both officers' plans
        and bring the home into the partner's phone for that day.
        """
        return weeks.plan_week(db(), caller(), team_id, body, provider=travel_provider())
