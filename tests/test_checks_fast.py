"""A record's checks have two paths: msgspec checks the whole record as one type, and
what it refuses is checked again field by field, in Python, to say what is wrong where.
Both must reach the same answer for every input: the same clean record, or the same
problems. Hypothesis sends every record the app checks values near each rule's edges."""

import gc
import importlib
import pkgutil
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import server
import sync
from sync import push
from sync.checks import (
    Boolean,
    Day,
    Email,
    Integer,
    Invalid,
    Many,
    Moment,
    Nested,
    Number,
    Record,
    Sha256,
    Text,
    Uuid,
)

for _package in (sync, server):  # every module that may declare a record, imported
    for _module in pkgutil.walk_packages(_package.__path__, f"{_package.__name__}."):
        if not _module.name.endswith("__main__"):
            importlib.import_module(_module.name)
RECORDS = sorted(
    (o for o in gc.get_objects() if isinstance(o, Record) and type(o) is Record),
    key=lambda r: sorted(r.fields),
)

ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(string.ascii_lowercase, max_size=3), st.integers(), max_size=2),
)


@st.composite
def moments(draw, rfc_3339: bool = True) -> str:
    """Instants as phones write them (RFC 3339, in its every form) or, with ``rfc_3339``
    false, as careless clients do: without seconds or offset, ISO 8601's basic form, or an
    offset in seconds."""
    moment = draw(st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)))
    text = moment.replace(microsecond=0).isoformat()
    text += draw(st.sampled_from(["", ".5", ".123", ".123456", ".1234567", ".9999995"]))
    zone = timezone(timedelta(minutes=draw(st.sampled_from([0, 60, -300, 330, 1439]))))
    zone = draw(st.sampled_from([zone.tzname(None)[3:] or "+00:00", "Z", "z"]))
    text = draw(st.sampled_from([text, text.replace("T", "t"), text.replace("T", " ")]))
    if not rfc_3339:
        return draw(
            st.sampled_from(
                [
                    text[:16] + zone,
                    text,
                    text.replace("-", "").replace(":", "") + zone,
                    text + "+00:00:15",
                    text + "-00:00:01",
                ]
            )
        )
    return text + zone


def good(check):
    """Values a field's rule takes (mostly): a record passes only when all its fields do."""
    if isinstance(check, Text) and check.choices:
        return st.sampled_from(check.choices)
    if isinstance(check, Sha256):
        return st.text("0123456789abcdef", min_size=64, max_size=64)
    if isinstance(check, Email):
        return st.emails()
    if isinstance(check, Text):
        return st.text(min_size=check.min_len, max_size=min(check.max_len, 20))
    if isinstance(check, Number):
        return st.one_of(
            st.floats(check.lo, check.hi),
            st.integers(int(check.lo), int(check.hi)),
            st.decimals(0, 100, places=2).map(float),  # pence
        )
    if isinstance(check, Integer):
        return st.integers(check.lo, check.hi)
    if isinstance(check, Boolean):
        return st.booleans()
    if isinstance(check, Moment):
        return moments()
    if isinstance(check, Day):
        return st.dates().map(lambda d: d.isoformat())
    if isinstance(check, Uuid):
        return st.uuids().map(str)
    if isinstance(check, Many):
        return st.lists(good(check.item), max_size=check.max_items)
    if isinstance(check, Nested):
        return data_for(check.record)
    return st.dictionaries(st.text(string.ascii_lowercase, max_size=3), st.integers(), max_size=2)


def near(check):
    """Values near the edges of a field's rule, and anything JSON."""
    out = [ANY]
    if isinstance(check, Text) and check.choices:
        out.append(st.just(check.choices[0].upper()))
    elif isinstance(check, Sha256):
        out.append(st.text("0123456789abcdefA", min_size=63, max_size=65))
    elif isinstance(check, Text):
        edges = [max(check.min_len - 1, 0), check.max_len, check.max_len + 1]
        out.append(st.sampled_from(edges).flatmap(lambda n: st.text(min_size=n, max_size=n)))
    if isinstance(check, Number):
        out.append(st.sampled_from([check.lo - 1, check.hi + 1, 0.015, 1e-9, True]))
    elif isinstance(check, Integer):
        out.append(st.sampled_from([check.lo - 1, check.hi + 1, float(check.lo), True]))
    if isinstance(check, Moment):
        out.append(moments(rfc_3339=False))
    if isinstance(check, Day):
        out.append(st.sampled_from(["2026-02-30", "2026-2-3", "20260203"]))
    if isinstance(check, Uuid):
        out.append(st.uuids().map(lambda u: str(u).upper()))
        out.append(st.uuids().map(lambda u: u.hex))
        out.append(st.uuids().map(lambda u: f"{u}\n"))
    if isinstance(check, Many):
        out.append(st.lists(good(check.item), min_size=1, max_size=3).map(lambda v: v + v))
        out.append(st.lists(st.one_of(good(check.item), near(check.item)), max_size=12))
    return st.one_of(out)


