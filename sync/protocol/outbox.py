"""Field work for other systems: the outbox, its pull feed, and webhook delivery.

Every record made in the field (visit records, arrangements and promises, contact detail
changes, repair referrals and their progress, warning markers) writes an outbox event in
the same transaction as the record itself, so nothing is stranded in Doorstep. Safeguarding
concerns are not sent: they stay with the people allowed to read them.

Two ways out:

- **The feed** (``GET /feed``): the housing system reads events in order, keeping the last
  id it has stored.
- **Webhooks**: each configured target (``Target``) receives the events of its topics by
  HTTP POST. A delivery worker (``doorstep deliver``) signs each body with HMAC-SHA256 and
  retries failures with exponential backoff; after ``max_attempts`` failures a delivery is
  dead, for an admin to see and replay. Delivery is at least once: the ``Idempotency-Key``
  header (the event id) lets the receiver drop repeats.

Only a 2xx answer is a delivery. A redirect is never followed: it would send the signed
body and its headers to wherever the receiver points (an internal address, say) and
count events as delivered that reached no one. It is a failure like any other. Webhook
URLs must be https; ``DOORSTEP_WEBHOOK_ALLOW_HTTP=1`` allows http for local testing.
"""

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlite_utils import Database

from sync.access.scope import Caller, require_role
from sync.clock import iso, utc_now
from sync.errors import Conflict, NotFound
from sync.ids import uuid7
from sync.store.pages import page
from sync.store.rows import EACH, each

MAX_ATTEMPTS = 8
FIRST_RETRY_S = 30
MAX_RETRY_S = 6 * 3600
TIMEOUT_S = 10
MAX_ERROR_CHARS = 500


# An event's one row in the outbox: every writer uses these (a push's batch stages it).
EVENT_INSERT = (
    "INSERT INTO outbox (event_id, topic, entity_id, body, created_at) VALUES (?, ?, ?, ?, ?)"
)


# Topics whose events are stored without a body: their data is the record as stored,
# read when the event is (a record never changed once made, such as a visit record, gives
# the same event whenever it is read). Topic -> ``data(db, ids)``: each id's event data.
# Filled by the registry of kinds (``sync.kinds``, from ``Kind.rendered``).
RENDERED: dict[str, Callable[[Database, list[str]], dict[str, dict]]] = {}


def event_row(event_id: str, topic: str, entity_id: str, data: dict | None, now: str) -> tuple:
    """The parameters of ``EVENT_INSERT``: the event as the feed and webhooks send it, or
    with ``data`` None no body (a topic of ``RENDERED``: its record gives it when read)."""
    if data is None:
        return (event_id, topic, entity_id, None, now)
    return (event_id, topic, entity_id, _body(event_id, topic, data, now), now)


def _body(event_id: str, topic: str, data: dict | None, occurred_at: str) -> str:
    body = {"id": event_id, "topic": topic, "occurred_at": occurred_at, "data": data}
    return orjson.dumps(body).decode()


def bodies(db: Database, rows: list[tuple]) -> list[str]:
    """Each event's body as sent, for rows of (event_id, topic, entity_id, body,
    created_at): the stored one, or for an event stored without one, its record's data
    read now (all the events of one topic with one read). A record gone since (purged by
    retention, which purges its events too) gives ``data`` null."""
    wanted: dict[str, list[str]] = {}
    for _, topic, entity_id, body, _ in rows:
        if body is None:
            wanted.setdefault(topic, []).append(entity_id)
    missing = sorted(set(wanted) - set(RENDERED))
    if missing:
        raise LookupError(f"No reader for {', '.join(missing)} events: import sync.kinds first.")
    data = {topic: RENDERED[topic](db, ids) for topic, ids in wanted.items()}
    return [
        body
        if body is not None
        else _body(event_id, topic, data[topic].get(entity_id), created_at)
        for event_id, topic, entity_id, body, created_at in rows
    ]


def settle(db: Database, topic: str, entity_ids: list[str]) -> int:
    """Store the body of each event of ``topic`` about these records that was stored
    without one, as it reads now: call it before such a record changes (retention
    unlinking a kept visit from a purged one it corrected), so its events keep saying
    what was applied. Returns how many were settled."""
    if not entity_ids:
        return 0
    rows = db.execute(
        "SELECT id, event_id, topic, entity_id, body, created_at FROM outbox WHERE topic = ? "
        f"AND body IS NULL AND entity_id IN ({EACH})",
        [topic, each(sorted(set(entity_ids)))],
    ).fetchall()
    settled = bodies(db, [row[1:] for row in rows])
    db.conn.executemany(
        "UPDATE outbox SET body = ? WHERE id = ?",
        [(body, row[0]) for row, body in zip(rows, settled, strict=True)],
    )
    return len(rows)


