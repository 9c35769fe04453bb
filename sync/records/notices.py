"""Whether a possession notice is valid, by tenure and law (England; ../DOMAIN.md).

A notice is checked against the tenancy it was served on, and a claim against the notice
it rests on:

- the notice type fits the tenure (a Notice of Seeking Possession for secure and flexible
  tenancies, a notice of proceedings for introductory ones, a section 8 notice for
  assured and starter ones, a Notice to Quit for non-secure ones; a garage licence takes
  none);
- it names the date it allows proceedings from (or, a Notice to Quit, the date it ends
  the tenancy), and that date is at least the minimum period after service: 4 weeks;
  for a section 8 notice on the arrears grounds, 2 weeks when served before 1 May 2026;
  a Notice to Quit ends at the end of a (weekly) period of the tenancy;
- a claim is issued no earlier than the notice allows, and within the notice's life: 12
  months after the date it names (a Notice of Seeking Possession), 12 months after
  service (section 8), while the tenancy is still introductory, at most 18 months from
  its start (a notice of proceedings).

The import warns of each problem on the row (sync.intake); the tenancy's account shows
the verdict (sync.records.tenancies), and the priority never urges a step resting on a
notice that is not valid (routing.priority, through sync.casework.cases). Pure functions
of plain data, so the rules read as the table in DOMAIN.md and are tested case by case.
"""

from dataclasses import dataclass
from datetime import date, timedelta

# Section 8 periods changed for notices served from this day (Renters' Rights Act 2025).
ASSURED_REFORM = date(2026, 5, 1)
FOUR_WEEKS = timedelta(weeks=4)
TWO_WEEKS = timedelta(weeks=2)


@dataclass(frozen=True)
class NoticeRule:
    """One notice type: the tenures it serves, and how long it lives."""

    what: str
    tenures: tuple[str, ...]
    # Months the notice lives after the date it names (``from_expiry``) or its service.
    lives_months: int | None = None
    from_expiry: bool = True
    # A Notice to Quit ends the tenancy: proceedings follow the day after that date.
    claim_after_expiry: bool = False
    # It must end at the end of a period of the (weekly) tenancy.
    period_end: bool = False


RULES = {
    "nosp": NoticeRule("A Notice of Seeking Possession", ("secure", "flexible"), lives_months=12),
    "notice_of_proceedings": NoticeRule("A notice of proceedings", ("introductory",)),
    "section_8": NoticeRule(
        "A section 8 notice", ("assured", "starter"), lives_months=12, from_expiry=False
    ),
    "notice_to_quit": NoticeRule(
        "A Notice to Quit", ("non_secure",), claim_after_expiry=True, period_end=True
    ),
}
# The longest an introductory period runs (12 months, extended by 6).
INTRODUCTORY_MONTHS = 18

# The rules a notice can break, as the import's warnings and the account name them.
PROBLEMS = {
    "notice-type": "the notice type fits the tenure",
    "notice-expiry-missing": "the notice names the date proceedings may begin from",
    "notice-period": "the notice period is at least the minimum for its type",
    "notice-period-end": "a Notice to Quit ends at the end of a period of the tenancy",
    "claim-too-early": "a claim is issued no earlier than the notice allows",
    "claim-after-lapse": "a claim is issued within the notice's life",
    "notice-lapsed": "a notice not acted on within its life lapses",
}


def import_type(notice_type: str | None, tenure: str | None) -> str | None:
    """The notice type an imported row means. Files from before the introductory
    tenancy's notice of proceedings had its own code sent ``notice_to_quit`` for it, so
    on an introductory tenancy that code still means a notice of proceedings."""
    if notice_type == "notice_to_quit" and tenure == "introductory":
        return "notice_of_proceedings"
    return notice_type


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def minimum_period(notice_type: str, served: date) -> timedelta:
    """The shortest time from service to the date a notice names."""
    if notice_type == "section_8" and served < ASSURED_REFORM:
        return TWO_WEEKS
    return FOUR_WEEKS


