"""Time. Instants are stored as ISO-8601 UTC; days are Europe/London days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utc_now() -> str:
    """The current instant as ISO-8601 UTC with its offset, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def london_today() -> date:
    """Today's date in England, whatever the server's own time zone."""
    return datetime.now(LONDON).date()


def iso(moment: datetime) -> str:
    """An instant as stored: ISO-8601 UTC to the microsecond, so stored instants sort as
    text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# A phone's time this far past the server's, when the server received it, is the phone's
# clock running fast, not the officer: recorded times may trail the real event (entered
# back at the depot), never lead it.
CLOCK_AHEAD = timedelta(minutes=5)


def ahead_by(moment: datetime, received: datetime) -> timedelta | None:
    """How far ``moment`` runs ahead of ``received``, when that is more than the
    ``CLOCK_AHEAD`` tolerance; None when it is a time the officer could have seen."""
    ahead = moment - received
    return ahead if ahead > CLOCK_AHEAD else None
