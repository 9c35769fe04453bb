"""A record the hot path checks has two ways to load: one written for its fields, which
takes each value its rule would return unchanged without a call (``Check.as_is``), and
``Record.load``, field by field, which names every problem. Both must give the same answer
for every input: the same clean record, or the same problems. Hypothesis sends every
record the app declares values near each rule's edges."""

import gc
import string
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import server.app  # noqa: F401  (every record the app checks is declared on import)
from sync import push
from sync.checks import (
    Boolean,
    Day,
    Email,
    Integer,
    Invalid,
    Many,
    Moment,
    Money,
    Nested,
    Number,
    Phone,
    Record,
    Sha256,
    Text,
    Uuid,
)
from sync.intake.parse import Row

RECORDS = sorted(
    (o for o in gc.get_objects() if isinstance(o, Record) and "load" in vars(o)),
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
def moments(draw) -> str:
    """Instants as phones write them, and as careless clients do."""
    moment = draw(st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)))
    text = moment.replace(microsecond=0).isoformat()
    text += draw(st.sampled_from(["", ".5", ".123", ".123456"]))
    zone = timezone(timedelta(minutes=draw(st.sampled_from([0, 60, -300, 330, 1439]))))
    zone = draw(st.sampled_from([zone.tzname(None)[3:] or "+00:00", "Z", "", "+00:00:15"]))
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
        out.append(moments())
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
def test_both_ways_give_the_same_answer(record, data):
    sent = data.draw(data_for(record))
    taken, checked = answer(record.load, sent), answer(lambda d: Record.load(record, d), sent)
    assert taken == checked
    event(taken[0])  # both kinds of answer are reached: see --hypothesis-show-statistics
    if taken[0] == "clean":  # the same values, of the same types
        assert [type(v) for v in taken[1].values()] == [type(v) for v in checked[1].values()]
        assert list(taken[1]) == list(checked[1])  # and the same fields, in the same order


def test_the_records_checked_include_every_push():
    assert push.ENVELOPE in RECORDS and len(RECORDS) >= 10


def test_a_rule_that_changes_what_it_takes_is_always_called():
    """A check whose ``clean`` adds a rule or changes the value is never skipped: a
    subclass overriding ``clean`` has no ``as_is`` of its parent's."""
    for check in (Phone(), Email(), Sha256(), Money(0, 10), Moment(), Day(), Nested(Record({}))):
        assert check.as_is() is None, check
    assert Text(5).as_is() and Integer(0, 5).as_is() and Number(0, 5).as_is()
    record = Record({"pence": Money(0, 10), "phone": Phone(), "n": Text(3)})
    with pytest.raises(Invalid) as refused:
        record.load({"pence": 0.015, "phone": "12", "n": "a\x00"})
    assert set(refused.value.errors) == {"pence", "phone", "n"}


def test_an_import_row_keeps_its_own_load():
    row = Row({"a": Text(3)}, defaults={"a": lambda: "x"})
    assert "load" not in vars(row) and row.load({"a": None}) == {"a": "x"}


def test_too_few_fields_are_refused_however_the_record_loads():
    """Found in review: the written load ignored ``min_fields`` (no record of the app's
    that has one fills in what is left out, so none was affected)."""
    record = Record({"a": Text(5)}, min_fields=1)
    with pytest.raises(Invalid) as refused:
        record.load({})
    assert refused.value.errors == {"_schema": ["Give at least 1 field."]}
