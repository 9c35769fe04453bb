"""The demo landlord: teams, users, patches and homes loaded through the real import.

Demo-only: every demo user's password is ``demo``. Never run this against a live database.

The landlord is generated in stages (landlord.py runs them: geography, homes, tenancies,
people, accounts, legal steps, markers, transactions and letters), from name pools in
data/, then a week of field work is pushed through the real sync protocol (field.py).

Imports: anything; nothing imports the demo but the ``doorstep`` command, tests and bench.
"""

import csv
import json
import multiprocessing
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from sync.access.passwords import hash_password
from sync.access.scope import Caller
from sync.access.users import create_team, create_user
from sync.clock import london_today
from sync.demo import field, geography
from sync.demo import landlord as demo_data
from sync.intake.kinds import KINDS
from sync.intake.run import import_rows
from sync.memory import collector_paused
from sync.records.patches import create_patch
from sync.store.db import connect

DEMO_PASSWORD = "demo"
KIND_ORDER = (
    "properties",
    "tenancies",
    "tenants",
    "accounts",
    "markers",
    "transactions",
    "letters",
)


def demo_logins(patches: int = 6) -> list[tuple[str, str]]:
    """(username, what they are) for every demo user."""
    half = (patches + 1) // 2
    rows = [(f"officer{n}", f"officer, owns patch {n}") for n in range(1, patches + 1)]
    rows += [
        ("leader1", f"team leader, officers 1-{half}"),
        ("leader2", f"team leader, officers {half + 1}-{patches}"),
        ("repairs1", "maintenance"),
        ("safeguarding1", "safeguarding lead"),
        ("admin", "admin"),
    ]
    return rows


def build(
    db: Database,
    *,
    seed: int = 1,
    homes_per_patch: int = 1800,
    patches: int = 6,
    as_of: date | None = None,
    field_work: bool = False,
) -> demo_data.Landlord:
    """Load a generated landlord into an empty, migrated database, through the import;
    with ``field_work``, then push a week of the officers' field work (``field.py``).

    The rent transactions and letters are most of the rows. For a database on disk a
    second process, on the machine's second core, draws and imports them, a part of the
    tenancies at a time, while this one imports the rest and pushes the field work (which
    needs neither); then this one takes parts too, until none is left. SQLite's write lock
    and the busy timeout take turns between the two. The landlord returned has no
    transactions or letters (``draw_history()`` draws them, the same rows)."""
    as_of = as_of or london_today()
    with collector_paused():
        landlord = demo_data.generate(
            seed=seed, homes_per_patch=homes_per_patch, patches=patches, as_of=as_of, history=False
        )
    path = db.execute("PRAGMA database_list").fetchall()[0][2]
    # A demo is built into a new file, renamed into place once whole (``doorstep demo``):
    # a power cut loses the build, never data, so its commits need not wait for the disk.
    db.execute("PRAGMA synchronous = OFF")
    context = multiprocessing.get_context("fork")
    parts = context.Value("i", 0)  # the next part of the history nobody has taken
    helper = None
    if path:
        named = context.Event()  # set once the tenancies and tenants are in
        helper = context.Process(
            target=_import_history, args=(path, landlord, seed, parts, named), daemon=True
        )
        helper.start()
    try:
        admin_id = create_organisation(db, landlord)
        for kind in KIND_ORDER:
            if kind not in HISTORY:
                _import(db, kind, getattr(landlord, kind), seed, admin_id)
            if kind == "tenants" and helper:
                named.set()
        give_bases(db)
        if field_work:
            field.record_week(db, seed=seed, as_of=as_of)
        _import_history(db, landlord, seed, parts)
    finally:
        db.execute("PRAGMA synchronous = FULL")  # as every connection has it (store.db)
        if helper:
            named.set()
            helper.join()
    if helper and helper.exitcode:
        raise RuntimeError(f"the demo's transactions and letters failed ({helper.exitcode})")
    return landlord


HISTORY = ("transactions", "letters")


def _import_history(db, landlord: demo_data.Landlord, seed: int, parts, named=None) -> None:
    """Take parts of the history (``parts`` counts those taken, shared between processes),
    draw them and import them: the transactions as they are drawn, then their letters. In
    the second process ``db`` is the database's path (it opens a connection of its own),
    and parts are drawn ahead until ``named`` says the tenancies they name are in."""
    history = landlord.history

    def take() -> int | None:
        with parts.get_lock():
            part = parts.value
            parts.value += 1
        return part if part < history.parts else None

    def draw(part: int) -> tuple[list, list]:
        with collector_paused():
            return history.draw(part)

    part = take()
    if part is None:  # the other process took them all
        return
    drawn = [draw(part)]
    if named is not None:
        while not named.is_set() and (part := take()) is not None:
            drawn.append(draw(part))
        named.wait()
        db = connect(db)
        db.execute("PRAGMA synchronous = OFF")
    admin_id = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()
    if admin_id is None:  # the first process failed before making the organisation
        raise RuntimeError("the demo's organisation is missing")
    letters: list[dict] = []

    def transactions():
        for rows, sent in drawn:
            letters.extend(sent)
            yield from rows
        while (part := take()) is not None:
            rows, sent = draw(part)
            letters.extend(sent)
            yield from rows

    _import(db, "transactions", transactions(), seed, admin_id[0])
    _import(db, "letters", letters, seed, admin_id[0])


