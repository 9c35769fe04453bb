"""A third-party fuzzer, schemathesis, run against /openapi.json on a real server.

Beside our own bench.fuzz, schemathesis builds requests from the OpenAPI document as any
client author would, and checks each response against it: never a 5xx, the documented
status codes, content types and response schemas. It runs as two roles (an officer and
the admin), on a small demo landlord served by gunicorn on loopback, with a bounded
number of examples per operation.

    python -m bench.schemathesis                  # 25 examples per operation
    python -m bench.schemathesis --quick          # 5 examples (make test)
    python -m bench.schemathesis --json

Exit 1 if any check failed.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.gunicorn import Gunicorn
from sync import demo
from sync.access.devices import login
from sync.clock import london_today
from sync.store.db import open_database

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
# Operations that could end the run's own session are left out: logging out, rotating
# the token, changing or resetting a password (signs out other devices), disabling a user
# and revoking a device (the run's own, by its id).
EXCLUDE = (
    r"^/(auth/(logout|rotate)|me/password|users/\{user_id\}(/password)?"
    r"|devices/\{device_id\}/revoke)$"
)


def run_as(server: Gunicorn, token: str, examples: int, work: Path, seed: int) -> dict:
    """One schemathesis run with this token; its totals, from the run's JUnit report."""
    report = work / f"junit-{token[:6]}.xml"
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{server.base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--generation-database",
        "none",
        "--generation-with-security-parameters",
        "false",
        "--suppress-health-check",
        "all",
    ]
    command += ["--exclude-path-regex", EXCLUDE]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    out = {"seconds": round(time.monotonic() - started, 1), "exit": done.returncode}
    out |= _totals(report)
    generated = re.search(r"(\d+) generated", done.stdout)
    out["cases"] = int(generated.group(1)) if generated else 0
    out["tail"] = done.stdout.strip().splitlines()[-12:]
    return out


def _totals(report: Path) -> dict:
    import xml.etree.ElementTree as ET

    if not report.exists():
        return {"operations": 0, "failures": 0, "errors": 0}
    suites = ET.parse(report).getroot()
    cases = suites.findall(".//testcase")
    return {
        "operations": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "failed": [_why(c) for c in cases if c.find("failure") is not None],
    }


def _why(case) -> str:
    failure = case.find("failure")
    return f"{case.get('name')}: {(failure.text or failure.get('message') or '')[:3000]}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="5 examples: keeps it from rotting")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.examples = 5
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "doorstep.db"
        db = open_database(path)
        demo.build(db, seed=7, homes_per_patch=60, patches=6, as_of=london_today())
        tokens = {
            user: login(db, user, demo.DEMO_PASSWORD, "schemathesis")["token"]
            for user in ("officer1", "admin")
        }
        db.close()
        server = Gunicorn(path, work / "gunicorn.log", workers=2).start()
        try:
            runs = {
                user: run_as(server, t, args.examples, work, args.seed)
                for user, t in tokens.items()
            }
        finally:
            server.stop()
    result = {
        "examples_per_operation": args.examples,
        "runs": runs,
        "failures": sum(r["failures"] + r["errors"] for r in runs.values()),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for user, run in runs.items():
            print(
                f"{user:10} {run['operations']} operations, {run['cases']} cases, "
                f"{run['failures']} failed, "
                f"{run['errors']} errors, {run['seconds']} s"
            )
            for name in run.get("failed", []):
                print(f"  failed: {name}")
    sys.exit(1 if result["failures"] else 0)


if __name__ == "__main__":
    main()
