"""Backups while serving, and restores that make every phone re-send what it holds.

``backup`` copies the database with SQLite's online backup API (readers and writers carry
on meanwhile), then packs that copy and the photo files into one tar archive. Photos are
written before the rows that name them and never change, so every photo the copy names
is in the archive.

``restore`` puts an archive back: the database (with no stale ``-wal``/``-shm`` beside
it) and the photos, applies any newer migrations, and changes the sync epoch. Phones
holding cursors from before are told to reset: they upload every mutation they kept
(14 days, docs/sync-protocol.md), the server deduplicates them, and they re-bootstrap.
So a backup younger than 14 days loses nothing a phone had sent. Stop the server first.
"""

import io
import json
import os
import re
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from sync.clock import utc_now
from sync.store import changes
from sync.store.db import alone, connect, migrate

DATABASE_NAME = "doorstep.db"
_PHOTO = re.compile(r"^blobs/([0-9a-f]{2})/([0-9a-f]{64})$")
MANIFEST = "doorstep-backup.json"


def backup(db_path: Path, blob_root: Path, dest: Path) -> dict:
    db_path, blob_root, dest = Path(db_path), Path(blob_root), Path(dest)
    if not db_path.is_file():  # sqlite3 would make an empty database there, and back it up
        raise FileNotFoundError(2, "No such database", str(db_path))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        copy = Path(tmp) / DATABASE_NAME
        source = sqlite3.connect(str(db_path))
        target = sqlite3.connect(str(copy))
        try:
            source.backup(target, pages=1024)  # in steps: writers are not held up long
        finally:
            target.close()
            source.close()
        check = sqlite3.connect(str(copy))
        try:
            ok = check.execute("PRAGMA quick_check").fetchone()[0]
            epoch, seq = check.execute("SELECT epoch, seq FROM sync_state").fetchone()
            names = {r[0] for r in check.execute("SELECT sha256 FROM blobs")}
        finally:
            check.close()
        if ok != "ok":
            raise RuntimeError(f"The copy failed its integrity check: {ok}")
        photos = [p for p in sorted(blob_root.glob("*/*")) if p.name in names]
        manifest = {
            "made_at": utc_now(),
            "source": str(db_path),
            "epoch": epoch,
            "seq": seq,
            "photos": len(photos),
        }
        partial = dest.with_name(dest.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(copy, arcname=DATABASE_NAME)
            for photo in photos:
                archive.add(photo, arcname=f"blobs/{photo.parent.name}/{photo.name}")
        os.replace(partial, dest)
    return {**manifest, "file": str(dest), "bytes": dest.stat().st_size}


def restore(archive_path: Path, db_path: Path, blob_root: Path) -> dict:
    archive_path, db_path, blob_root = Path(archive_path), Path(db_path), Path(blob_root)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # The database to this process alone from the check to the swap: refused while a
    # server has it open, and whatever connects meanwhile waits for the new file.
    with alone(db_path):
        manifest, restored = _put_back(archive_path, db_path, blob_root)
    db = connect(db_path)
    try:
        migrate(db)
        epoch = changes.new_epoch(db)
    finally:
        db.close()
    return {"restored_from": manifest, "photos_restored": restored, "epoch": epoch}


def _put_back(archive_path: Path, db_path: Path, blob_root: Path) -> tuple[dict, int]:
    """The archive's database in place of ``db_path``, and its photos not already there:
    its manifest, and how many photos were put back."""
    with tarfile.open(archive_path, "r") as archive:
        members = {m.name: m for m in archive.getmembers()}
        if MANIFEST not in members or DATABASE_NAME not in members:
            raise ValueError(f"{archive_path} is not a Doorstep backup.")
        manifest = json.loads(archive.extractfile(members[MANIFEST]).read())
        incoming = db_path.with_name(db_path.name + ".restoring")
        with archive.extractfile(members[DATABASE_NAME]) as src, incoming.open("wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        restored = 0
        for name, member in members.items():
            match = _PHOTO.match(name)
            if not match or not member.isfile():
                continue  # nothing but photos, named by their hash, is extracted
            folder, sha = match.group(1), match.group(2)
            if folder != sha[:2]:
                continue
            target = blob_root / folder / sha
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as src, target.open("wb") as out:
                    out.write(src.read())
                restored += 1
    for stale in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(incoming, db_path)
    return manifest, restored
