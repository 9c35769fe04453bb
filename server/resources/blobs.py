"""Photos and signatures, stored by SHA-256: uploaded by phones, and downloaded only by
their uploaders or by who may see a record naming them."""

from functools import partial
from pathlib import Path

from flask import current_app, request, send_file
from flask.views import MethodView

from schemas.blobs import BlobSchema, MissingBlobSchema
from server.blueprint import Blueprint
from server.context import caller, db
from sync import kinds
from sync.records import blobs

blp = Blueprint(
    "blobs", __name__, url_prefix="/blobs", description="Photos and signatures, by SHA-256"
)
blueprints = [blp]

SHA256 = "<string(length=64):sha256>"


def blob_root() -> Path:
    return Path(current_app.config["BLOB_DIR"])


def private(response):
    """A personal file's caching: the phone may keep it a while, no shared cache may."""
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@blp.route(f"/{SHA256}")
class Blob(MethodView):
    @blp.max_body(blobs.MAX_BYTES)
    @blp.doc(
        requestBody={
            "required": True,
            "description": "The image bytes (JPEG, PNG, WebP or HEIC; checked by content).",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    )
    @blp.response(200, BlobSchema)
    @blp.errors(401, 404, 413, 415, 422)
    def put(self, sha256):
        """Upload a photo or signature under its SHA-256 (idempotent)

        Uploading the bytes makes you one of the photo's uploaders, even when they were here.
        """
        return blobs.put(db(), blob_root(), caller(), sha256, request.get_data())

    @blp.response(200, description="The image.", content_type="application/octet-stream")
    @blp.errors(401, 404)
    def get(self, sha256):
        """Download a photo: its uploaders, or who may see a record naming it that one made

        Knowing or naming the SHA-256 gives no access: a record grants its photos only when
        its author uploaded them. Otherwise `404`, as for a photo that does not exist.
        """
        me, database = caller(), db()
        can_see = partial(kinds.visible, database, me)  # (entity_type, entity_id) -> bool
        path, row = blobs.open_blob(database, blob_root(), me, sha256, can_see)
        return private(send_file(path, mimetype=row["content_type"], etag=sha256, max_age=86400))


@blp.route("/missing")
class MissingBlobs(MethodView):
    @blp.response(200, MissingBlobSchema(many=True))
    @blp.errors(401)
    def get(self):
        """Photos my records name that I have not uploaded yet

        Listed until I upload them myself, even if someone else has uploaded the same bytes.
        """
        return blobs.missing_for(db(), caller())