def _import(db: Database, kind: str, rows, seed: int, admin_id) -> None:
    run = import_rows(
        db,
        kind,
        ((i, row, "") for i, row in enumerate(rows, 1)),  # made as read: no collector
        source=f"demo seed {seed}",
        fmt="jsonl",
        sha256="-",
        started_by=admin_id,
    )
    if run["rejected"]:
        raise RuntimeError(f"demo {kind} rows were rejected: {run['errors'][:3]}")


def give_bases(db: Database) -> None:
    """Each demo officer's base: the housing office of the town nearest the middle of
    their patch's homes, where their day plans start and end."""
    for officer_id, lat, lon in db.execute(
        "SELECT pa.officer_id, avg(p.latitude), avg(p.longitude) FROM patches pa "
        "JOIN patch_properties pp ON pp.patch_id = pa.id "
        "JOIN properties p ON p.uprn = pp.uprn "
        "WHERE pa.officer_id IS NOT NULL GROUP BY pa.officer_id"
    ).fetchall():
        town, office_lat, office_lon = geography.nearest_office(lat, lon)
        db.execute(
            "UPDATE users SET base_latitude = ?, base_longitude = ?, base_label = ? WHERE id = ?",
            [office_lat, office_lon, f"{town} housing office", officer_id],
        )


def demo_phone(n: int) -> str:
    """A work phone from Ofcom's range for drama (07700 900000-900999): plausible, and
    never anyone's real number."""
    return f"07700 900{n:03d}"


def create_organisation(db: Database, landlord: demo_data.Landlord) -> int:
    """Teams, demo users and patches. Returns the admin's id."""
    if db.execute("SELECT count(*) FROM users").fetchone()[0]:
        raise ValueError("The database already has users; the demo needs an empty one.")
    count = len(landlord.patches)
    half = (count + 1) // 2
    demo_hash = hash_password(DEMO_PASSWORD)  # one for all: they share the password
    teams = [create_team(db, "Income Team West"), create_team(db, "Income Team East")]
    officers = {}
    for n in range(1, count + 1):
        team = teams[0] if n <= half else teams[1]
        officers[n] = create_user(
            db,
            username=f"officer{n}",
            display_name=f"Officer {n}",
            role="officer",
            work_phone=demo_phone(100 + n),
            team_id=team["id"],
            password=DEMO_PASSWORD,
            password_hash=demo_hash,
            must_change_password=False,
        )
    for i, team in enumerate(teams, start=1):
        create_user(
            db,
            username=f"leader{i}",
            display_name=f"Team Leader {i}",
            role="team_leader",
            work_phone=demo_phone(200 + i),
            team_id=team["id"],
            password=DEMO_PASSWORD,
            password_hash=demo_hash,
            must_change_password=False,
        )
    create_user(
        db,
        username="repairs1",
        display_name="Repairs Coordinator",
        role="maintenance",
        work_phone=demo_phone(301),
        password=DEMO_PASSWORD,
        password_hash=demo_hash,
        must_change_password=False,
    )
    create_user(
        db,
        username="safeguarding1",
        display_name="Safeguarding Lead",
        role="safeguarding_lead",
        work_phone=demo_phone(302),
        password=DEMO_PASSWORD,
        password_hash=demo_hash,
        must_change_password=False,
    )
    admin = create_user(
        db,
        username="admin",
        display_name="Systems Admin",
        role="admin",
        work_phone=demo_phone(303),
        password=DEMO_PASSWORD,
        password_hash=demo_hash,
        must_change_password=False,
    )
    system = Caller(user_id=admin["id"], username="admin", role="admin", team_id=None)
    for plan in landlord.patches:
        create_patch(
            db,
            system,
            name=plan.name,
            team_id=teams[plan.team - 1]["id"],
            boundary=plan.boundary,
            officer_id=officers[plan.number]["id"],
        )
    return admin["id"]


