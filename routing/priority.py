"""An explainable priority and recommended action for a tenancy.

``assess(case, rules, today)`` works on plain data (a ``case`` dict, built from the
database by sync.cases) and returns the score, the action (``visit``, ``call``,
``letter``, ``hold`` or ``none``) and the reasons, each with its points, in words an
officer understands. The weights and thresholds live in a versioned rules file
(``routing/rules/priority-v1.json``).

Rules beyond the weights:

- A case whose doorstep arrangement is being kept needs nothing (``none``), unless a
  legal date or a support need calls for contact.
- **Breathing Space** suppresses every enforcement reason (arrears, breaches, broken
  promises, legal dates, Universal Credit requests, chasing contact); a support visit for
  a vulnerable tenant or a new tenancy stays possible.
- A hearing soon always needs a visit, with an up-to-date rent statement before it.
"""

import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

# What assess() recommends, from most to least contact.
ACTIONS = ("visit", "call", "letter", "hold", "none")

RULES_DIR = Path(__file__).with_name("rules")
DEFAULT_RULES = "priority-v1"
ENFORCEMENT = "enforcement"
SUPPORT = "support"


@cache
def load_rules(name: str = DEFAULT_RULES) -> dict:
    return json.loads((RULES_DIR / f"{name}.json").read_text())


