"""``doorstep``: the operator's command. Every subcommand honours DOORSTEP_DATABASE."""

import argparse
import getpass
import json
import os
import sys
import tarfile
from datetime import date
from pathlib import Path

from server.app import DEFAULT_DATABASE
from sync.store.db import InUse


def _database(args) -> str:
    return args.database or os.environ.get("DOORSTEP_DATABASE") or DEFAULT_DATABASE


def cmd_migrate(args) -> int:
    from sync.store.db import connect, migrate

    db = connect(_database(args))
    applied = migrate(db)
    print(f"applied: {', '.join(applied)}" if applied else "up to date")
    return 0


def cmd_import(args) -> int:
    from sync.errors import ValidationFailed
    from sync.intake.formats import guess_format, guess_kind
    from sync.intake.run import import_file
    from sync.records.patches import coverage_report
    from sync.store.db import open_database

    path = Path(args.file)
    data = path.read_bytes()  # a file not there is said first (cli.main: exit 2)
    kind = args.kind or guess_kind(path.name)
    fmt = args.format or guess_format(path.name)
    if kind is None or fmt is None:
        print(
            "Give --kind and --format: they could not be told from the file name.", file=sys.stderr
        )
        return 2
    db = open_database(_database(args))
    try:
        run = import_file(db, data, kind=kind, fmt=fmt, source=path.name)
    except ValidationFailed as exc:
        print(f"{path}: {exc.detail}", file=sys.stderr)
        return 1
    print(
        f"{path.name}: {run['kind']} read {run['rows_read']}, inserted {run['inserted']}, "
        f"updated {run['updated']}, unchanged {run['unchanged']}, "
        f"rejected {run['rejected']}, warnings {run['warnings']} (run {run['id']})"
    )
    for err in run["errors"]:
        reasons = "; ".join(f"{f}: {' '.join(m)}" for f, m in err["errors"].items())
        print(f"  line {err['line']}: {reasons}")
    # Stored, but against a rule of law: the tenancy shows it, and a person should look.
    for warning in run["warning_lines"]:
        print(
            f"  line {warning['line']}: warning {warning['rule']} ({warning['field']}): "
            f"{warning['message']}"
        )
    if kind == "properties":
        report = coverage_report(db, limit=0)
        if report["outside_count"] or report["overlap_count"]:
            print(
                f"  homes in no patch: {report['outside_count']}, in more than one: "
                f"{report['overlap_count']} (see 'doorstep coverage')"
            )
    return 1 if run["rejected"] else 0


