"""Ids the server makes: UUIDv7 (RFC 9562), in time order.

A v7 id begins with its Unix time in milliseconds, so ids made one after another sort
one after another: each lands at the right-hand edge of a unique index instead of on a
random page of it, and a grown database takes a write in few pages (docs/scaling.md).
The officer app makes its ids the same way (server/web/officer/sync.js); any UUID is
still accepted from a phone (sync.checks.Uuid), so older phones' random v4 ids work."""

import os
import time
import uuid

_MS = (1 << 48) - 1


def uuid7(ms: int | None = None) -> str:
    """A new UUIDv7: 48 bits of milliseconds since 1970 (``ms``, else now), the version,
    74 random bits and the variant."""
    ms = time.time_ns() // 1_000_000 if ms is None else ms
    value = (ms & _MS) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # variant: RFC 9562
    return str(uuid.UUID(int=value))
