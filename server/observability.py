"""Production serving: request ids, structured logs, security headers and CORS.

- Every request gets an id: the caller's ``X-Request-Id`` when it is a plain token of up
  to 64 characters, otherwise a fresh one. It is echoed in the response and in every log
  line of the request.
- Logs are JSON, one object per line, on stderr. A request line carries the method, the
  path (never the query string, which may hold a sync cursor), the status, the duration,
  and the user and device ids; never a token, a password or a body (so never
  safeguarding text).
- Responses carry security headers, and ``Cache-Control: no-store``: API data is personal.
- CORS is closed unless ``DOORSTEP_CORS_ORIGINS`` lists the origins allowed.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, If-Match, X-Request-Id"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging() -> None:
    """JSON lines on stderr for the ``doorstep`` logger (gunicorn's own logs are left be)."""
    log = logging.getLogger("doorstep")
    if any(isinstance(h.formatter, JsonFormatter) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    # fontTools says at INFO what it keeps of a font each time a court bundle is drawn:
    # some twenty plain-text lines in a log of JSON lines.
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def request_id() -> str:
    return getattr(g, "request_id", "-")


def install(app: Flask) -> None:
    configure_logging()
    log = logging.getLogger("doorstep.request")
    origins = {o.strip() for o in app.config.get("CORS_ORIGINS", "").split(",") if o.strip()}

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = request_id()
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        origin = request.headers.get("Origin")
        if origin and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, X-Request-Id"
            response.headers.add("Vary", "Origin")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        caller = g.get("caller")
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": request_id(),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.get("started", 0)) * 1000, 1),
                    "user_id": caller.user_id if caller else None,
                    "device_id": caller.device_id if caller else None,
                    "remote": request.remote_addr,
                }
            },
        )
        return response
