"""Liveness."""

from flask.views import MethodView
from marshmallow import Schema, fields

from server.blueprint import Blueprint

blp = Blueprint("health", __name__, description="Service health")
blueprints = [blp]


class HealthSchema(Schema):
    status = fields.String()


@blp.route("/healthz")
class Health(MethodView):
    @blp.public
    @blp.response(200, HealthSchema)
    def get(self):
        """Is the process up?"""
        return {"status": "ok"}
