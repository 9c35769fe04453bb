"""Patches, their owning officers and cover."""

from flask.views import MethodView

from schemas.patches import (
    CoverageReportSchema,
    CoverCreateSchema,
    CoverSchema,
    PatchCreateSchema,
    PatchSchema,
    PatchUpdateSchema,
)
from schemas.planning import HomePrioritySchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync.access.scope import require_role
from sync.casework import cases
from sync.clock import london_today
from sync.records import patches

blp = Blueprint(
    "patches",
    __name__,
    url_prefix="/patches",
    description="Patches: boundaries, owning officer and cover",
)
blueprints = [blp]

# A boundary traced at full detail (an Ordnance Survey ward: thousands of points) is more
# than a JSON route's default 64 KiB; 2 MB holds some 50,000 points.
BOUNDARY_BODY_BYTES = 2 * 1024 * 1024


@blp.route("")
class Patches(MethodView):
    @blp.response(200, PatchSchema(many=True))
    @blp.errors(401, 403)
    def get(self):
        """List patches in my scope

        Officers: patches they own or cover today. Team leaders: their team's. Others: all.
        """
        return patches.list_patches(db(), caller())

    @blp.max_body(BOUNDARY_BODY_BYTES)
    @blp.arguments(PatchCreateSchema)
    @blp.response(201, PatchSchema)
    @blp.errors(401, 403, 409, 413)
    def post(self, body):
        """Create a patch (admin)

        Every home's patch membership is recomputed from the boundaries.
        """
        return patches.create_patch(db(), caller(), **body)


@blp.route("/coverage")
class Coverage(MethodView):
    @blp.response(200, CoverageReportSchema)
    @blp.errors(401, 403)
    def get(self):
        """Homes in no patch, or in more than one"""
        require_role(caller(), ("admin", "team_leader"), "see the coverage report")
        return patches.coverage_report(db())


@blp.route("/<int:patch_id>")
class PatchById(MethodView):
    @blp.response(200, PatchSchema)
    @blp.errors(401, 403, 404)
    def get(self, patch_id):
        """Get a patch"""
        return patches.get_patch(db(), caller(), patch_id)

    @blp.max_body(BOUNDARY_BODY_BYTES)
    @blp.arguments(PatchUpdateSchema)
    @blp.response(200, PatchSchema)
    @blp.errors(401, 403, 404, 409, 413)
    def patch(self, body, patch_id):
        """Assign a patch's officer; rename or redraw it (admin)

        Team leaders may change the owning officer of their team's patches. Admins may also
        rename, move to another team, or redraw the boundary, which recomputes membership.
        """
        return patches.update_patch(db(), caller(), patch_id, body)


@blp.route("/<int:patch_id>/priorities")
class PatchPriorities(MethodView):
    @blp.response(200, HomePrioritySchema(many=True))
    @blp.errors(401, 403, 404)
    def get(self, patch_id):
        """Every current tenancy of a patch with its home's position and priority

        What the team leader console's map colours homes by. Officers, team leaders and
        admins, for patches in their scope.
        """
        return cases.patch_priorities(db(), caller(), patch_id, london_today())


@blp.route("/<int:patch_id>/covers")
class Covers(MethodView):
    @blp.response(200, CoverSchema(many=True))
    @blp.errors(401, 403, 404)
    def get(self, patch_id):
        """List a patch's cover, past and future"""
        return patches.list_covers(db(), caller(), patch_id)

    @blp.arguments(CoverCreateSchema)
    @blp.response(201, CoverSchema)
    @blp.errors(401, 403, 404)
    def post(self, body, patch_id):
        """Arrange cover: an officer covers this patch between two dates"""
        return patches.add_cover(db(), caller(), patch_id, **body)


@blp.route("/<int:patch_id>/covers/<int:cover_id>")
class CoverById(MethodView):
    @blp.response(200, CoverSchema)
    @blp.errors(401, 403, 404)
    def delete(self, patch_id, cover_id):
        """Cancel cover"""
        return patches.cancel_cover(db(), caller(), patch_id, cover_id)
