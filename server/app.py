"""The application factory."""

import logging
import os

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.middleware.proxy_fix import ProxyFix

from server import observability, tiles, web
from server.blueprint import IdConverter
from server.context import authenticate_request, hold_connections, limit_request
from server.problems import Api
from sync.records import blobs as blob_store
from sync.store.db import open_database

DEFAULT_DATABASE = "var/doorstep.db"

API_DESCRIPTION = """\
Doorstep: the offline-sync API behind income officers' phones.

Authenticate with `POST /auth/login`, then send `Authorization: Bearer <token>`.
Every error is an RFC 9457 `application/problem+json` document with a stable `code`
and, where the request was at fault, `errors` naming each offending field.
Lists page by key: pass a page's `next_after` as `after` to get the next page.
"""


class JSONProvider(DefaultJSONProvider):
    """API responses by orjson: a bootstrap page's changes dump in an eighth of the time.
    The same content as the standard library's: keys in the order given, dates and
    datetimes as Flask writes them (passed through to its ``default``), UTF-8 rather than
    ``\\u`` escapes. What orjson refuses (an integer past 64 bits) and debug mode's indented
    output go the standard library's way; so do ``dumps`` calls (the OpenAPI document,
    problem documents), which are few and small."""

    OPTIONS = (
        orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    def response(self, *args, **kwargs):
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=self.OPTIONS)
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def config_from_env(environ=os.environ) -> dict:
    """``DOORSTEP_*`` environment variables as Flask config keys."""
    config = {}
    if environ.get("DOORSTEP_DATABASE"):
        config["DATABASE"] = environ["DOORSTEP_DATABASE"]
    if environ.get("DOORSTEP_SECRET_KEY"):
        config["SECRET_KEY"] = environ["DOORSTEP_SECRET_KEY"]
    if environ.get("DOORSTEP_PROXIES"):
        config["PROXIES"] = int(environ["DOORSTEP_PROXIES"])
    if environ.get("DOORSTEP_CORS_ORIGINS"):
        config["CORS_ORIGINS"] = environ["DOORSTEP_CORS_ORIGINS"]
    if environ.get("DOORSTEP_MAX_DB_MB"):
        config["MAX_DB_MB"] = int(environ["DOORSTEP_MAX_DB_MB"])
    if environ.get("DOORSTEP_OSRM_URL"):
        config["OSRM_URL"] = environ["DOORSTEP_OSRM_URL"]
    if environ.get("DOORSTEP_BLOB_DIR"):
        config["BLOB_DIR"] = environ["DOORSTEP_BLOB_DIR"]
    for name in ("TILE_URL", "TILE_ATTRIBUTION", "TILES_MBTILES", "DIRECTIONS_URL"):
        if environ.get(f"DOORSTEP_{name}"):
            config[name] = environ[f"DOORSTEP_{name}"]
    if environ.get("DOORSTEP_MAX_IMPORT_BYTES"):
        config["MAX_IMPORT_BYTES"] = int(environ["DOORSTEP_MAX_IMPORT_BYTES"])
    return config


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask("doorstep", static_folder=None)
    app.json = JSONProvider(app)
    app.json.sort_keys = False  # keys in schema order; sorting costs a bootstrap ~15%
    app.config.from_mapping(
        DATABASE=DEFAULT_DATABASE,
        SECRET_KEY=None,
        # Request bodies: JSON routes take 64 KiB; a route that needs more says so with
        # Blueprint.max_body (a sync push, a photo, a patch's boundary, an import).
        MAX_CONTENT_LENGTH=64 * 1024,
        MAX_IMPORT_BYTES=64 * 1024 * 1024,
        # Inside gunicorn's request line (gunicorn.conf.py), so that this 414 is the one seen.
        MAX_URL_BYTES=8000,
        API_TITLE="Doorstep",
        API_VERSION="0.1.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A device token from POST /auth/login.",
                    }
                }
            },
        },
    )
    app.config.update(config_from_env())
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        if not app.config.get("TESTING"):
            raise RuntimeError(
                "Set DOORSTEP_SECRET_KEY: Doorstep will not start without a secret."
            )
        app.config["SECRET_KEY"] = "testing-only-secret"
    tiles.configure(app)
    if not app.config.get("BLOB_DIR"):
        app.config["BLOB_DIR"] = str(blob_store.default_root(app.config["DATABASE"]))
    logging.basicConfig(level=logging.INFO)

    open_database(app.config["DATABASE"]).close()
    hold_connections(app)
    if app.config.get("PROXIES"):
        # Behind N reverse proxies: the client's address (for login throttling and logs)
        # and scheme come from their X-Forwarded-* headers, trusted N hops deep only.
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    observability.install(app)  # first: every request gets its id, even a refused one
    app.before_request(limit_request)  # before the caller is looked up or the body read
    app.before_request(authenticate_request)

    app.url_map.converters["int"] = IdConverter
    api = Api(app)
    api.register_converter(IdConverter, integerconverter2paramschema)
    from server.resources import (
        absences,
        auth,
        blobs,
        checkins,
        concerns,
        dashboard,
        evidence,
        health,
        homes,
        imports,
        integration,
        markers,
        patches,
        plans,
        repairs,
        sync,
        users,
    )

    # In this order in the OpenAPI document: the account, the homes, sync, the field
    # records, then what the housing system reads.
    field = (plans, repairs, concerns, markers, checkins, blobs, evidence, dashboard)
    people = (users, patches, absences)
    for module in (health, auth, *people, homes, imports, sync, *field, integration):
        for blp in module.blueprints:
            api.register_blueprint(blp)
    app.register_blueprint(web.blp)
    app.register_blueprint(tiles.blp)
    return app