def day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _problem(rule: str, field: str, text: str) -> dict:
    return {"rule": rule, "field": field, "text": text}


def problems(tenure: str, tenancy_start, account: dict, today: date) -> list[dict]:
    """Every rule the account's notice (and claim) breaks, on ``today``: each a dict of
    ``rule`` (a key of ``PROBLEMS``), ``field`` (the column at fault) and ``text``."""
    notice_type = account.get("notice_type")
    if not notice_type:
        return []
    served = day(account.get("notice_served_date"))
    expiry = day(account.get("notice_expiry_date"))
    claim = day(account.get("claim_date"))
    rule = RULES[notice_type]
    found = []
    if tenure not in rule.tenures:
        fits = " or ".join(t.replace("_", "-") for t in rule.tenures)
        found.append(
            _problem(
                "notice-type",
                "notice_type",
                f"{rule.what} is for {fits} tenancies, not a {tenure.replace('_', '-')} one.",
            )
        )
    if expiry is None:
        found.append(
            _problem(
                "notice-expiry-missing",
                "notice_expiry_date",
                f"{rule.what} must name the date proceedings may begin from.",
            )
        )
    elif served is not None:
        shortest = minimum_period(notice_type, served)
        if expiry - served < shortest:
            found.append(
                _problem(
                    "notice-period",
                    "notice_expiry_date",
                    f"{rule.what} served on {served} needs at least {shortest.days // 7} "
                    f"weeks' notice; it gave {(expiry - served).days} days.",
                )
            )
        start = day(tenancy_start)
        # Weekly periods run from the tenancy's start: one ends the day before its weekday.
        if rule.period_end and start is not None and (expiry - start).days % 7 != 6:
            found.append(
                _problem(
                    "notice-period-end",
                    "notice_expiry_date",
                    f"{rule.what} must end at the end of a week of the tenancy (a "
                    f"{(start - timedelta(days=1)).strftime('%A')}), not on {expiry}.",
                )
            )
    lapses = _lapses(rule, served, expiry, tenancy_start)
    if claim is not None and expiry is not None:
        earliest = expiry + timedelta(days=1) if rule.claim_after_expiry else expiry
        if claim < earliest:
            found.append(
                _problem(
                    "claim-too-early",
                    "claim_date",
                    f"The claim of {claim} came before the notice allowed ({earliest}).",
                )
            )
    if claim is not None and lapses is not None and claim > lapses:
        found.append(
            _problem(
                "claim-after-lapse",
                "claim_date",
                f"The claim of {claim} came after the notice lapsed ({lapses}).",
            )
        )
    elif claim is None and lapses is not None and today > lapses:
        found.append(
            _problem(
                "notice-lapsed",
                "notice_expiry_date",
                f"The notice lapsed on {lapses}: a claim now needs a new notice.",
            )
        )
    return found


def _lapses(rule: NoticeRule, served, expiry, tenancy_start) -> date | None:
    """The last day a claim may rest on the notice, when the law gives one."""
    if rule.lives_months is not None:
        base = expiry if rule.from_expiry else served
        return add_months(base, rule.lives_months) if base is not None else None
    if "introductory" in rule.tenures and tenancy_start is not None:
        return add_months(day(tenancy_start), INTRODUCTORY_MONTHS)
    return None


def validity(tenure: str, tenancy_start, account: dict, today: date) -> dict | None:
    """The account's notice as the tenancy shows it: ``status`` (``valid``, ``invalid``,
    or ``lapsed`` when its only fault is that its life ran out unused) and ``problems``;
    None when there is no notice."""
    if not account.get("notice_type"):
        return None
    found = problems(tenure, tenancy_start, account, today)
    if not found:
        status = "valid"
    elif all(p["rule"] == "notice-lapsed" for p in found):
        status = "lapsed"
    else:
        status = "invalid"
    return {"status": status, "problems": found}
