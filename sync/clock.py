"""Time. Instants are stored as ISO-8601 UTC; days are Europe/London days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson

LONDON = ZoneInfo("Europe/London")


def utc_now() -> str:
    """The current instant as ISO-8601 UTC with its offset, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def london_today() -> date:
    """Today's date in England, whatever the server's own time zone."""
    return datetime.now(LONDON).date()


def iso(moment: datetime) -> str:
    """An instant as stored: ISO-8601 UTC to the microsecond, so stored instants sort as
    text (``isoformat(timespec="microseconds")`` of it in UTC, written by orjson, which
    takes a third of the time: a push writes several a record)."""
    utc = moment.astimezone(UTC)
    try:
        text = orjson.dumps(utc).decode()
    except TypeError:  # a datetime subclass, which orjson does not take
        return utc.isoformat(timespec="microseconds")
    return text[1:-1] if utc.microsecond else f"{text[1:-7]}.000000+00:00"


def as_given(moment: datetime | None) -> str | None:
    """An aware instant in its own UTC offset, as ``isoformat()`` writes it (microseconds
    only when there are some), by orjson; None for None (a time not given). Offsets are
    whole minutes (``checks.Moment`` refuses others): orjson would drop an offset's
    seconds."""
    if moment is None:
        return None
    try:
        return orjson.dumps(moment).decode()[1:-1]
    except TypeError:  # a datetime subclass, which orjson does not take
        return moment.isoformat()


# The years an instant a phone or a user sends may fall in: a phone whose clock was reset
# (to 1970, say) still has its record kept, and no instant is so near the ends of the
# calendar that the day's arithmetic (a visit's window, the time in UTC) runs off it.
FIRST_YEAR, LAST_YEAR = 1800, 2999


def instant(value) -> datetime:
    """The aware datetime ISO 8601 text gives, or ``ValueError`` saying why not. Its UTC
    offset is hours and minutes, as RFC 3339 has it (no zone has used seconds since 1972),
    and its year FIRST_YEAR to LAST_YEAR."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("Not a valid datetime.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("Not a valid datetime.") from None
    if moment.tzinfo is not UTC:  # "Z" or +00:00 give fromisoformat's UTC itself
        offset = moment.utcoffset()
        if offset is None:
            raise ValueError("Not a valid aware datetime (give the UTC offset).")
        if offset.seconds % 60 or offset.microseconds:
            raise ValueError("Not a valid datetime (give the UTC offset as ±HH:MM).")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"Not a plausible datetime (years {FIRST_YEAR} to {LAST_YEAR}).")
    return moment


# A phone's time this far past the server's, when the server received it, is the phone's
# clock running fast, not the officer: recorded times may trail the real event (entered
# back at the depot), never lead it.
CLOCK_AHEAD = timedelta(minutes=5)


# And this far before it, the phone's clock was reset (to 1970, to the day it was made):
# no phone holds a year of unsent work (its sign-in lasts 30 days).
CLOCK_BEHIND = timedelta(days=366)


def ahead_by(moment: datetime, received: datetime) -> timedelta | None:
    """How far ``moment`` runs ahead of ``received``, when that is more than the
    ``CLOCK_AHEAD`` tolerance; None when it is a time the officer could have seen."""
    ahead = moment - received
    return ahead if ahead > CLOCK_AHEAD else None


def clock_wrong(moment: datetime, received: datetime) -> str | None:
    """``clock-ahead`` or ``clock-behind`` when ``moment``, a time a phone recorded, is
    its clock's and not the officer's: past ``received`` by more than ``CLOCK_AHEAD``, or
    before it by more than ``CLOCK_BEHIND``; None when the officer could have seen it."""
    if ahead_by(moment, received) is not None:
        return "clock-ahead"
    return "clock-behind" if received - moment > CLOCK_BEHIND else None
