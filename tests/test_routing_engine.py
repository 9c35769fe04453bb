"""The route engine on public instances, run as the documented command, checked by an
independent checker."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.route_check import check_op, check_optw

pytestmark = pytest.mark.process  # each runs python -m routing.solve

BENCH = Path(__file__).resolve().parents[1] / "bench" / "instances" / "routing"
CASES = [
    ("op", "tsiligirides_1_budget_040.txt"),
    ("op", "tsiligirides_3_budget_050.txt"),
    ("op", "chao_66_budget_060.txt"),
    ("optw", "c101.txt"),
    ("optw", "c104.txt"),
]


def solve(*args: str) -> subprocess.CompletedProcess:
    """``python -m routing.solve`` with ``args``, as its documentation runs it."""
    return subprocess.run(
        [sys.executable, "-m", "routing.solve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def best_known(fmt: str, name: str) -> float:
    column = "best_known_score" if fmt == "op" else "best_prize"
    for line in (BENCH / fmt / "best_known.csv").read_text().splitlines()[1:]:
        cells = line.split(",")
        if cells[0] == name:
            header = (BENCH / fmt / "best_known.csv").read_text().splitlines()[0].split(",")
            return float(cells[header.index(column)])
    raise KeyError(name)


@pytest.mark.parametrize(("fmt", "name"), CASES)
def test_solver_routes_are_feasible_and_score_what_they_claim(fmt, name):
    path = BENCH / fmt / name
    run = solve("--format", fmt, str(path), "--time-limit", "0.5")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    feasible, score, cost = (check_op if fmt == "op" else check_optw)(path, out["route"])
    assert feasible and out["feasible"]
    assert out["score"] == score
    assert out["cost"] == pytest.approx(cost, abs=1e-4)
    assert score >= 0.97 * best_known(fmt, name)


def test_a_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not a number\n")
    run = solve("--format", "op", str(bad))
    assert run.returncode == 2 and "cannot read" in run.stderr