# The demo exports its rows as the housing system would: CSV, with one JSON Lines file
# (tenants) so both documented formats are exercised.
EXPORT_FORMATS = {
    "properties": "csv",
    "tenancies": "csv",
    "tenants": "jsonl",
    "accounts": "csv",
    "markers": "csv",
    "transactions": "csv",
    "letters": "csv",
}


def export(landlord: demo_data.Landlord, directory: Path) -> list[Path]:
    """Write the landlord's rows as nightly import files, one per kind, in import order."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KIND_ORDER:
        rows = getattr(landlord, kind)
        fmt = EXPORT_FORMATS[kind]
        path = directory / f"{kind}.{fmt}"
        columns = list(KINDS[kind].row.fields)
        with path.open("w", newline="", encoding="utf-8") as out:
            if fmt == "jsonl":
                for row in rows:
                    out.write(json.dumps(row, default=str) + "\n")
            else:
                writer = csv.DictWriter(out, fieldnames=columns)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: _cell(row.get(k)) for k in columns})
        written.append(path)
    return written


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def landlord_summary(db: Database, today: date) -> dict:
    """The distributions a team leader would check, read back from the database."""
    day = today.isoformat()
    current = "t.start_date <= :day AND (t.end_date IS NULL OR t.end_date >= :day)"

    def one(sql: str) -> float:
        return db.execute(sql, {"day": day}).fetchone()[0] or 0

    dwellings_current = one(
        f"SELECT count(*) FROM tenancies t JOIN properties p ON p.uprn = t.uprn "
        f"WHERE p.kind = 'dwelling' AND {current}"
    )
    in_arrears = one(
        f"SELECT count(*) FROM tenancies t JOIN properties p ON p.uprn = t.uprn "
        f"JOIN account_snapshots s ON s.id = t.current_snapshot_id "
        f"WHERE p.kind = 'dwelling' AND {current} AND s.balance > 0"
    )
    tenancies_current = one(f"SELECT count(*) FROM tenancies t WHERE {current}")
    on_uc = one(
        f"SELECT count(*) FROM tenancies t JOIN account_snapshots s "
        f"ON s.id = t.current_snapshot_id WHERE {current} AND s.benefit = 'universal_credit'"
    )
    stages = dict(
        db.execute(
            f"SELECT s.legal_stage, count(*) FROM tenancies t JOIN account_snapshots s "
            f"ON s.id = t.current_snapshot_id WHERE {current} GROUP BY s.legal_stage",
            {"day": day},
        ).fetchall()
    )
    patches = [
        {
            "patch_id": r[0],
            "name": r[1],
            "officer": r[2],
            "homes": r[3],
            "rent_roll": round(r[4] or 0),
        }
        for r in db.execute(
            f"""SELECT pa.id, pa.name, u.username, count(DISTINCT pp.uprn),
                       sum(CASE WHEN {current} THEN t.weekly_rent * 52 END)
                FROM patches pa LEFT JOIN users u ON u.id = pa.officer_id
                LEFT JOIN patch_properties pp ON pp.patch_id = pa.id
                LEFT JOIN tenancies t ON t.uprn = pp.uprn
                GROUP BY pa.id ORDER BY pa.id""",
            {"day": day},
        )
    ]
    return {
        "as_of": day,
        "homes": one("SELECT count(*) FROM properties WHERE kind = 'dwelling'"),
        "garages": one("SELECT count(*) FROM properties WHERE kind = 'garage'"),
        "tenancies_current": tenancies_current,
        "tenancies_former": one("SELECT count(*) FROM tenancies WHERE end_date < :day"),
        "share_in_arrears": round(in_arrears / dwellings_current, 3) if dwellings_current else 0,
        "total_arrears": round(
            one(
                "SELECT sum(s.balance) FROM tenancies t JOIN account_snapshots s "
                "ON s.id = t.current_snapshot_id WHERE s.balance > 0"
            ),
            2,
        ),
        "share_on_uc": round(on_uc / tenancies_current, 3) if tenancies_current else 0,
        "legal_stages": {
            stage: stages.get(stage, 0) for stage in ("notice", "claim", "order", "warrant")
        },
        "breathing_spaces_active": one(
            f"SELECT count(*) FROM tenancies t JOIN account_snapshots s "
            f"ON s.id = t.current_snapshot_id WHERE {current} "
            f"AND s.breathing_space_start <= :day "
            f"AND (s.breathing_space_end IS NULL OR s.breathing_space_end >= :day)"
        ),
        "markers_active": one(
            "SELECT count(*) FROM warning_markers WHERE start_date <= :day "
            "AND (end_date IS NULL OR end_date >= :day)"
        ),
        "markers_expired": one("SELECT count(*) FROM warning_markers WHERE end_date < :day"),
        "patches": patches,
    }
