"""The nightly import, over HTTP (admins only)."""

from flask import request
from flask.views import MethodView

from schemas.imports import (
    ImportQuerySchema,
    ImportRunListQuerySchema,
    ImportRunPageSchema,
    ImportRunSchema,
)
from server.blueprint import Blueprint
from server.context import caller, db
from sync.access.scope import require_role
from sync.errors import ValidationFailed
from sync.intake import run as imports

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/imports",
    description="Nightly import from the housing management system",
)
blueprints = [blp]

CONTENT_TYPES = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
}

REQUEST_BODY = {
    "required": True,
    "description": "The file itself, one kind per file. Formats: docs/import-formats.md.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    },
}


@blp.route("")
class Imports(MethodView):
    @blp.max_body("MAX_IMPORT_BYTES")  # DOORSTEP_MAX_IMPORT_BYTES
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(201, ImportRunSchema)
    @blp.errors(401, 403, 413)
    def post(self, query):
        """Import a file (admin)

        Good rows are applied, bad rows reported by line; re-running a file changes nothing.
        """
        me = caller()
        require_role(me, ("admin",), "run imports")
        fmt = query.get("format") or CONTENT_TYPES.get(request.mimetype)
        if fmt is None:
            raise ValidationFailed(
                "Say the format: ?format=csv|jsonl or Content-Type text/csv or "
                "application/x-ndjson.",
                errors={"format": ["Unknown; give it explicitly."]},
            )
        return imports.import_file(
            db(),
            request.get_data(),
            kind=query["kind"],
            fmt=fmt,
            source=query["source"],
            started_by=me.user_id,
        )

    @blp.arguments(ImportRunListQuerySchema, location="query")
    @blp.response(200, ImportRunPageSchema)
    @blp.errors(401, 403)
    def get(self, query):
        """List import runs, newest first (admin)

        Each run with its counts; its bad rows and warnings by line are at
        `GET /imports/{run_id}`."""
        require_role(caller(), ("admin",), "see imports")
        return imports.list_runs(db(), **query)


@blp.route("/<int:run_id>")
class ImportById(MethodView):
    @blp.response(200, ImportRunSchema)
    @blp.errors(401, 403, 404)
    def get(self, run_id):
        """Get an import run with its bad rows (admin)"""
        require_role(caller(), ("admin",), "see imports")
        return imports.get_run(db(), run_id)
