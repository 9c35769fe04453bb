"""What makes a mutation sent again the same mutation: everything the phone sent but the
delivery details (its ``device_seq``). A push compares contents only when a mutation id
comes back, which is rare (a resend after a lost answer), so for the mutations it has not
seen before it works nothing out.

A resend is compared with the copy of what was sent that every stored mutation keeps
(``mutations.body``), read back exactly as written. A long copy (over ``COMPARED_UP_TO``
characters) has the SHA-256 of its content kept beside it (``mutations.content_hash``),
worked out once when it is stored, and so has a copy whose payload retention has purged
(sync.retention): a resend is compared with that hash instead. So what a resend costs is
bounded by what it sends, however long what it names was: a short push naming long
mutations stored earlier cannot make the server read them all.
"""

import hashlib
import json

from sync.store.strict_json import dumps

CONTENT_KEYS = (
    "mutation_id",
    "entity_type",
    "entity_id",
    "op",
    "base_version",
    "observed_at",
    "payload",
)
# A copy longer than this (in characters) keeps its content's hash instead of being read.
COMPARED_UP_TO = 16 * 1024


def content(sent: dict) -> bytes:
    """A mutation's content as canonical JSON (keys sorted)."""
    return dumps({k: sent.get(k) for k in CONTENT_KEYS}, sort_keys=True)


def digest(sent: dict) -> str:
    """The SHA-256 of a mutation's content, in hex."""
    return hashlib.sha256(content(sent)).hexdigest()


def kept_hash(sent: dict, copy: str) -> str | None:
    """The hash a mutation is stored with, given the copy stored (``copy``): its digest
    when the copy is long, else None (the copy itself is compared)."""
    return digest(sent) if len(copy) > COMPARED_UP_TO else None


def same(earlier: dict | tuple[str | None, str | None], sent: dict) -> bool:
    """Whether ``sent`` has the content of a mutation already stored, given as (its copy,
    its content hash) with one of the two None, or made earlier in the same push (what
    was sent then). A copy is read back exactly as it was written: the standard library
    keeps integers past 64 bits, which orjson would turn into floats."""
    if isinstance(earlier, dict):
        return content(earlier) == content(sent)
    copy, content_hash = earlier
    if content_hash is not None:
        return content_hash == digest(sent)
    stored = json.loads(copy)
    return isinstance(stored, dict) and content(stored) == content(sent)
