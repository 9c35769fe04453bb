"""An explainable priority and recommended action for a tenancy.

``assess(case, rules, today)`` works on plain data (a ``case`` dict, built from the
database by sync.casework.cases) and returns the score, the action (``visit``, ``call``,
``letter``, ``hold`` or ``none``) and the reasons, each with its points, in words an
officer understands. The weights and thresholds live in a versioned rules file
(``routing/rules/priority-v1.json``).

Rules beyond the weights:

- A case whose doorstep arrangement is being kept needs nothing (``none``), unless a
  legal date or a support need calls for contact.
- **Breathing Space** freezes the moratorium debt (the arrears owed at its start) and
  suppresses every enforcement reason (breaches, broken promises, legal dates, Universal
  Credit requests, and the arrears themselves); the priority never recommends an
  enforcement step during one. Ongoing rent (fallen due since the start) is still owed:
  the arrears, their rise, silence and failed visits are counted again on the **ongoing
  arrears** only, as ``ongoing-rent`` reasons (``ongoing-arrears`` ...), so new arrears
  are not hidden with the frozen debt. A support visit for a vulnerable tenant or
  a new tenancy stays possible. ``moratorium`` says what may and may not be asked.
- A hearing soon always needs a visit, with an up-to-date rent statement before it.
- **A notice that is not valid** (the wrong type for the tenure, too short, no date,
  lapsed; a claim before it allowed or after it lapsed: sync.records.notices) supports
  no step: the reasons that rest on it (the notice expiring, the hearing of a claim made
  on it) are suppressed, and a ``notice-invalid`` reason says why, so the legal team
  looks at it before anyone acts on it.
"""

import json
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path

# What assess() recommends, from most to least contact.
ACTIONS = ("visit", "call", "letter", "hold", "none")

RULES_DIR = Path(__file__).with_name("rules")
DEFAULT_RULES = "priority-v1"
ENFORCEMENT = "enforcement"
SUPPORT = "support"
LEGAL = "legal"
ONGOING = "ongoing-rent"
# During a Breathing Space these count the ongoing arrears (rent fallen due since it
# began), which the landlord may still ask for; the moratorium debt is frozen.
ON_ONGOING = ("arrears", "rising", "no-contact", "failed-visits")
# The reasons that urge a step resting on the notice (and the claim made on it).
RESTS_ON_NOTICE = ("notice-expiring", "hearing-soon")
# What a reason's check finds: its points and its words, or None.
Found = tuple[float, str] | None


@cache
def load_rules(name: str = DEFAULT_RULES) -> dict:
    return json.loads((RULES_DIR / f"{name}.json").read_text())


def _days(later: str | None, earlier: date) -> int | None:
    return (date.fromisoformat(later[:10]) - earlier).days if later else None


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def _balance(case: dict) -> float:
    return case.get("balance") or 0.0


def _arrears(case: dict, rules: dict, today: date) -> Found:
    """Rent owed for long enough: points for the weeks and for the pounds, each capped."""
    balance, weeks = _balance(case), case.get("arrears_weeks") or 0.0
    a = rules["arrears"]
    if balance > 0 and weeks >= a["min_weeks"]:
        points = min(a["max_points"], weeks * a["points_per_week"])
        points += min(a["max_pound_points"], balance / 100 * a["points_per_100_pounds"])
        return points, f"{weeks:.1f} weeks of rent owed ({_money(balance)})"
    return None


def _rising(case: dict, rules: dict, today: date) -> Found:
    balance, previous = _balance(case), case.get("previous_balance")
    if previous is not None and balance > 0 and balance > previous + 0.005:
        text = f"Arrears up {_money(balance - previous)} since the last statement"
        return rules["rising_since_last_snapshot"], text
    return None


def _breached_arrangement(case: dict, rules: dict, today: date) -> Found:
    if case.get("arrangement") == "breached":
        return rules["breached_arrangement"], "The repayment arrangement has been broken"
    return None


def _broken_promise(case: dict, rules: dict, today: date) -> Found:
    if case.get("broken_promise"):
        return rules["broken_promise"], "A promise to pay was not kept"
    return None


def _promise_passed(case: dict, rules: dict, today: date) -> Found:
    """A promised payment fell due in the last few days (and is not known to be paid)."""
    due = _days(case.get("promise_due"), today)
    just = rules["promise_just_passed"]
    if due is not None and -just["days"] <= due < 0:
        plural = "s" if due < -1 else ""
        return just["points"], f"A promised payment was due {-due} day{plural} ago"
    return None


