"""The one place where errors become RFC 9457 ``application/problem+json`` responses."""

import logging
import sqlite3
from http import HTTPStatus

import flask_smorest
from flask import Response, json, request
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from schemas.common import ProblemSchema
from server.observability import request_id
from sync import errors as domain

log = logging.getLogger("doorstep")

PROBLEM_JSON = "application/problem+json"

STATUS_OF = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.Unauthenticated: 401,
    domain.ValidationFailed: 422,
    domain.Conflict: 409,
    domain.TooLarge: 413,
    domain.UnsupportedMediaType: 415,
    domain.PreconditionFailed: 412,
    domain.PreconditionRequired: 428,
    domain.Unavailable: 503,
    domain.TooManyRequests: 429,
}

# Codes for errors raised by the HTTP layer itself (routing, parsing, limits).
HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-failed",
    428: "precondition-required",
    429: "too-many-requests",
    431: "headers-too-large",
    500: "internal-error",
    501: "not-implemented",
    503: "unavailable",
}


def document(status: int, code: str, detail: str, errors: dict | None = None) -> dict:
    """The problem+json body; gunicorn's own refusals use it too (server/worker.py)."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or {},
    }


def problem(
    status: int, code: str, detail: str, errors: dict | None = None, headers: dict | None = None
) -> Response:
    body = document(status, code, detail, errors)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="doorstep"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow/webargs messages as ``{"dotted.field": [...]}``. The request
    location (``json``, ``query``) is dropped: field names are unique across them."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            if not prefix and key in ("json", "query", "form", "files", "headers", "view_args"):
                flat.update(flatten(value, ""))
                continue
            name = "_body" if key == "_schema" else f"{prefix}{key}"
            if isinstance(value, dict):
                flat.update(flatten(value, f"{name}."))
            else:
                flat.setdefault(name, []).extend(
                    value if isinstance(value, list) else [str(value)]
                )
    elif isinstance(messages, list):
        flat.setdefault(prefix.rstrip(".") or "_body", []).extend(map(str, messages))
    return flat


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = flatten(data.get("messages") or data.get("errors") or {})
    code = data.get("code") or HTTP_CODES.get(status, "error")
    detail = data.get("message") or error.description or HTTPStatus(status).phrase
    if status == 422 and errors:
        fields = ", ".join(sorted(errors))
        detail = f"The request has invalid fields: {fields}."
    if status == 400 and any("Invalid JSON" in m for ms in errors.values() for m in ms):
        code, detail = "malformed-json", "The request body is not valid JSON."
    if status == 413:
        limit = request.max_content_length
        detail = f"The request body is larger than the {limit} bytes this endpoint accepts."
    if status >= 500:
        original = getattr(error, "original_exception", None)
        log.error(
            "unhandled error",
            exc_info=original or error,
            extra={"fields": {"request_id": request_id()}},
        )
        detail = "Something went wrong on the server. It has been logged."
        errors = {}
    # werkzeug's own headers for its status (a 405's Allow), less its HTML content type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, code, detail, errors, headers=headers | (data.get("headers") or {}))


def from_sqlite_error(error: sqlite3.Error) -> Response:
    """The database refused: full, busy past the busy timeout, or unreadable. The request's
    transaction was rolled back, so nothing is half-written; the client retries."""
    text = str(error).lower()
    if "full" in text:
        log.error("database full", extra={"fields": {"request_id": request_id()}})
        return nothing_saved("storage-full", "The server is out of storage", retry_after=60)
    if "locked" in text or "busy" in text:
        return nothing_saved("database-busy", "The server is busy", retry_after=2)
    log.error("database error", exc_info=error, extra={"fields": {"request_id": request_id()}})
    return nothing_saved(
        "storage-unavailable", "The server cannot reach its storage", retry_after=30
    )


def nothing_saved(code: str, why: str, retry_after: int) -> Response:
    """A 503 that says nothing was saved, and when to send the same request again: soon
    for a busy database, later for storage that is full or gone."""
    when = "in a moment" if retry_after < 10 else "later"
    detail = f"{why}; nothing was saved. Try again {when}."
    return problem(503, code, detail, headers={"Retry-After": str(retry_after)})


def from_domain_error(error: domain.DoorstepError) -> Response:
    status = next(s for cls, s in STATUS_OF.items() if isinstance(error, cls))
    headers = {}
    if isinstance(error, domain.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return problem(status, error.code, error.detail, flatten(error.errors), headers=headers)


def _null_in_enum(converter, field, ret, **kwargs) -> dict:
    """A field that may be null and has a list of choices lists null among them: JSON
    Schema checks ``enum`` whatever ``type`` allows, so without it a null fails."""
    if field.allow_none and "enum" in ret and None not in ret["enum"]:
        return {"enum": [*ret["enum"], None]}
    return {}


class Api(flask_smorest.Api):
    """flask-smorest's Api with problem+json errors, documented as such, and nullable
    choices that take null."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_null_in_enum)

    def handle_http_exception(self, error):
        return from_http_exception(error)

    def _register_responses(self):
        """Component responses for every status; errors as problem+json."""
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(domain.DoorstepError, from_domain_error)
        self._app.register_error_handler(sqlite3.Error, from_sqlite_error)
