"""Photos and signatures: content-addressed files, uploaded separately from the records
that name them.

A phone names a photo in a record by its SHA-256 and uploads the bytes with ``PUT
/blobs/{sha256}``, before or after pushing the record, whenever it has signal. The server
checks the hash and the type (by the file's first bytes, never its name), writes the file
beside the database, then records it; uploading the same bytes again changes nothing.
Records list the photos they expect, and the API says which have not arrived.

A photo's hash is no secret: records, the pull feed and webhook payloads carry it. So
naming a hash in a record proves nothing, and uploading the bytes proves holding them. A
photo is readable by each user who uploaded it (``blob_uploaders``: a photo can have
several), and by anyone who may see a record naming it whose author is one of them. A
record grants only what its author had; until its author uploads the bytes, the photo is
missing for that record, whoever else has uploaded them (so the answer never says that
someone else has, and the author's phone sends its own copy).
"""

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from sync.access.scope import Caller
from sync.clock import utc_now
from sync.errors import NotFound, TooLarge, UnsupportedMediaType, ValidationFailed
from sync.store import changes
from sync.store.rows import chunks

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
    if existing and path.exists() and _uploaded_by(db, caller, sha256):
        return existing | {"created": False}
    if not (existing and path.exists()):
        # The file first: a row always has its file. A crash between the two leaves a
        # file that the next upload of the same bytes adopts.
        _write_atomically(path, data)
    now = utc_now()
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, content_type, uploaded_by, uploaded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [sha256, len(data), content_type, caller.user_id, now],
        )
        added = db.execute(
            "INSERT OR IGNORE INTO blob_uploaders (sha256, user_id, uploaded_at) VALUES (?, ?, ?)",
            [sha256, caller.user_id, now],
        ).rowcount
        if added:  # phones show a repair's missing photos: it changed for the uploader's
            changes.touch_many(
                db,
                db.execute(
                    "SELECT si.entity_type, si.entity_id, si.uprn FROM record_blobs rb "
                    "JOIN sync_index si ON si.entity_type = rb.entity_type "
                    "AND si.entity_id = rb.entity_id AND si.deleted = 0 "
                    "WHERE rb.sha256 = ? AND rb.author_id = ? AND rb.entity_type = 'repair' "
                    "ORDER BY si.seq",
                    [sha256, caller.user_id],
                ).fetchall(),
            )
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
    """The file and its row, for a caller who uploaded it, or who may see a record naming
    it (``can_see(entity_type, entity_id)``) made by someone who uploaded it."""
    if not _HEX64.match(sha256):
        raise NotFound(f"No photo {sha256}.")
    row = get_row(db, sha256)
    path = path_for(root, sha256)
    if row is None or not path.exists() or not _may_read(db, caller, sha256, can_see):
        raise NotFound(f"No photo {sha256}.")
    return path, row


def _uploaded_by(db: Database, caller: Caller, sha256: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM blob_uploaders WHERE sha256 = ? AND user_id = ?",
            [sha256, caller.user_id],
        ).fetchone()
    )


def _may_read(db: Database, caller: Caller, sha256: str, can_see) -> bool:
    if _uploaded_by(db, caller, sha256):
        return True
    granting = db.execute(
        "SELECT rb.entity_type, rb.entity_id FROM record_blobs rb JOIN blob_uploaders bu "
        "ON bu.sha256 = rb.sha256 AND bu.user_id = rb.author_id WHERE rb.sha256 = ?",
        [sha256],
    ).fetchall()
    return any(can_see(entity_type, entity_id) for entity_type, entity_id in granting)


def expect(batch, entity_type: str, entity_id: str, hashes: list[str]) -> list[str]:
    """Record that a new record names these blobs; return those its author (the caller)
    has not uploaded yet."""
    if not hashes:
        return []
    author = batch.caller.user_id
    for sha256 in hashes:
        batch.later(
            "INSERT OR IGNORE INTO record_blobs (entity_type, entity_id, sha256, author_id) "
            "VALUES (?, ?, ?, ?)",
            (entity_type, entity_id, sha256, author),
        )
    return missing(batch.db, author, hashes)


def uploaded(db: Database, hashes: list[str]) -> set[tuple[str, int]]:
    """(sha256, user id) for each of these photos and each user who uploaded it."""
    found = set()
    for chunk in chunks(list(dict.fromkeys(hashes))):
        found.update(
            db.execute(
                "SELECT sha256, user_id FROM blob_uploaders "
                f"WHERE sha256 IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    return found


def missing(db: Database, author_id: int, hashes: list[str]) -> list[str]:
    """The photos a record by this author names that the author has not uploaded."""
    have = uploaded(db, hashes)
    return [h for h in hashes if (h, author_id) not in have]


def missing_for(db: Database, caller: Caller) -> list[dict]:
    """The photos the caller's own records name that the caller has not uploaded."""
    return list(
        db.query(
            """SELECT rb.entity_type, rb.entity_id, rb.sha256 FROM record_blobs rb
               WHERE rb.author_id = ? AND NOT EXISTS (
                   SELECT 1 FROM blob_uploaders bu
                   WHERE bu.sha256 = rb.sha256 AND bu.user_id = rb.author_id)
               ORDER BY rb.entity_type, rb.entity_id, rb.sha256""",
            [caller.user_id],
        )
    )
