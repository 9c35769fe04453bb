"""Day plans: whom an officer visits today, in what order, and why; re-planned from
where they are."""

from flask import current_app
from flask.views import MethodView

from routing.travel import OsrmTable, StraightLine
from schemas.planning import PlanListQuerySchema, PlanRequestSchema, PlanSchema, ReplanSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.casework import days, plans

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/plans",
    description="Day plans: whom to visit, in what order, and why",
)
blueprints = [blp]


def travel_provider():
    """Travel times by road from the configured OSRM server, else by straight line."""
    url = current_app.config.get("OSRM_URL")
    return OsrmTable(url) if url else StraightLine()


@blp.route("")
class Plans(MethodView):
    @blp.arguments(PlanListQuerySchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    @blp.errors(401, 403)
    def get(self, query):
        """Current day plans: mine, or my team's (team leaders)"""
        return plans.list_plans(
            db(), caller(), day=query["date"], officer_id=query.get("officer_id")
        )

    @blp.arguments(PlanRequestSchema)
    @blp.response(201, PlanSchema)
    @blp.errors(401, 403, 404)
    def post(self, body):
        """Plan an officer's day (the officer, or their team leader)

        Replaces any plan for that officer and day. The plan reaches the officer's phone
        through sync.
        """
        me = caller()
        body.setdefault("officer_id", me.user_id)
        return days.plan_day(db(), me, body, provider=travel_provider())


@blp.route("/<int:plan_id>")
class PlanById(MethodView):
    @blp.response(200, PlanSchema)
    @blp.errors(401, 403, 404)
    def get(self, plan_id):
        """A day plan"""
        return plans.get_plan(db(), caller(), plan_id)


@blp.route("/<int:plan_id>/replan")
class Replan(MethodView):
    @blp.arguments(ReplanSchema)
    @blp.response(201, PlanSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, body, plan_id):
        """Re-plan the rest of the day from where I am now

        Visits done or skipped so far stay fixed; the rest is planned again from `position`
        at `at`.
        """
        return days.replan(db(), caller(), plan_id, body, provider=travel_provider())
