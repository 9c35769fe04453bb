"""The lean checks of a push's records (sync.checks): the near misses each rule refuses,
naming the field, and never a 500 for what a JSON client can send."""

from datetime import UTC, datetime

import pytest

from sync.checks import (
    Day,
    Email,
    Integer,
    Invalid,
    Moment,
    Number,
    Phone,
    Record,
    Sha256,
    Text,
)


def problems(check, sent) -> list[str]:
    with pytest.raises(Invalid) as refused:
        Record({"x": check}).load({"x": sent})
    return refused.value.errors["x"]


def test_a_huge_number_is_refused_naming_its_field():
    """json.loads takes an integer of any size; a float cannot hold this one."""
    record = Record({"x": Number(0, 10), "n": Integer(0, 10)})
    with pytest.raises(Invalid) as refused:
        record.load({"x": 10**400, "n": 10**400})
    assert refused.value.errors == {
        "x": ["Must be between 0 and 10."],
        "n": ["Must be between 0 and 10."],
    }
    assert problems(Number(0, 10), float("inf")) == ["Not a valid number."]
    assert problems(Number(0, 10), float("nan")) == ["Not a valid number."]
    assert Record({"x": Number(0, 10)}).load({"x": 7}) == {"x": 7.0}


@pytest.mark.parametrize(
    "check, sent",
    [
        (Sha256(), "0" * 64 + "\n"),
        (Email(), "a@example.org\n"),
        (Day(), "2026-W01-1"),  # ISO 8601's week date: ten characters, not YYYY-MM-DD
        (Day(), "2026-02-30"),
        (Moment(), "\ud800"),
        (Phone(), "call me maybe"),
        (Phone(), "123"),  # too few digits to dial
        (Phone(), "+44 7700 900123 1234"),  # more than E.164's fifteen
        (Phone(), "07700\u00a0900123"),  # a space a tel: link does not take
        (Phone(), "\u0660\u0667\u0667\u0660\u0660 900123"),  # Arabic-Indic digits
    ],
)
def test_near_misses_are_refused(check, sent):
    (problem,) = problems(check, sent)
    assert problem.startswith("Not a")


@pytest.mark.parametrize(
    "sent, problem",
    [
        ("2026-03-01T09:30:00", "Not a valid aware datetime (give the UTC offset)."),
        ("2026-03-01T09:30:00+05:30:15", "Not a valid datetime (give the UTC offset as ±HH:MM)."),
        ("1799-12-31T23:59:59Z", "Not a plausible datetime (years 1800 to 2999)."),
        ("3000-01-01T00:00:00+01:00", "Not a plausible datetime (years 1800 to 2999)."),
        ("0001-01-01T00:00:00+23:59", "Not a plausible datetime (years 1800 to 2999)."),
        ("yesterday", "Not a valid datetime."),
        (1772357400, "Not a valid datetime."),
    ],
)
def test_an_instant_is_refused_saying_why(sent, problem):
    assert problems(Moment(), sent) == [problem]


@pytest.mark.parametrize(
    "sent, moment",
    [
        ("2026-03-01T09:30:00Z", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01T10:30:00.5+01:00", datetime(2026, 3, 1, 9, 30, 0, 500000, tzinfo=UTC)),
        ("1970-01-01T00:00:00+00:00", datetime(1970, 1, 1, tzinfo=UTC)),  # a reset clock
    ],
)
def test_an_instant_is_taken_with_its_offset(sent, moment):
    assert Record({"x": Moment()}).load({"x": sent}) == {"x": moment}


@pytest.mark.parametrize(
    "declare",
    [
        lambda: Text(5, choices=[1, 2]),
        lambda: Text(5, choices=[]),
        lambda: Number(0, float("inf")),
    ],
)
def test_a_rule_that_could_never_be_met_cannot_be_declared(declare):
    """Choices that are not text could never match (a value is text first), nor no
    choices at all; a Number's bounds are finite."""
    with pytest.raises(ValueError):
        declare()


def test_a_phone_number_is_kept_as_typed():
    for typed in ("07700 900123", "+44 (0)7700 900-123", "+48 601 234 567", "01225.776655", ""):
        assert Record({"x": Phone()}).load({"x": typed}) == {"x": typed}


def test_text_never_holds_a_nul():
    """Found by probing: a tenant's phone of "\\u0000" was applied, and went out in events."""
    assert problems(Text(30), "a\x00b") == ["May not hold a NUL character."]
    assert Record({"x": Text(30)}).load({"x": "line\nbreak\ttab"}) == {"x": "line\nbreak\ttab"}
