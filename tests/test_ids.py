"""Time-ordered ids: UUIDv7 from the server and from the officer app."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from sync.ids import uuid7
from sync.protocol import outbox

SYNC_JS = Path(__file__).resolve().parents[1] / "server/web/officer/sync.js"


def _is_v7_at(text: str, ms: int) -> bool:
    value = uuid.UUID(text)
    return value.version == 7 and value.variant == uuid.RFC_4122 and value.int >> 80 == ms


def test_server_ids_are_uuid7_in_time_order():
    assert _is_v7_at(uuid7(1_700_000_000_000), 1_700_000_000_000)
    made = [uuid7(ms) for ms in range(1_700_000_000_000, 1_700_000_000_050)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert uuid7() > uuid7(1_700_000_000_000)


def test_events_the_server_makes_have_time_ordered_ids(db):
    with db.atomic():
        first = outbox.add(db, "visit.recorded", "v-1", {"id": "v-1"})
        second = outbox.add(db, "visit.recorded", "v-2", {"id": "v-2"})
    assert uuid.UUID(first).version == 7 and uuid.UUID(second).version == 7
    assert first[:8] <= second[:8]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_officer_app_makes_uuid7_ids():
    """The app's own function, run as written (the browser tests use it too)."""
    script = (
        "const fs = require('fs');"
        f"const src = fs.readFileSync('{SYNC_JS}', 'utf8');"
        "const fn = src.slice(src.indexOf('export function uuid7'),"
        " src.indexOf('export class Engine')).replace('export ', '');"
        "const uuid7 = new Function(fn + '; return uuid7;')();"
        "console.log([uuid7(1700000000000), uuid7(1700000000001), uuid7()].join(' '));"
    )
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    early, later, now = done.stdout.split()
    assert _is_v7_at(early, 1_700_000_000_000) and _is_v7_at(later, 1_700_000_000_001)
    assert early < later < now and uuid.UUID(now).version == 7
