"""A flask-smorest Blueprint that documents error responses in one line."""

from http import HTTPStatus

import flask_smorest
from marshmallow import RAISE
from webargs.core import missing
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.routing import IntegerConverter

from schemas.common import MAX_ID
from sync.store import strict_json


class IdConverter(IntegerConverter):
    """``<int:...>`` in our routes: 0 to SQLite's largest integer; a bigger id cannot
    name anything, so it is a 404 rather than an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class Parser(FlaskParser):
    """webargs with unknown query parameters refused, not silently ignored (a mistyped
    ``?dryrun=1`` must not run a real import), JSON too deep or too long refused, and
    half a character (a lone UTF-16 surrogate, as a note cut mid-emoji) kept as U+FFFD."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.get_data(cache=True):  # a body, but not said to be JSON: not read as none
                sent = req.mimetype or "no Content-Type"
                abort(
                    415,
                    message=f"Send the body as application/json (it was sent as {sent}).",
                    messages={"json": [f"Not application/json: {sent}."]},
                )
            return missing
        try:
            return strict_json.loads(req.get_data(cache=True).decode("utf-8"), repair=True)
        except UnicodeDecodeError:
            abort(400, messages={"json": ["Invalid JSON body: not UTF-8."]})
        except strict_json.InvalidJSON as exc:
            abort(400, messages={"json": [f"Invalid JSON body: {exc}."]})


def if_match(record: str, read_from: str) -> dict:
    """The ``If-Match`` header an ETag-guarded write requires, for the OpenAPI: ``record``
    names what the ETag is of, ``read_from`` where it is read (both in words)."""
    return {
        "in": "header",
        "name": "If-Match",
        "required": True,
        "schema": {"type": "string"},
        "description": f"The {record}'s ETag, from {read_from}.",
    }


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *, location="json", **kwargs):
        """flask-smorest's, with a JSON body's ``415`` (a body of another type) documented."""
        load = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return load
        return lambda func: self.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")(load(func))

    def errors(self, *statuses: int):
        """Document each status as a problem+json error response of this operation."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator

    def before_password_change(self, func):
        """Allow an operation to a user who must still change their password."""
        func.doorstep_before_password_change = True
        return func

    def max_body(self, limit: int | str):
        """Refuse request bodies over ``limit`` bytes with 413, before reading them (the
        app's default, ``MAX_CONTENT_LENGTH``, fits JSON). ``limit`` may name the config
        key that holds it."""

        def decorator(func):
            func.doorstep_max_body = limit
            return func

        return decorator

    def public(self, func):
        """Mark an operation as needing no bearer token (see ``context.authenticate``)."""
        func.doorstep_public = True
        return self.doc(security=[])(func)
