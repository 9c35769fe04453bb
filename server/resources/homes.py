"""Properties and tenancies in the caller's scope."""

from flask.views import MethodView

from schemas.homes import (
    AccountHistoryQuerySchema,
    AccountHistorySchema,
    BreathingSpaceHistorySchema,
    MarkerSchema,
    PropertyPageSchema,
    PropertyQuerySchema,
    PropertySchema,
    TenancyPageSchema,
    TenancyQuerySchema,
    TenancySchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync.records import properties, tenancies

property_blp = Blueprint(
    "properties", __name__, url_prefix="/properties", description="Homes and garages"
)
tenancy_blp = Blueprint(
    "tenancies",
    __name__,
    url_prefix="/tenancies",
    description="Tenancies, tenants, rent accounts and warning markers",
)
blueprints = [property_blp, tenancy_blp]


@property_blp.route("")
class Properties(MethodView):
    @property_blp.arguments(PropertyQuerySchema, location="query")
    @property_blp.response(200, PropertyPageSchema)
    @property_blp.errors(401, 403)
    def get(self, query):
        """List homes in my scope"""
        return properties.list_properties(db(), caller(), **query)


@property_blp.route("/<int:uprn>")
class PropertyById(MethodView):
    @property_blp.response(200, PropertySchema)
    @property_blp.errors(401, 403, 404)
    def get(self, uprn):
        """Get a home by UPRN, with its warning markers"""
        return properties.get_property(db(), caller(), uprn)


@tenancy_blp.route("")
class Tenancies(MethodView):
    @tenancy_blp.arguments(TenancyQuerySchema, location="query")
    @tenancy_blp.response(200, TenancyPageSchema)
    @tenancy_blp.errors(401, 403)
    def get(self, query):
        """List tenancies in my scope

        Filtering by `arrears_above` or `legal_stage` needs access to rent accounts.
        """
        return tenancies.list_tenancies(db(), caller(), **query)


@tenancy_blp.route("/<string:tenancy_ref>")
class TenancyById(MethodView):
    @tenancy_blp.response(200, TenancySchema)
    @tenancy_blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """Get a tenancy with its tenants, current account and markers"""
        return tenancies.get_tenancy(db(), caller(), tenancy_ref)


@tenancy_blp.route("/<string:tenancy_ref>/account-history")
class AccountHistory(MethodView):
    @tenancy_blp.arguments(AccountHistoryQuerySchema, location="query")
    @tenancy_blp.response(200, AccountHistorySchema)
    @tenancy_blp.errors(401, 403, 404)
    def get(self, query, tenancy_ref):
        """A tenancy's rent account snapshots, newest first"""
        after = query.pop("after", None)
        return tenancies.account_history(
            db(), caller(), tenancy_ref, after=after.isoformat() if after else None, **query
        )


@tenancy_blp.route("/<string:tenancy_ref>/breathing-spaces")
class BreathingSpaces(MethodView):
    @tenancy_blp.response(200, BreathingSpaceHistorySchema)
    @tenancy_blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """Every Breathing Space a tenancy has had, oldest first

        Type, start, end, who told us, and the moratorium debt (the arrears owed at the
        start, frozen), with the ongoing arrears while one runs. Rent account roles only.
        """
        return tenancies.breathing_spaces(db(), caller(), tenancy_ref)


@tenancy_blp.route("/<string:tenancy_ref>/markers")
class TenancyMarkers(MethodView):
    @tenancy_blp.response(200, MarkerSchema(many=True))
    @tenancy_blp.errors(401, 403, 404)
    def get(self, tenancy_ref):
        """Warning markers in force for a tenancy's home"""
        return tenancies.tenancy_markers(db(), caller(), tenancy_ref)