def _hearing_soon(case: dict, rules: dict, today: date) -> Found:
    hearing = _days(case.get("hearing_date"), today)
    soon = rules["hearing_soon"]
    if hearing is not None and 0 <= hearing <= soon["days"]:
        text = (
            f"Court hearing in {hearing} days: visit, and send an up-to-date rent statement "
            "before it"
        )
        return soon["points"], text
    return None


def _notice_expiring(case: dict, rules: dict, today: date) -> Found:
    expiry = _days(case.get("notice_expiry_date"), today)
    expiring = rules["notice_expiring"]
    if expiry is not None and 0 <= expiry <= expiring["days"]:
        return expiring["points"], f"The notice expires in {expiry} days"
    return None


def _no_contact(case: dict, rules: dict, today: date) -> Found:
    """Arrears and no contact for a while: more points for every week of silence (a case
    never contacted counts as 90 days silent)."""
    since = (
        _days(today.isoformat(), date.fromisoformat(case["last_contact"][:10]))
        if case.get("last_contact")
        else None
    )
    nc = rules["no_contact"]
    if _balance(case) > 0 and (since is None or since > nc["after_days"]):
        weeks_silent = ((since or 90) - nc["after_days"]) / 7
        points = min(nc["max_points"], max(1.0, weeks_silent * nc["points_per_week"]))
        text = f"No contact for {since} days" if since is not None else "No contact on record"
        return points, text
    return None


def _failed_visits(case: dict, rules: dict, today: date) -> Found:
    failed = case.get("failed_visits") or 0
    if failed and _balance(case) > 0:
        fv = rules["failed_visits"]
        text = (
            f"{failed} visit{'s' if failed > 1 else ''} without contact since the last one: "
            "try another time of day"
        )
        return min(fv["max_points"], failed * fv["points_each"]), text
    return None


def _uc_managed_payment(case: dict, rules: dict, today: date) -> Found:
    """Universal Credit paid to the tenant while the arrears reach a few months' rent: the
    landlord may ask for the housing costs to be paid to it."""
    balance, rent = _balance(case), case.get("weekly_rent") or 0.0
    uc = rules["uc_managed_payment"]
    monthly = rent * 52 / 12
    claims = case.get("benefit") == "universal_credit" and not case.get("uc_managed_payment")
    if claims and monthly > 0 and balance >= uc["months_of_rent"] * monthly:
        text = (
            f"Arrears of {balance / monthly:.1f} months' rent: ask Universal Credit for a "
            "managed payment"
        )
        return uc["points"], text
    return None


def _notice_invalid(case: dict, rules: dict, today: date) -> Found:
    """A notice that is not valid: no points, but an officer must know before acting."""
    status = case.get("notice_status")
    if status in ("invalid", "lapsed"):
        why = (case.get("notice_problem") or f"the notice is {status}").rstrip(".")
        return 0.0, f"The notice is {status} ({why}): no step may rest on it; ask legal"
    return None


def _support(case: dict, rules: dict, today: date) -> Found:
    if case.get("vulnerable"):
        return rules["vulnerability_support"], "A vulnerable household: a support visit"
    return None


def _new_tenancy(case: dict, rules: dict, today: date) -> Found:
    started = (
        _days(today.isoformat(), date.fromisoformat(case["tenancy_start"]))
        if case.get("tenancy_start")
        else None
    )
    nt = rules["new_tenancy"]
    if started is not None and 0 <= started <= nt["weeks"] * 7:
        return nt["points"], f"A new tenancy ({started // 7} weeks in): settle-in visit"
    return None


# Every reason, in the order an officer reads them: its code, its kind, and its check
# (the points and the words for a case, or None when the reason does not apply).
REASONS: tuple[tuple[str, str, Callable[[dict, dict, date], Found]], ...] = (
    ("arrears", ENFORCEMENT, _arrears),
    ("rising", ENFORCEMENT, _rising),
    ("breached-arrangement", ENFORCEMENT, _breached_arrangement),
    ("broken-promise", ENFORCEMENT, _broken_promise),
    ("promise-passed", ENFORCEMENT, _promise_passed),
    ("hearing-soon", ENFORCEMENT, _hearing_soon),
    ("notice-expiring", ENFORCEMENT, _notice_expiring),
    ("no-contact", ENFORCEMENT, _no_contact),
    ("failed-visits", ENFORCEMENT, _failed_visits),
    ("uc-managed-payment", ENFORCEMENT, _uc_managed_payment),
    ("notice-invalid", LEGAL, _notice_invalid),
    ("support", SUPPORT, _support),
    ("new-tenancy", SUPPORT, _new_tenancy),
)