@st.composite
def values(draw, check):
    """A field's value: mostly one its rule takes, else one near its edges."""
    return draw(good(check) if draw(st.integers(0, 19)) else near(check))


@st.composite
def data_for(draw, record: Record) -> dict:
    """A record as sent: required fields mostly there, others now and then, sometimes one
    it does not know, in any order."""
    sent = {
        name: draw(values(check))
        for name, check in record.fields.items()
        if draw(st.integers(0, 29) if check.required else st.booleans())
    }
    if draw(st.integers(0, 9)) == 0:
        sent["unknown"] = draw(ANY)
    return dict(draw(st.permutations(list(sent.items()))))


def answer(load, data):
    try:
        return "clean", load(data)
    except Invalid as exc:
        return "invalid", exc.errors


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: ",".join(list(r.fields)[:3]))
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_both_paths_give_the_same_answer(record, data):
    sent = data.draw(data_for(record))
    fast, slow = answer(record.load, sent), answer(record.checked, sent)
    assert fast == slow
    event(fast[0])  # both kinds of answer are reached: see --hypothesis-show-statistics
    if fast[0] == "clean":  # the same values, of the same types
        assert [type(v) for v in fast[1].values()] == [type(v) for v in slow[1].values()]
        assert list(fast[1]) == list(slow[1])  # and the same fields, in the same order


def test_the_records_checked_include_every_push():
    assert push.ENVELOPE in RECORDS and len(RECORDS) >= 10


@pytest.mark.parametrize(
    "sent, moment",
    [
        ("2026-03-01T09:30:00Z", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01t09:30:00z", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # RFC 3339 5.6
        ("2026-03-01T10:30:00+01:00", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01T09:30:00.1234567Z", datetime(2026, 3, 1, 9, 30, 0, 123457, tzinfo=UTC)),
    ],
)
def test_an_instant_is_rfc_3339(sent, moment):
    clean = Moment().clean(sent)
    assert clean == moment and clean.utcoffset() is not None


@pytest.mark.parametrize(
    "sent, problem",
    [
        ("2026-03-01T09:30Z", "Not a valid datetime (RFC 3339, as 2026-03-01T09:30:00+00:00)."),
        ("20260301T093000Z", "Not a valid datetime (RFC 3339, as 2026-03-01T09:30:00+00:00)."),
        ("2026-03-01T09:30:00", "Not a valid aware datetime (give the UTC offset)."),
        ("2026-03-01T09:30:00+05:30:15", "Not a valid datetime (give the UTC offset as ±HH:MM)."),
        ("yesterday", "Not a valid datetime."),
        (1772357400, "Not a valid datetime."),
    ],
)
def test_an_instant_that_is_not_rfc_3339_is_refused_saying_why(sent, problem):
    record = Record({"at": Moment(required=True)})
    with pytest.raises(Invalid) as refused:
        record.load({"at": sent})
    assert refused.value.errors == {"at": [problem]}


def test_a_huge_number_is_refused_naming_its_field():
    record = Record({"x": Number(0, 10), "n": Integer(0, 10)})
    with pytest.raises(Invalid) as refused:
        record.load({"x": 10**400, "n": 10**400})
    assert refused.value.errors == {
        "x": ["Must be between 0 and 10."],
        "n": ["Must be between 0 and 10."],
    }


@pytest.mark.parametrize(
    "check, sent",
    [
        (Sha256(), "0" * 64 + "\n"),
        (Email(), "a@example.org\n"),
        (Day(), "2026-W01-1"),  # ISO 8601's week date: ten characters, not YYYY-MM-DD
        (Moment(), "\ud800"),
    ],
)
def test_near_misses_are_refused(check, sent):
    with pytest.raises(Invalid) as refused:
        Record({"x": check}).load({"x": sent})
    (problem,) = refused.value.errors["x"]
    assert problem.startswith("Not a")


@pytest.mark.parametrize(
    "declare",
    [
        lambda: Text(5, choices=[1, 2]),
        lambda: Text(5, choices=[]),
        lambda: Integer(0, 1e6),
        lambda: Number(0, 2**53),
        lambda: Number(0, float("inf")),
    ],
)
def test_a_rule_the_two_paths_would_read_differently_cannot_be_declared(declare):
    """msgspec compares a number as a float and a choice as it is: bounds past 2**53 (or
    not whole, for an integer) and choices that are not text would part the two paths."""
    with pytest.raises(ValueError):
        declare()
