"""Absences: an officer away (annual leave, sickness, training, other); no day plan on
those days, and each of their patches' cover, or whom to ask."""

from flask.views import MethodView

from schemas.absences import AbsenceCreateSchema, AbsenceQuerySchema, OfficerAbsenceSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.casework import absences

blp = Blueprint(
    "absences",
    __name__,
    url_prefix="/absences",
    description="Absences: who is away when, and cover for their patches",
)
blueprints = [blp]


@blp.route("")
class Absences(MethodView):
    @blp.arguments(AbsenceQuerySchema, location="query")
    @blp.response(200, OfficerAbsenceSchema(many=True))
    @blp.errors(401, 403)
    def get(self, query):
        """Absences of a team or an officer, touching a range of days (team leaders, admins)

        Each says, for every patch the officer owns, its cover during the absence, the
        days left uncovered and whom to ask (`proposal`, with why).
        """
        return absences.list_absences(db(), caller(), **query)

    @blp.arguments(AbsenceCreateSchema)
    @blp.response(201, OfficerAbsenceSchema)
    @blp.errors(401, 403, 409)
    def post(self, body):
        """Record an officer's absence (the officer's team leader, or an admin)

        The officer gets no day plan on those days, and no stops in the team's week; their
        current plans for those days are withdrawn from their phone. An absence may not
        overlap another of the same officer (409, naming `start_date`).
        """
        return absences.create_absence(db(), caller(), **body)


@blp.route("/<int:absence_id>")
class AbsenceById(MethodView):
    @blp.response(200, OfficerAbsenceSchema)
    @blp.errors(401, 403, 404)
    def get(self, absence_id):
        """An absence, with its patches' cover"""
        return absences.get_absence(db(), caller(), absence_id)

    @blp.response(200, OfficerAbsenceSchema)
    @blp.errors(401, 403, 404)
    def delete(self, absence_id):
        """Cancel an absence (kept, marked cancelled)"""
        return absences.cancel_absence(db(), caller(), absence_id)
