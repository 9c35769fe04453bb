"""What makes a mutation sent again the same mutation: everything the phone sent but the
delivery details (its ``device_seq``). A push compares contents only when a mutation id
comes back, which is rare (a resend after a lost answer), so a push works nothing out for
the mutations it has not seen before: the comparison reads the copy of what the phone
sent that every stored mutation keeps (``mutations.body``).

Retention's purge takes a mutation's payload out of that copy (sync.retention); it leaves
the SHA-256 of the content in its place (``CONTENT_SHA256``), which is all a resend of a
purged mutation is then compared with.
"""

import hashlib
import json

from sync.protocol.batch import dumps

CONTENT_KEYS = (
    "mutation_id",
    "entity_type",
    "entity_id",
    "op",
    "base_version",
    "observed_at",
    "payload",
)
# The key of a purged mutation's stored copy that holds its content's digest.
CONTENT_SHA256 = "content_sha256"


def content(sent: dict) -> bytes:
    """A mutation's content as canonical JSON (keys sorted)."""
    return dumps({k: sent.get(k) for k in CONTENT_KEYS}, sort_keys=True)


def digest(sent: dict) -> str:
    """The SHA-256 of a mutation's content, in hex."""
    return hashlib.sha256(content(sent)).hexdigest()


def same(stored: str | dict, sent: dict) -> bool:
    """Whether ``sent`` has the content of a stored mutation: ``stored`` is its copy as
    kept (``mutations.body``), or what the phone sent earlier in the same push. The copy
    is read back exactly as it was written (the standard library keeps integers past 64
    bits, which orjson would turn into floats), so what was sent compares as it was."""
    earlier = stored if isinstance(stored, dict) else json.loads(stored)
    if not isinstance(earlier, dict):
        return False
    if "redacted_at" in earlier and CONTENT_SHA256 in earlier:  # purged: its digest is left
        return earlier[CONTENT_SHA256] == digest(sent)
    return content(earlier) == content(sent)