def _days(later: str | None, earlier: date) -> int | None:
    return (date.fromisoformat(later[:10]) - earlier).days if later else None


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def assess(case: dict, rules: dict, today: date) -> dict:
    """``case`` keys: balance, arrears_weeks, weekly_rent, previous_balance, benefit,
    uc_managed_payment, hearing_date, notice_expiry_date, breathing_space_end (or
    breathing_space_start with no end), arrangement (status of the live doorstep or
    housing-system arrangement: live / breached / None), arrangement_kept (bool),
    broken_promise (bool), promise_due (date text of a pending promise), last_contact
    (date text), failed_visits (since then), vulnerable (bool), tenancy_start."""
    reasons: list[dict] = []

    def add(code: str, kind: str, points: float, text: str) -> None:
        reasons.append({"code": code, "kind": kind, "points": round(points, 1), "text": text})

    balance = case.get("balance") or 0.0
    weeks = case.get("arrears_weeks") or 0.0
    a = rules["arrears"]
    if balance > 0 and weeks >= a["min_weeks"]:
        points = min(a["max_points"], weeks * a["points_per_week"])
        points += min(a["max_pound_points"], balance / 100 * a["points_per_100_pounds"])
        add("arrears", ENFORCEMENT, points, f"{weeks:.1f} weeks of rent owed ({_money(balance)})")
    previous = case.get("previous_balance")
    if previous is not None and balance > 0 and balance > previous + 0.005:
        add("rising", ENFORCEMENT, rules["rising_since_last_snapshot"],
            f"Arrears up {_money(balance - previous)} since the last statement")  # fmt: skip
    if case.get("arrangement") == "breached":
        add("breached-arrangement", ENFORCEMENT, rules["breached_arrangement"],
            "The repayment arrangement has been broken")  # fmt: skip
    if case.get("broken_promise"):
        add("broken-promise", ENFORCEMENT, rules["broken_promise"],
            "A promise to pay was not kept")  # fmt: skip
    due = _days(case.get("promise_due"), today)
    if due is not None and -rules["promise_just_passed"]["days"] <= due < 0:
        add("promise-passed", ENFORCEMENT, rules["promise_just_passed"]["points"],
            f"A promised payment was due {-due} day{'s' if due < -1 else ''} ago")  # fmt: skip
    hearing = _days(case.get("hearing_date"), today)
    if hearing is not None and 0 <= hearing <= rules["hearing_soon"]["days"]:
        add("hearing-soon", ENFORCEMENT, rules["hearing_soon"]["points"],
            f"Court hearing in {hearing} days: visit, and send an up-to-date rent statement "
            "before it")  # fmt: skip
    expiry = _days(case.get("notice_expiry_date"), today)
    if expiry is not None and 0 <= expiry <= rules["notice_expiring"]["days"]:
        add("notice-expiring", ENFORCEMENT, rules["notice_expiring"]["points"],
            f"The notice expires in {expiry} days")  # fmt: skip
    since = (
        _days(today.isoformat(), date.fromisoformat(case["last_contact"][:10]))
        if case.get("last_contact")
        else None
    )
    nc = rules["no_contact"]
    if balance > 0 and (since is None or since > nc["after_days"]):
        weeks_silent = ((since or 90) - nc["after_days"]) / 7
        points = min(nc["max_points"], max(1.0, weeks_silent * nc["points_per_week"]))
        text = (f"No contact for {since} days" if since is not None
                else "No contact on record")  # fmt: skip
        add("no-contact", ENFORCEMENT, points, text)
    failed = case.get("failed_visits") or 0
    if failed and balance > 0:
        fv = rules["failed_visits"]
        add("failed-visits", ENFORCEMENT, min(fv["max_points"], failed * fv["points_each"]),
            f"{failed} visit{'s' if failed > 1 else ''} without contact since the last one: "
            "try another time of day")  # fmt: skip
    rent = case.get("weekly_rent") or 0.0
    uc = rules["uc_managed_payment"]
    monthly = rent * 52 / 12
    if (case.get("benefit") == "universal_credit" and not case.get("uc_managed_payment")
            and monthly > 0 and balance >= uc["months_of_rent"] * monthly):  # fmt: skip
        add("uc-managed-payment", ENFORCEMENT, uc["points"],
            f"Arrears of {balance / monthly:.1f} months' rent: ask Universal Credit for a "
            "managed payment")  # fmt: skip
    if case.get("vulnerable"):
        add("support", SUPPORT, rules["vulnerability_support"],
            "A vulnerable household: a support visit")  # fmt: skip
    started = (
        _days(today.isoformat(), date.fromisoformat(case["tenancy_start"]))
        if case.get("tenancy_start")
        else None
    )
    nt = rules["new_tenancy"]
    if started is not None and 0 <= started <= nt["weeks"] * 7:
        add("new-tenancy", SUPPORT, nt["points"],
            f"A new tenancy ({started // 7} weeks in): settle-in visit")  # fmt: skip

    breathing = _in_breathing_space(case, today)
    if breathing:
        for reason in reasons:
            if reason["kind"] == ENFORCEMENT:
                reason["suppressed"] = "Breathing Space: no enforcement"
    kept = case.get("arrangement_kept") and not any(
        r["code"] in ("hearing-soon", "notice-expiring") or r["kind"] == SUPPORT for r in reasons
    )
    if kept:
        for reason in reasons:
            reason.setdefault("suppressed", "The arrangement is being kept")
    score = round(sum(r["points"] for r in reasons if "suppressed" not in r), 1)
    thresholds = rules["actions"]
    active = {r["code"] for r in reasons if "suppressed" not in r}
    if "hearing-soon" in active or score >= thresholds["visit"]:
        action = "visit"
    elif kept or not reasons:
        action = "none"
    elif score >= thresholds["call"]:
        action = "call"
    elif score >= thresholds["letter"]:
        action = "letter"
    elif breathing or balance > 0:
        action = "hold"
    else:
        action = "none"
    if breathing and active and action in ("call", "letter"):
        action = (
            "visit" if SUPPORT in {r["kind"] for r in reasons if r["code"] in active} else action
        )
    return {
        "score": score,
        "action": action,
        "breathing_space": breathing,
        "reasons": reasons,
        "rules_version": rules["version"],
    }


def _in_breathing_space(case: dict, today: date) -> bool:
    start = case.get("breathing_space_start")
    if not start or date.fromisoformat(start[:10]) > today:
        return False
    end = case.get("breathing_space_end")
    return end is None or date.fromisoformat(end[:10]) >= today - timedelta(days=0)
