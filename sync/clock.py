"""Time. Instants are stored as ISO-8601 UTC; days are Europe/London days."""

from datetime import UTC, date, datetime
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
