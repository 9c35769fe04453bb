"""Photos and signatures: content-addressed files, uploaded separately from the records
that name them.

A phone names a photo in a record by its SHA-256 and uploads the bytes with ``PUT
/blobs/{sha256}``, before or after pushing the record, whenever it has signal. The server
checks the hash and the type (by the file's first bytes, never its name), writes the file
beside the database, then records it; uploading the same bytes again changes nothing.
Records list the photos they expect, and the API says which have not arrived.
"""

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from sync import changes
from sync.clock import utc_now
from sync.errors import NotFound, TooLarge, UnsupportedMediaType, ValidationFailed
from sync.scope import Caller

MAX_BYTES = 10 * 1024 * 1024

# Accepted types by their first bytes: photos from phone cameras, and signatures (PNG).
_SIGNATURES = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypheix", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heif"),
)


def sniff(data: bytes) -> str | None:
    """The content type by the file's first bytes, or None when it is not one we take."""
    for magic, offset, content_type in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return content_type
    return None


def default_root(database: str | Path) -> Path:
    """Beside the database: ``var/doorstep.db`` keeps its photos in ``var/doorstep-blobs``
    (so a backup of the directory holds both)."""
    path = Path(database)
    return path.with_name(f"{path.stem}-blobs")


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def put(db: Database, root: Path, caller: Caller, sha256: str, data: bytes) -> dict:
    """Store an upload. Returns the blob and whether it was new."""
    if not _HEX64.match(sha256):
        raise ValidationFailed(
            "Name the upload by its SHA-256 in lower-case hex.",
            errors={"sha256": ["Not 64 lower-case hex digits."]},
        )
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"A photo may be at most {MAX_BYTES // (1024 * 1024)} MB.",
            errors={"body": [f"More than {MAX_BYTES} bytes."]},
        )
    if not data:
        raise ValidationFailed("The upload is empty.", errors={"body": ["Empty."]})
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedMediaType(
            "Only JPEG, PNG, WebP and HEIC images are accepted.",
            errors={"body": ["Not a JPEG, PNG, WebP or HEIC image."]},
        )
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValidationFailed(
            "The bytes do not have the SHA-256 named in the address.",
            code="hash-mismatch",
            errors={"sha256": ["Does not match the uploaded bytes."]},
        )
    existing = get_row(db, sha256)
    path = path_for(root, sha256)
    if existing and path.exists():
        return existing | {"created": False}
    # The file first: a row always has its file. A crash between the two leaves a file
    # that the next upload of the same bytes adopts.
    _write_atomically(path, data)
    with db.atomic():
        added = db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, content_type, uploaded_by, uploaded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [sha256, len(data), content_type, caller.user_id, utc_now()],
        ).rowcount
        if added:  # phones show a repair's missing photos: it changed for them
            changes.touch_many(db, db.execute(
                "SELECT si.entity_type, si.entity_id, si.uprn FROM record_blobs rb "
                "JOIN sync_index si ON si.entity_type = rb.entity_type "
                "AND si.entity_id = rb.entity_id AND si.deleted = 0 "
                "WHERE rb.sha256 = ? AND rb.entity_type = 'repair' ORDER BY si.seq",
                [sha256],
            ).fetchall())  # fmt: skip
    return get_row(db, sha256) | {"created": existing is None}


def get_row(db: Database, sha256: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT sha256, size, content_type, uploaded_at FROM blobs WHERE sha256 = ?",
            [sha256],
        )
    )
    return rows[0] if rows else None


def open_blob(
    db: Database, root: Path, caller: Caller, sha256: str, can_see: Callable[[str, str], bool]
) -> tuple[Path, dict]:
    """The file and its row, for a caller who uploaded it or may see a record naming it
    (``can_see(entity_type, entity_id)``)."""
    if not _HEX64.match(sha256):
        raise NotFound(f"No photo {sha256}.")
    row = get_row(db, sha256)
    uploader = db.execute("SELECT uploaded_by FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
    allowed = uploader is not None and uploader[0] == caller.user_id
    if row is not None and not allowed:
        for entity_type, entity_id in db.execute(
            "SELECT entity_type, entity_id FROM record_blobs WHERE sha256 = ?", [sha256]
        ).fetchall():
            if can_see(entity_type, entity_id):
                allowed = True
                break
    path = path_for(root, sha256)
    if row is None or not allowed or not path.exists():
        raise NotFound(f"No photo {sha256}.")
    return path, row


def expect(batch, entity_type: str, entity_id: str, hashes: list[str]) -> list[str]:
    """Record that a new record names these blobs; return those not uploaded yet."""
    if not hashes:
        return []
    for sha256 in hashes:
        batch.later(
            "INSERT OR IGNORE INTO record_blobs (entity_type, entity_id, sha256) VALUES (?, ?, ?)",
            (entity_type, entity_id, sha256),
        )
    return missing(batch.db, hashes)


def missing(db: Database, hashes: list[str]) -> list[str]:
    if not hashes:
        return []
    marks = ",".join("?" * len(hashes))
    have = {
        r[0] for r in db.execute(f"SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", hashes)
    }
    return [h for h in hashes if h not in have]


def missing_for(db: Database, caller: Caller) -> list[dict]:
    """The photos the caller's own records name that have not been uploaded."""
    return list(
        db.query(
            """SELECT rb.entity_type, rb.entity_id, rb.sha256 FROM record_blobs rb
               JOIN mutations m ON m.entity_type = rb.entity_type
                    AND m.entity_id = rb.entity_id AND m.op = 'create'
                    AND m.status = 'applied' AND m.user_id = ?
               WHERE rb.sha256 NOT IN (SELECT sha256 FROM blobs)
               ORDER BY rb.entity_type, rb.entity_id, rb.sha256""",
            [caller.user_id],
        )
    )