def cmd_demo(args) -> int:
    from sync import demo
    from sync.clock import london_today
    from sync.store.db import alone, open_database

    target = Path(_database(args))
    as_of = date.fromisoformat(args.as_of) if args.as_of else london_today()
    if target.exists() and not args.replace:
        print(f"{target} exists; pass --replace to rebuild it.", file=sys.stderr)
        return 1
    building = target.with_name(target.name + ".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    db = open_database(building)
    demo.build(
        db,
        seed=args.seed,
        homes_per_patch=args.homes_per_patch,
        patches=args.patches,
        as_of=as_of,
        field_work=not args.no_field_work,
    )
    summary = demo.landlord_summary(db, as_of)
    db.close()
    with alone(target):  # not from under a server that has it open (as restore)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        os.replace(building, target)
    for lock in (Path(f"{building}.lock"), Path(f"{building}.open")):  # its lock files
        lock.unlink(missing_ok=True)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary(summary, target, args.patches)
    return 0


def print_summary(s: dict, target: Path, patches: int) -> None:
    from sync.demo import DEMO_PASSWORD, demo_logins

    print(f"Demo landlord built in {target} (as of {s['as_of']})")
    print(
        f"  homes {s['homes']:,}, garages {s['garages']:,}, current tenancies "
        f"{s['tenancies_current']:,}, former tenancies {s['tenancies_former']:,}"
    )
    print(
        f"  in arrears {s['share_in_arrears']:.1%}, total arrears £{s['total_arrears']:,.0f}, "
        f"on Universal Credit {s['share_on_uc']:.1%}"
    )
    stages = ", ".join(f"{k} {v}" for k, v in s["legal_stages"].items())
    print(f"  legal stages: {stages}")
    print(
        f"  Breathing Spaces active {s['breathing_spaces_active']}, markers active "
        f"{s['markers_active']} (expired {s['markers_expired']})"
    )
    for p in s["patches"]:
        print(
            f"  patch {p['patch_id']} {p['name']:<24} {p['officer'] or '-':<10} "
            f"{p['homes']:>6,} homes, rent roll £{p['rent_roll']:,}"
        )
    print(f"Demo logins (demo only; password '{DEMO_PASSWORD}' for all):")
    for username, what in demo_logins(patches):
        print(f"  {username:<14} {what}")


def cmd_create_user(args) -> int:
    from sync.access.passwords import weakness
    from sync.access.users import create_user
    from sync.errors import DoorstepError
    from sync.store.db import open_database

    password = os.environ.get("DOORSTEP_NEW_PASSWORD") or getpass.getpass("Password: ")
    problem = weakness(password)
    if problem:
        print(f"The password is refused: {problem}", file=sys.stderr)
        return 2
    db = open_database(_database(args))
    try:
        user = create_user(
            db,
            username=args.username,
            display_name=args.display_name or args.username,
            role=args.role,
            team_id=args.team_id,
            password=password,
            must_change_password=args.role != "admin",
        )
    except DoorstepError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    print(f"created {user['role']} {user['username']} (id {user['id']})")
    return 0


def cmd_coverage(args) -> int:
    from sync.records.patches import coverage_report
    from sync.store.db import open_database

    report = coverage_report(open_database(_database(args)))
    print(
        f"{report['homes']:,} homes: {report['outside_count']} in no patch, "
        f"{report['overlap_count']} in more than one"
    )
    for home in report["outside"]:
        print(f"  outside  {home['uprn']} {home['address_line_1']}, {home['postcode']}")
    for home in report["overlapping"]:
        print(
            f"  overlap  {home['uprn']} {home['address_line_1']}, {home['postcode']} "
            f"patches {home['patch_ids']}"
        )
    return 0


def _blob_dir(args) -> Path:
    from sync.records.blobs import default_root

    return Path(os.environ.get("DOORSTEP_BLOB_DIR") or default_root(_database(args)))


def cmd_backup(args) -> int:
    from sync.store.backup import backup

    made = backup(Path(_database(args)), _blob_dir(args), Path(args.file))
    print(
        f"backed up {_database(args)} and {made['photos']} photo(s) to {made['file']} "
        f"({made['bytes'] / 1e6:.1f} MB, sync epoch {made['epoch']}, seq {made['seq']})"
    )
    return 0


def cmd_restore(args) -> int:
    from sync.store.backup import restore

    try:
        done = restore(Path(args.file), Path(_database(args)), _blob_dir(args))
    except (OSError, ValueError, tarfile.TarError) as exc:  # not a tar, or cut short
        print(f"cannot restore {args.file}: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored the backup made {done['restored_from']['made_at']} to {_database(args)} "
        f"({done['photos_restored']} photo(s) put back); sync epoch is now {done['epoch']}: "
        "phones will upload everything they hold, then re-bootstrap"
    )
    return 0


def cmd_purge(args) -> int:
    from sync.retention import Periods, purge
    from sync.store.db import open_database

    periods = Periods.from_env(os.environ)
    counts = purge(open_database(_database(args)), periods, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"retention: snapshots {periods.snapshot_days} d, audit {periods.audit_days} d, "
        f"closed records {periods.closed_days} d, delivered events {periods.outbox_days} d"
    )
    for kind, count in counts.items():
        print(f"  {verb} {count:>7,} {kind}")
    return 0


def cmd_new_epoch(args) -> int:
    from sync.store import changes
    from sync.store.db import open_database

    epoch = changes.new_epoch(open_database(_database(args)))
    print(f"sync epoch is now {epoch}: phones will upload everything, then re-bootstrap")
    return 0


def cmd_deliver(args) -> int:
    import time

    import sync.kinds  # noqa: F401 (the registry: how events stored without a body are read)
    from sync.protocol import outbox
    from sync.store.db import open_database

    try:
        targets = outbox.targets_from_env(os.environ)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not targets:
        print(
            "No webhook targets: set DOORSTEP_REPAIRS_WEBHOOK_URL and/or "
            "DOORSTEP_HMS_WEBHOOK_URL (the feed, GET /feed, needs none).",
            file=sys.stderr,
        )
        return 2
    db = open_database(_database(args))
    while True:
        counts = outbox.deliver_due(db, targets)
        if any(counts.values()):
            print(json.dumps(counts), flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)


def build_parser() -> argparse.ArgumentParser:
    from sync import codes
    from sync.intake.formats import FORMATS
    from sync.intake.kinds import KINDS

    parser = argparse.ArgumentParser(prog="doorstep", description=__doc__)
    parser.add_argument(
        "--database", help=f"SQLite file (default: $DOORSTEP_DATABASE or {DEFAULT_DATABASE})"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply pending schema migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("import", help="import a nightly file from the housing system")
    p.add_argument("file")
    p.add_argument("--kind", choices=list(KINDS), help="default: from the file name")
    p.add_argument("--format", choices=list(FORMATS), help="default: from the extension")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="build the demo landlord (demo only: password 'demo')")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--homes-per-patch", type=int, default=1800)
    p.add_argument("--patches", type=int, default=6)
    p.add_argument("--as-of", help="the demo's 'today' (default: today in England)")
    p.add_argument("--replace", action="store_true", help="rebuild an existing database")
    p.add_argument(
        "--no-field-work",
        action="store_true",
        help="leave out the week of visits, repairs and check-ins phones recorded",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("create-user", help="create a user (the first admin, say)")
    p.add_argument("username")
    p.add_argument("--role", choices=list(codes.ROLES), required=True)
    p.add_argument("--team-id", type=int)
    p.add_argument("--display-name")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("coverage", help="report homes in no patch or in several")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("deliver", help="send field work to the configured webhooks, retrying")
    p.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("backup", help="back up the database and photos while serving")
    p.add_argument("file", help="the archive to write (a tar file)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup (stop the server first)")
    p.add_argument("file", help="an archive made by doorstep backup")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("purge", help="delete what is past its retention period (UK GDPR)")
    p.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("new-epoch", help="after restoring a backup: make every phone reset")
    p.set_defaults(func=cmd_new_epoch)
    return parser


# A file named on the command line that cannot be read or written: a usage error (2),
# said in one line, not a traceback.
_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _FILE_ERRORS as exc:
        print(f"doorstep: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2
    except InUse as exc:  # a restore or a rebuilt demo, while Doorstep serves the database
        print(f"doorstep: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
