"""Time. Instants are stored as ISO-8601 UTC; days are Europe/London days."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
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


def as_given(moment: datetime) -> str:
    """An aware instant in its own UTC offset, as ``isoformat()`` writes it (microseconds
    only when there are some), by orjson. Offsets are whole minutes (``checks.Moment``
    refuses others): orjson would drop an offset's seconds."""
    try:
        return orjson.dumps(moment).decode()[1:-1]
    except TypeError:  # a datetime subclass, which orjson does not take
        return moment.isoformat()


# An instant as phones and users send it: RFC 3339 (the OpenAPI's ``date-time``: "T" and
# "Z" in either case, a fraction of a second rounded to the microsecond), with its offset
# in hours and minutes (no zone has used seconds since 1972). msgspec parses it.
AWARE = Annotated[datetime, msgspec.Meta(tz=True)]
# The years such an instant may fall in: a phone whose clock was reset (to 1970, say)
# still has its record kept, and no instant is so near the ends of the calendar that the
# day's arithmetic (a visit's window, the time in UTC) runs off it.
FIRST_YEAR, LAST_YEAR = 1800, 2999
_IMPLAUSIBLE = f"Not a plausible datetime (years {FIRST_YEAR} to {LAST_YEAR})."


def instant(value) -> datetime:
    """The aware datetime ``value`` gives (``AWARE``), or ``ValueError`` saying why not."""
    try:
        moment = msgspec.convert(value, AWARE, strict=True)
    except (msgspec.ValidationError, ValueError):  # a lone surrogate: ValueError
        raise ValueError(_not_an_instant(value)) from None
    return plausible(moment)


def plausible(moment: datetime) -> datetime:
    """``moment``, or ``ValueError`` when its year is outside FIRST_YEAR to LAST_YEAR."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(_IMPLAUSIBLE)
    return moment


def _not_an_instant(value) -> str:
    """What is wrong with a datetime that is not RFC 3339, as far as ISO 8601 can tell."""
    try:
        moment = datetime.fromisoformat(value) if len(value) <= 64 else None
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        return "Not a valid datetime."
    offset = moment.utcoffset()
    if offset is None:
        return "Not a valid aware datetime (give the UTC offset)."
    if offset.seconds % 60 or offset.microseconds:
        return "Not a valid datetime (give the UTC offset as ±HH:MM)."
    return "Not a valid datetime (RFC 3339, as 2026-03-01T09:30:00+00:00)."


# A phone's time this far past the server's, when the server received it, is the phone's
# clock running fast, not the officer: recorded times may trail the real event (entered
# back at the depot), never lead it.
CLOCK_AHEAD = timedelta(minutes=5)


def ahead_by(moment: datetime, received: datetime) -> timedelta | None:
    """How far ``moment`` runs ahead of ``received``, when that is more than the
    ``CLOCK_AHEAD`` tolerance; None when it is a time the officer could have seen."""
    ahead = moment - received
    return ahead if ahead > CLOCK_AHEAD else None
