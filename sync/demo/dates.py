"""Calendar helpers the demo landlord's dates are built from: rent weeks start on Monday,
courts sit on working days, and every row carries dates as ISO strings."""

from datetime import date, timedelta

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def days(n: int) -> timedelta:
    return timedelta(days=n)


def monday_on_or_before(d: date) -> date:
    return d - days(d.weekday())


def working(d: date) -> bool:
    """Not a weekend, Christmas Day, Boxing Day or New Year's Day (courts do not sit)."""
    return d.weekday() < 5 and (d.month, d.day) not in ((12, 25), (12, 26), (1, 1))


def weekday_on_or_after(d: date) -> date:
    while not working(d):
        d += days(1)
    return d


def weekday_on_or_before(d: date) -> date:
    while not working(d):
        d -= days(1)
    return d


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)