def assess(case: dict, rules: dict, today: date) -> dict:
    """``case`` keys: balance, arrears_weeks, weekly_rent, previous_balance, benefit,
    uc_managed_payment, hearing_date, notice_expiry_date, notice_status (``valid``,
    ``invalid``, ``lapsed`` or None) and notice_problem (words), breathing_space_end (or
    breathing_space_start with no end), arrangement (status of the live doorstep or
    housing-system arrangement: live / breached / None), arrangement_kept (bool),
    broken_promise (bool), promise_due (date text of a pending promise), last_contact
    (date text), failed_visits (since then), vulnerable (bool), tenancy_start."""
    breathing = _in_breathing_space(case, today)
    moratorium = _moratorium(case) if breathing else None
    reasons: list[dict] = []
    for code, kind, check in REASONS:
        found = check(case, rules, today)
        if found is not None:
            points, text = found
            reasons.append({"code": code, "kind": kind, "points": round(points, 1), "text": text})
    if breathing:  # the enforcement reasons are suppressed below; ongoing rent still counts
        ongoing = _ongoing_view(case, moratorium)
        for code, _, check in REASONS:
            found = check(ongoing, rules, today) if code in ON_ONGOING else None
            if found is not None:
                points, text = found
                reasons.append(
                    {
                        "code": f"ongoing-{code}",
                        "kind": ONGOING,
                        "points": round(points, 1),
                        "text": f"Ongoing rent since the Breathing Space began: {text}",
                    }
                )
    balance = _balance(case)
    if case.get("notice_status") in ("invalid", "lapsed"):
        for reason in reasons:
            if reason["code"] in RESTS_ON_NOTICE:
                reason["suppressed"] = f"The notice is {case['notice_status']}"
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
        "moratorium": moratorium,
        "reasons": reasons,
        "rules_version": rules["version"],
    }


def _moratorium(case: dict) -> dict:
    """The Breathing Space in force: the moratorium debt still owed (frozen; unknown, the
    whole balance), the ongoing arrears, and what an officer may and may not do."""
    owed = max(_balance(case), 0.0)
    debt = case.get("moratorium_debt")
    frozen = owed if debt is None else min(max(debt, 0.0), owed)
    ongoing = round(owed - frozen, 2)
    end = case.get("breathing_space_end")
    span = f"{case['breathing_space_start'][:10]} to {end[:10]}" if end else "open-ended"
    kind = (case.get("breathing_space_type") or "").replace("_", " ")
    text = (
        f"Breathing Space ({kind or 'in force'}, {span}): a support and welfare visit. Do not "
        f"ask for the moratorium debt of {_money(frozen)}, nor seek a promise or an "
        "arrangement for it, nor take any enforcement step"
    )
    text += f"; ongoing rent of {_money(ongoing)} may be asked for." if ongoing else "."
    return {
        "type": case.get("breathing_space_type"),
        "start_date": case["breathing_space_start"][:10],
        "end_date": end[:10] if end else None,
        "moratorium_debt": round(frozen, 2),
        "ongoing_arrears": ongoing,
        "text": text,
    }


def _ongoing_view(case: dict, moratorium: dict) -> dict:
    """The case as the ongoing rent alone makes it: the arrears since the start, in pounds
    and weeks, and the ongoing part of the previous balance."""
    ongoing, debt = moratorium["ongoing_arrears"], case.get("moratorium_debt")
    rent = case.get("weekly_rent") or 0.0
    previous = case.get("previous_balance")
    if previous is not None:
        previous = 0.0 if debt is None else max(previous - max(debt, 0.0), 0.0)
    return case | {
        "balance": ongoing,
        "arrears_weeks": round(ongoing / rent, 2) if rent > 0 else 0.0,
        "previous_balance": previous,
    }


def _in_breathing_space(case: dict, today: date) -> bool:
    start = case.get("breathing_space_start")
    if not start or date.fromisoformat(start[:10]) > today:
        return False
    end = case.get("breathing_space_end")
    return end is None or date.fromisoformat(end[:10]) >= today