def add(db: Database, topic: str, entity_id: str, data: dict) -> str:
    """Write one event; call inside the transaction that writes the record."""
    event_id = uuid7()
    db.execute(EVENT_INSERT, event_row(event_id, topic, entity_id, data, utc_now()))
    return event_id


def feed(db: Database, caller: Caller, *, after: int = 0, limit: int = 500, topic=None) -> dict:
    """Events in order, for the housing system (admins and integrations)."""
    require_role(caller, ("admin",), "read the outbox feed")
    where, params = "id > ?", [after]
    if topic:
        where += " AND topic = ?"
        params.append(topic)
    with db.atomic():  # the events and the records they are read from, as of one moment
        rows = db.execute(
            f"SELECT id, event_id, topic, entity_id, body, created_at FROM outbox "
            f"WHERE {where} ORDER BY id LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
        sent = bodies(db, [row[1:] for row in rows])
    items = [{"seq": row[0], **orjson.loads(body)} for row, body in zip(rows, sent, strict=True)]
    return page(items, limit, "seq")


# --- webhooks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A webhook receiver: a name, its URL, the topic prefixes it takes (``repair.``), and
    the secret its bodies are signed with."""

    name: str
    url: str
    topics: tuple[str, ...]
    secret: str

    def wants(self, topic: str) -> bool:
        return any(topic == t or topic.startswith(t) for t in self.topics)


ALLOW_HTTP = "DOORSTEP_WEBHOOK_ALLOW_HTTP"


def _checked_url(setting: str, url: str, allow_http: bool) -> str:
    """The URL if it is https (or http where allowed) with a host; else ValueError naming
    the setting, so a plain-text or odd target is refused before anything is sent."""
    if url != url.strip() or any(c.isspace() for c in url):
        raise ValueError(f"{setting} must be a URL without spaces, not {url!r}.")
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Sign-in details in a URL end up in logs; webhooks are signed instead.
        raise ValueError(
            f"{setting} must not carry a user name or password: webhooks are signed with "
            "DOORSTEP_WEBHOOK_SECRET."
        )
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme in schemes and parts.hostname:
        return url
    advice = (
        f"; set {ALLOW_HTTP}=1 to allow http for local testing"
        if parts.scheme == "http" and parts.hostname
        else ""
    )
    raise ValueError(f"{setting} must be an https:// URL, not {url!r}{advice}.")


def targets_from_env(environ) -> list[Target]:
    """The configured webhook targets: ``DOORSTEP_REPAIRS_WEBHOOK_URL`` (repair events) and
    ``DOORSTEP_HMS_WEBHOOK_URL`` (every event), signed with ``DOORSTEP_WEBHOOK_SECRET``.
    Each URL must be https, unless ``DOORSTEP_WEBHOOK_ALLOW_HTTP=1`` (local testing)."""
    wanted = (
        ("repairs", "DOORSTEP_REPAIRS_WEBHOOK_URL", ("repair.",)),
        ("hms", "DOORSTEP_HMS_WEBHOOK_URL", ("",)),
    )
    allow_http = environ.get(ALLOW_HTTP) == "1"
    targets = [
        (name, _checked_url(setting, environ[setting], allow_http), topics)
        for name, setting, topics in wanted
        if environ.get(setting)
    ]
    secret = environ.get("DOORSTEP_WEBHOOK_SECRET", "")
    if targets and len(secret) < 16:
        raise ValueError("Set DOORSTEP_WEBHOOK_SECRET (16 characters or more) to sign webhooks.")
    return [Target(name, url, topics, secret) for name, url, topics in targets]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``Doorstep-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def enqueue(db: Database, targets: list[Target]) -> int:
    """Give each target a delivery for every event of its topics it has not yet had."""
    queued = 0
    with db.atomic():
        for target in targets:
            db.execute(
                "INSERT OR IGNORE INTO delivery_targets (name, last_outbox_id) VALUES (?, 0)",
                [target.name],
            )
            last = db.execute(
                "SELECT last_outbox_id FROM delivery_targets WHERE name = ?", [target.name]
            ).fetchone()[0]
            rows = db.execute(
                "SELECT id, topic FROM outbox WHERE id > ? ORDER BY id", [last]
            ).fetchall()
            now = utc_now()
            wanted = [(i, target.name, now) for i, topic in rows if target.wants(topic)]
            db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (outbox_id, target, status, next_attempt_at) "
                "VALUES (?, ?, 'pending', ?)",
                wanted,
            )
            queued += len(wanted)
            if rows:
                db.execute(
                    "UPDATE delivery_targets SET last_outbox_id = ? WHERE name = ?",
                    [rows[-1][0], target.name],
                )
    return queued


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 30 s, 1 min, 2 min ... at most 6 hours."""
    return timedelta(seconds=min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** (attempts - 1)))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib then raises it as an ``HTTPError``, a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(target: Target, event_id: str, body: bytes) -> str | None:
    """POST one event; None on a 2xx, else what went wrong."""
    request = urllib.request.Request(target.url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", event_id)
    request.add_header("Doorstep-Signature", signature(target.secret, int(time.time()), body))
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as response:
            response.read()
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location")
            to = f" to {location}" if location else ""
            return f"HTTP {exc.code}: redirect{to} not followed"
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"


def _due(db: Database, names: list[str], now: datetime, limit: int):
    """The deliveries due to these targets, oldest first, and each one's body."""
    due = db.execute(
        "SELECT d.id, d.target, d.attempts, o.event_id, o.topic, o.entity_id, o.body, "
        "o.created_at FROM deliveries d "
        "JOIN outbox o ON o.id = d.outbox_id WHERE d.status = 'pending' "
        f"AND d.target IN ({','.join('?' * len(names))}) "
        "AND d.next_attempt_at <= ? ORDER BY d.id LIMIT ?",
        [*names, iso(now), limit],
    ).fetchall()
    return due, bodies(db, [row[3:] for row in due])


def deliver_due(
    db: Database,
    targets: list[Target],
    *,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = 100,
) -> dict:
    """Send every delivery that is due, once. Returns counts."""
    by_name = {t.name: t for t in targets}
    enqueue(db, targets)
    now = now or datetime.now(UTC)
    # Only the configured targets' deliveries: a target no longer configured keeps its
    # queue for later, and never holds up the others.
    names = sorted(by_name)
    with db.atomic():  # the events and the records they are read from, as of one moment
        due, sent = _due(db, names, now, limit)
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    for (delivery_id, name, attempts, event_id, *_), body in zip(due, sent, strict=True):
        target = by_name[name]
        error = _post(target, event_id, body.encode())
        attempts += 1
        with db.atomic():
            if error is None:
                db.execute(
                    "UPDATE deliveries SET status = 'delivered', attempts = ?, "
                    "delivered_at = ?, last_error = NULL WHERE id = ?",
                    [attempts, utc_now(), delivery_id],
                )
                counts["delivered"] += 1
            elif attempts >= max_attempts:
                db.execute(
                    "UPDATE deliveries SET status = 'dead', attempts = ?, last_error = ? "
                    "WHERE id = ?",
                    [attempts, error[:MAX_ERROR_CHARS], delivery_id],
                )
                counts["dead"] += 1
            else:
                db.execute(
                    "UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ? "
                    "WHERE id = ?",
                    [
                        attempts,
                        error[:MAX_ERROR_CHARS],
                        iso(now + backoff(attempts)),
                        delivery_id,
                    ],
                )
                counts["failed"] += 1
    return counts


DELIVERY_COLUMNS = (
    "d.id, d.target, d.status, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at, "
    "o.event_id, o.topic, o.entity_id, o.created_at"
)


def list_deliveries(
    db: Database, caller: Caller, *, status=None, target=None, after=None, limit=100
) -> dict:
    require_role(caller, ("admin",), "see webhook deliveries")
    where, params = ["1"], []
    for column, value in (("d.status", status), ("d.target", target)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        where.append("d.id > ?")
        params.append(after)
    rows = list(
        db.query(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.outbox_id "
            f"WHERE {' AND '.join(where)} ORDER BY d.id LIMIT ?",
            [*params, limit + 1],
        )
    )
    return page(rows, limit, "id")


def replay(db: Database, caller: Caller, delivery_id: int) -> dict:
    """Send a dead delivery again, from its first attempt."""
    require_role(caller, ("admin",), "replay webhook deliveries")
    with db.atomic():
        row = db.execute("SELECT status FROM deliveries WHERE id = ?", [delivery_id]).fetchone()
        if row is None:
            raise NotFound(f"Delivery {delivery_id} not found.")
        if row[0] != "dead":
            raise Conflict("Only a dead delivery can be replayed.", code="not-dead")
        db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE id = ?",
            [utc_now(), delivery_id],
        )
    return next(
        iter(
            db.query(
                f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o "
                "ON o.id = d.outbox_id WHERE d.id = ?",
                [delivery_id],
            )
        )
    )
