"""Awaab's Law timescales (SI 2025/1042) for repair referrals, in England and Wales
working days.

- The clock starts when the landlord is aware: the observation time on the phone, not
  the sync time; never a time after the server received the referral (a phone's clock
  running fast does not put a deadline off). That day is day 0; working days count
  from the next working day (seen on a Saturday, day 1 is Monday). A deadline of N
  working days ends at midnight at the end of day N, Europe/London.
- Emergency hazards: investigate and make safe within 24 elapsed hours, through nights,
  weekends, bank holidays and clock changes.
- Significant hazards: investigate within 10 working days; then, counted from the day the
  investigation actually ended, a written summary within 3 working days, safety work
  within 5, and other repair work started within 5 and at the latest within 12 weeks.
- Routine repairs have no statutory timescale here.

Bank holidays come from the ``holidays`` package (England, which England and Wales share)
rather than a hand-typed list. Outside the years that calendar knows, ``CalendarUnknown``
is raised: a deadline is never computed from a guess.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays

from sync.clock import LONDON
from sync.errors import DoorstepError

_CALENDAR = holidays.country_holidays("GB", subdiv="ENG")
FIRST_YEAR, LAST_YEAR = _CALENDAR.start_year, _CALENDAR.end_year

# Not yet met and this close, a deadline is "due soon": within 6 hours for the 24-hour
# clock; otherwise due by the end of the next working day.
DUE_SOON_HOURS = timedelta(hours=6)


class CalendarUnknown(DoorstepError):
    code = "calendar-unknown"


def _check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarUnknown(
            f"The bank holiday calendar covers {FIRST_YEAR} to {LAST_YEAR}, not "
            f"{day.year}: no working-day deadline can be computed.",
        )


def is_working_day(day: date) -> bool:
    _check_year(day)
    return day.weekday() < 5 and day not in _CALENDAR


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (day 0)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    _check_year(day)
    return day


def end_of_day(day: date) -> datetime:
    """Midnight at the end of ``day`` in England, as a UTC instant."""
    return datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@dataclass(frozen=True)
class Rule:
    name: str
    what: str  # for a person
    met_by: tuple[str, ...]  # the repair actions that meet it
    hours: int = 0
    working_days: int = 0
    weeks: int = 0
    from_investigation: bool = False

    def due(self, start: datetime) -> datetime:
        if self.hours:
            return (start + timedelta(hours=self.hours)).astimezone(UTC)
        day = london_day(start)
        if self.weeks:
            _check_year(day)
            return end_of_day(day + timedelta(weeks=self.weeks))
        return end_of_day(add_working_days(day, self.working_days))

    def soon(self, due: datetime, now: datetime) -> bool:
        if self.hours:
            return now >= due - DUE_SOON_HOURS
        return end_of_day(add_working_days(london_day(now), 1)) >= due


_AFTER_INVESTIGATION = (
    Rule(
        "summary",
        "Written summary to the tenant",
        ("summary_sent",),
        working_days=3,
        from_investigation=True,
    ),
    Rule(
        "safety_work", "Safety work done", ("made_safe",), working_days=5, from_investigation=True
    ),
    Rule(
        "works_start",
        "Other repair work started within 5 working days",
        ("works_started", "completed"),
        working_days=5,
        from_investigation=True,
    ),
    Rule(
        "works_start_latest",
        "Other repair work started at the latest (12 weeks)",
        ("works_started", "completed"),
        weeks=12,
        from_investigation=True,
    ),
)
RULES = {
    "emergency": (
        Rule("investigate", "Investigated", ("investigated",), hours=24),
        Rule("make_safe", "Made safe", ("made_safe",), hours=24),
    ),
    "significant": (
        Rule("investigate", "Investigated", ("investigated",), working_days=10),
        *_AFTER_INVESTIGATION,
    ),
    "routine": (),
}


def aware_from(observed_at: str, received_at: str | None) -> datetime:
    """When the landlord became aware of a referral: when the officer saw it, by the
    phone's clock, and never later than when the server received it. A phone whose clock
    ran fast would otherwise start the clock in the future (pushes clamp such a time on
    arrival, sync.push; this holds for records stored before that too)."""
    observed = datetime.fromisoformat(observed_at)
    if received_at is None:
        return observed
    return min(observed, datetime.fromisoformat(received_at))


def check_calendar(observed_at: datetime) -> None:
    """``CalendarUnknown`` when deadlines from this moment could not be computed."""
    day = london_day(observed_at)
    _check_year(day)
    _check_year(day + timedelta(weeks=30))


def deadlines(
    hazard_class: str,
    observed_at: datetime,
    done: dict[str, datetime],
    now: datetime,
    *,
    closed: bool = False,
) -> list[dict]:
    """Each statutory deadline with its state: ``met``, ``met_late``, ``overdue``,
    ``due_soon``, ``open``, or ``waiting`` (it starts when the investigation ends).
    ``done``: repair action -> when it happened. A closed (cancelled) repair has no open
    deadlines."""
    out = []
    investigated = done.get("investigated")
    for rule in RULES[hazard_class]:
        start = investigated if rule.from_investigation else observed_at
        entry = {"name": rule.name, "what": rule.what, "due_at": None, "met_at": None}
        if start is None:
            out.append(entry | {"state": "waiting"})
            continue
        due = rule.due(start)
        met = min((done[a] for a in rule.met_by if a in done), default=None)
        if met is not None:
            state = "met" if met <= due else "met_late"
        elif closed:
            state = "closed"
        elif now > due:
            state = "overdue"
        elif rule.soon(due, now):
            state = "due_soon"
        else:
            state = "open"
        out.append(
            entry
            | {
                "due_at": due.isoformat(),
                "met_at": met.astimezone(UTC).isoformat() if met else None,
                "state": state,
            }
        )
    return out
