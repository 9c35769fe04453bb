"""The Breathing Spaces the account import shows, kept as history, and the steps it
records inside one, sent to review (sync.records.breathing has the rules).

Called by ``sync.intake.store.after_accounts`` for the rows a batch stored.
"""

from datetime import date, timedelta

from sqlite_utils import Database

from sync.clock import utc_now
from sync.records import breathing


def note_spaces(db: Database, rows: list[dict]) -> None:
    """Keep every Breathing Space the rows show (sync.records.breathing): the newest row
    says its type, end and who told us; its moratorium debt is the one a row gave, else
    the balance on or before its start (else the first after it)."""
    shown = sorted((r for r in rows if r["breathing_space_start"]), key=lambda r: r["as_of"])
    if not shown:
        return
    now = utc_now()
    known = {
        (s["tenancy_ref"], s["start_date"]): s
        for spaces in breathing.history(db, {r["tenancy_ref"] for r in shown}).values()
        for s in spaces
    }
    for row in shown:
        key = (row["tenancy_ref"], row["breathing_space_start"])
        space = known.get(key)
        if space is None:
            space = known[key] = {
                "tenancy_ref": row["tenancy_ref"],
                "start_date": row["breathing_space_start"],
                "first_seen": row["as_of"],
                "last_seen": row["as_of"],
                "notified_by": None,
                "moratorium_debt": None,
                "debt_as_of": None,
                "debt_source": None,
            }
        newer = row["as_of"] >= space["last_seen"]
        if newer or "type" not in space:
            space["type"] = row["breathing_space_type"]
            space["end_date"] = row["breathing_space_end"]
            space["last_seen"] = row["as_of"]
        space["first_seen"] = min(space["first_seen"], row["as_of"])
        if row["breathing_space_notified_by"] and (newer or not space["notified_by"]):
            space["notified_by"] = row["breathing_space_notified_by"]
        if row["moratorium_debt"] is not None and (newer or space["debt_source"] != "import"):
            space["moratorium_debt"] = row["moratorium_debt"]
            space["debt_as_of"], space["debt_source"] = row["as_of"], "import"
        space["dirty"] = True
    for space in known.values():
        if not space.pop("dirty", False):
            continue
        if space["debt_source"] != "import":
            _derive_debt(db, space)
        db.execute(
            "INSERT INTO breathing_spaces (tenancy_ref, type, start_date, end_date, "
            "notified_by, moratorium_debt, debt_as_of, debt_source, first_seen, last_seen, "
            "updated_at) VALUES (:tenancy_ref, :type, :start_date, :end_date, :notified_by, "
            ":moratorium_debt, :debt_as_of, :debt_source, :first_seen, :last_seen, :now) "
            "ON CONFLICT (tenancy_ref, start_date) DO UPDATE SET type = excluded.type, "
            "end_date = excluded.end_date, notified_by = excluded.notified_by, "
            "moratorium_debt = excluded.moratorium_debt, debt_as_of = excluded.debt_as_of, "
            "debt_source = excluded.debt_source, first_seen = excluded.first_seen, "
            "last_seen = excluded.last_seen, updated_at = excluded.updated_at",
            {k: space.get(k) for k in breathing.SPACE_COLUMNS.split(", ")[1:]} | {"now": now},
        )


def _derive_debt(db: Database, space: dict) -> None:
    """The moratorium debt from the snapshots: the balance on the latest on or before the
    start, else on the first after it. A debt once read from a snapshot on or before the
    start changes only for a later one still on or before it (old snapshots may since have
    been purged: sync.retention)."""
    found = db.execute(
        "SELECT max(balance, 0), as_of FROM account_snapshots WHERE tenancy_ref = ? "
        "ORDER BY as_of > ?, CASE WHEN as_of <= ? THEN as_of END DESC, as_of LIMIT 1",
        [space["tenancy_ref"], *[space["start_date"]] * 2],
    ).fetchone()
    if found is None:
        return
    debt, as_of = found
    held, start = space["debt_as_of"], space["start_date"]
    better = (
        held is None
        or (as_of <= start and (held > start or as_of > held))
        or (held > start and as_of < held)
    )
    if better:
        space["moratorium_debt"], space["debt_as_of"], space["debt_source"] = (
            debt,
            as_of,
            "snapshot",
        )


def flag_steps(db: Database, run, rows: list[dict]) -> None:
    """The rows' enforcement steps dated inside a moratorium go to a team leader's review
    (``review_flags``), once each however many nights the housing system sends them."""
    stored = {(r["tenancy_ref"], r["as_of"]) for r in rows}
    seen = run.context.get("flagged_to", 0)
    run.context["flagged_to"] = len(run.warnings)
    now = utc_now()
    db.conn.executemany(
        breathing.FLAG_INSERT,
        [
            (
                breathing.FLAG,
                w["rule"],
                w["text"],
                w["tenancy_ref"],
                w["uprn"],
                "import",
                None,
                None,
                w["step"],
                w["date"],
                run.run_id,
                line,
                None,
                None,
                now,
            )
            for line, w in run.warnings[seen:]
            if w.get("step") and (w["tenancy_ref"], w["as_of"]) in stored
        ],
    )


# A standard Breathing Space lasts 60 days, its first day counted (the Debt Respite Scheme
# regulations); only a mental health crisis one runs with no end known.
STANDARD_DAYS = 60


def end_by_law(row: dict) -> None:
    """An account row's standard Breathing Space sent without its end ends when the law
    says, never left open (it would hold off enforcement for good)."""
    start = row["breathing_space_start"]
    if row["breathing_space_type"] == "standard" and start and not row["breathing_space_end"]:
        last = date.fromisoformat(start) + timedelta(days=STANDARD_DAYS - 1)
        row["breathing_space_end"] = last.isoformat()
