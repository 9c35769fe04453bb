"""The audit log: who read special-category data (safeguarding concerns), who received
which warning markers, and other acts auditors ask about. One entry per read or per sync
page, naming every record it covered."""

import orjson
from sqlite_utils import Database

from sync.access.scope import Caller, require_role
from sync.clock import utc_now
from sync.store.pages import page

MAX_LIMIT = 500


def record(
    db: Database,
    caller: Caller,
    action: str,
    entity_type: str,
    entity_ids: list[str],
    detail: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO audit_log (at, user_id, device_id, action, entity_type, entity_ids, "
        "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            utc_now(),
            caller.user_id,
            caller.device_id,
            action,
            entity_type,
            orjson.dumps(sorted(entity_ids)).decode(),
            detail,
        ],
    )


def list_entries(
    db: Database,
    caller: Caller,
    *,
    limit: int = 100,
    after: int | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    user_id: int | None = None,
) -> dict:
    """Audit entries, oldest first (admins)."""
    require_role(caller, ("admin",), "read the audit log")
    where, params = ["1"], []
    if after is not None:
        where.append("a.id > ?")
        params.append(after)
    if entity_type is not None:
        where.append("a.entity_type = ?")
        params.append(entity_type)
    if entity_id is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(a.entity_ids) WHERE value = ?)")
        params.append(entity_id)
    if user_id is not None:
        where.append("a.user_id = ?")
        params.append(user_id)
    rows = list(
        db.query(
            "SELECT a.id, a.at, a.user_id, u.username, a.device_id, a.action, a.entity_type, "
            "a.entity_ids, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
            f"WHERE {' AND '.join(where)} ORDER BY a.id LIMIT ?",
            [*params, limit + 1],
        )
    )
    for row in rows:
        row["entity_ids"] = orjson.loads(row["entity_ids"])
    return page(rows, limit, "id")
