"""Liveness and readiness."""

from flask.views import MethodView
from marshmallow import Schema, fields

from server.blueprint import Blueprint
from server.context import db
from sync.errors import Unavailable
from sync.store.db import migrations

blp = Blueprint("health", __name__, description="Service health")
blueprints = [blp]


class NotReady(Unavailable):
    code = "not-ready"


class HealthSchema(Schema):
    status = fields.String()


class ReadySchema(Schema):
    status = fields.String()
    database = fields.String()
    schema = fields.String(metadata={"description": "The latest migration applied."})


@blp.route("/healthz")
class Health(MethodView):
    @blp.public
    @blp.response(200, HealthSchema)
    def get(self):
        """Is the process up?"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.public
    @blp.response(200, ReadySchema)
    @blp.errors(503)
    def get(self):
        """Can it serve? The database answers and its schema is up to date"""
        database = db()
        database.execute("SELECT seq FROM sync_state").fetchone()
        pending = [m.name for m in migrations.pending(database)]
        if pending:
            raise NotReady(
                f"Migrations are pending: {', '.join(pending)}. Run doorstep migrate.",
            )
        applied = database.execute(
            "SELECT name FROM _sqlite_migrations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return {"status": "ready", "database": "ok", "schema": applied[0] if applied else ""}
