"""A phone whose clock runs fast: its records are kept, at the time the server received
them, flagged ``clock-ahead``; no legal clock runs from a time that has not come yet."""

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.clock import as_given, iso
from sync.records import awaab
from tests.phone import Outbox, Phone, home_of, push, visit

BST = timezone(timedelta(hours=1))


def ahead(**delta) -> str:
    """A time this far past now, as a phone in British Summer Time would send it."""
    return (datetime.now(UTC) + timedelta(**delta)).astimezone(BST).isoformat()


def close_to_now(text: str) -> bool:
    return abs(datetime.fromisoformat(text) - datetime.now(UTC)) < timedelta(minutes=1)


def _repair(uprn, observed_at, hazard="emergency"):
    payload = {
        "uprn": uprn,
        "location": "Hall",
        "category": "electrical",
        "hazard_class": hazard,
        "description": "Exposed wiring at the consumer unit.",
    }
    return Outbox().create("repair", payload, observed_at=observed_at)


def test_a_repair_seen_in_the_future_starts_its_clock_on_arrival(client, as_user, tokens, db):
    uprn, _ = home_of(db, "officer1")
    sent = ahead(hours=5)
    repair = _repair(uprn, sent)
    (result,) = push(client, as_user("officer1"), repair)["results"]
    assert result["status"] == "applied" and "clock-ahead" in result["flags"]
    # The time used, in the phone's own offset as it sent it.
    assert result["observed_at"].endswith("+01:00") and close_to_now(result["observed_at"])

    stored = client.get(f"/repairs/{repair['entity_id']}", headers=as_user("repairs1")).get_json()
    assert stored["flags"] == ["clock-ahead"] and close_to_now(stored["observed_at"])
    assert stored["observed_at"].endswith("+00:00")  # stored in UTC, like every instant
    due = next(d for d in stored["deadlines"] if d["name"] == "investigate")["due_at"]
    seen = datetime.fromisoformat(stored["observed_at"])
    assert datetime.fromisoformat(due) == seen + timedelta(hours=24)
    assert datetime.fromisoformat(due) < datetime.fromisoformat(sent) + timedelta(hours=24)
    event = stored["events"][0]
    assert event["action"] == "reported" and event["at"] == stored["observed_at"]

    # The phone gets the record back flagged; the mutation log keeps what it sent.
    held = Phone.synced(client, tokens["officer1"])
    assert held[("repair", repair["entity_id"])]["flags"] == ["clock-ahead"]
    (body,) = db.execute(
        "SELECT body FROM mutations WHERE mutation_id = ?", [repair["mutation_id"]]
    ).fetchone()
    assert orjson.loads(body)["observed_at"] == sent

    # A resend is a duplicate with the first answer.
    (again,) = push(client, as_user("officer1"), repair)["results"]
    assert again["status"] == "duplicate" and again["original"] == result


def test_a_phone_a_few_minutes_fast_is_believed(client, as_user, db):
    uprn, _ = home_of(db, "officer1")
    sent = ahead(minutes=4)
    repair = _repair(uprn, sent)
    (result,) = push(client, as_user("officer1"), repair)["results"]
    assert result["status"] == "applied" and "clock-ahead" not in result["flags"]
    assert "observed_at" not in result
    stored = client.get(f"/repairs/{repair['entity_id']}", headers=as_user("repairs1")).get_json()
    assert datetime.fromisoformat(stored["observed_at"]) == datetime.fromisoformat(sent)
    assert stored["flags"] == []


def test_the_offset_is_honoured_not_the_clock_face(client, as_user, db):
    """10:00+01:00 is 09:00 UTC: a phone on summer time sent at the right moment is not
    ahead, however its clock face reads against UTC."""
    uprn, _ = home_of(db, "officer1")
    now_in_bst = datetime.now(UTC).astimezone(BST).isoformat()
    (result,) = push(client, as_user("officer1"), _repair(uprn, now_in_bst))["results"]
    assert result["status"] == "applied" and "clock-ahead" not in result["flags"]


@pytest.mark.parametrize("kind", ["visit", "concern", "arrangement", "marker"])
def test_every_kind_of_record_is_kept_and_flagged(client, as_user, tokens, db, kind):
    uprn, ref = home_of(db, "officer1")
    soon = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    payloads = {
        "visit": {"uprn": uprn, "tenancy_ref": ref, "outcome": "contact_made"},
        "concern": {
            "uprn": uprn,
            "category": "child",
            "subjects": ["Child, about 6"],
            "immediate_danger": False,
            "seen": "Child alone at 21:00.",
        },
        "arrangement": {
            "tenancy_ref": ref,
            "amount": 10,
            "frequency": "weekly",
            "start_date": datetime.now(UTC).date().isoformat(),
        },
        "marker": {
            "uprn": uprn,
            "code": "dangerous_animals",
            "description": "Large dog loose in the garden.",
            "source_incident": "Officer bitten on the leg.",
            "review_date": soon,
        },
    }
    record = Outbox().create(kind, payloads[kind], observed_at=ahead(days=2))
    (result,) = push(client, as_user("officer1"), record)["results"]
    assert result["status"] == "applied", result
    assert "clock-ahead" in result["flags"] and close_to_now(result["observed_at"])
    held = Phone.synced(client, tokens["officer1"])[(kind, record["entity_id"])]
    assert "clock-ahead" in held["flags"]
    if "observed_at" in held:
        assert close_to_now(held["observed_at"])
    if kind == "marker":  # raised today, not on the phone's day after tomorrow
        assert held["start_date"] == datetime.now(UTC).astimezone(BST).date().isoformat()


def test_an_edit_from_a_fast_phone_is_applied_and_flagged(client, as_user, db):
    _, ref = home_of(db, "officer1")
    person, version = db.execute(
        "SELECT person_ref, version FROM tenants WHERE tenancy_ref = ?", [ref]
    ).fetchone()
    edit = Outbox().make(
        "tenant",
        person,
        "update",
        {"mobile": "07700 900123"},
        base_version=version,
        observed_at=ahead(hours=3),
    )
    (result,) = push(client, as_user("officer1"), edit)["results"]
    assert result["status"] == "applied" and "clock-ahead" in result["flags"]
    (observed,) = db.execute(
        "SELECT observed_at FROM field_versions WHERE entity_type = 'tenant' "
        "AND entity_id = ? AND field = 'mobile'",
        [person],
    ).fetchone()
    assert close_to_now(observed)


def _checkin(phone, uprn, start: datetime):
    """A 45-minute check-in from ``start`` by the phone's clock, observed then."""
    payload = {
        "uprn": uprn,
        "checked_in_at": start.isoformat(),
        "expected_out_at": (start + timedelta(minutes=45)).isoformat(),
    }
    return phone.create("checkin", payload, observed_at=start.isoformat())


def _check_out(phone, checkin, at: datetime):
    """The check-out of ``checkin`` at ``at`` by the phone's clock, observed then."""
    moment = at.isoformat()
    update = {"checked_out_at": moment}
    return phone.make(
        "checkin", checkin["entity_id"], "update", update, base_version=1, observed_at=moment
    )


def test_a_check_in_from_a_fast_phone_alerts_on_time(client, as_user, tokens, db):
    phone = Outbox()
    start = datetime.now(UTC) + timedelta(hours=2)
    checkin = _checkin(phone, home_of(db, "officer1")[0], start)
    (result,) = push(client, as_user("officer1"), checkin)["results"]
    assert result["status"] == "applied" and "clock-ahead" in result["flags"]
    held = Phone.synced(client, tokens["officer1"])[("checkin", checkin["entity_id"])]
    checked_in = datetime.fromisoformat(held["checked_in_at"])
    assert close_to_now(held["checked_in_at"]) and held["flags"] == ["clock-ahead"]
    assert datetime.fromisoformat(held["expected_out_at"]) - checked_in == timedelta(minutes=45)

    out = _check_out(phone, checkin, start + timedelta(minutes=40))
    (result,) = push(client, as_user("officer1"), out)["results"]
    assert result["status"] == "applied" and "clock-ahead" in result["flags"]
    (checked_out,) = db.execute(
        "SELECT checked_out_at FROM checkins WHERE id = ?", [checkin["entity_id"]]
    ).fetchone()
    assert close_to_now(checked_out)


def test_awareness_is_never_after_receipt():
    """A record stored before pushes were clamped still has its clock from receipt."""
    start = awaab.aware_from("2026-11-03T09:00:00+00:00", "2026-11-02T08:00:00+00:00")
    assert start == datetime.fromisoformat("2026-11-02T08:00:00+00:00")
    earlier = awaab.aware_from("2026-11-01T09:00:00+00:00", "2026-11-02T08:00:00+00:00")
    assert earlier == datetime.fromisoformat("2026-11-01T09:00:00+00:00")


@given(
    st.datetimes(
        timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
            lambda minutes: timezone(timedelta(minutes=minutes))
        )
    )
)
def test_instants_are_written_as_isoformat_writes_them(moment):
    """``iso`` and ``as_given`` write by orjson what ``isoformat`` would (a push writes
    several instants a record, and isoformat takes three times as long)."""
    assert iso(moment) == moment.astimezone(UTC).isoformat(timespec="microseconds")
    assert as_given(moment) == moment.isoformat()


class _Subclass(datetime):
    """A datetime subclass (as time-faking libraries make), which orjson does not take."""


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 29, 0, 59, 59, tzinfo=timezone(timedelta(seconds=15))),
        datetime(2026, 3, 29, 1, 0, tzinfo=timezone(timedelta(microseconds=-1))),
        _Subclass(2026, 11, 25, 17, 0, tzinfo=UTC),
        _Subclass(2026, 11, 25, 17, 0, 0, 5, tzinfo=BST),
    ],
    ids=repr,
)
def test_odd_instants_are_written_as_isoformat_writes_them(moment):
    """Offsets in seconds never come from a phone (``Moment`` refuses them), but ``iso``
    writes whatever instant it is given in UTC."""
    assert iso(moment) == moment.astimezone(UTC).isoformat(timespec="microseconds")
    if moment.utcoffset() % timedelta(minutes=1) == timedelta(0):
        assert as_given(moment) == moment.isoformat()


@pytest.mark.parametrize("offset", ["+05:30:15", "+053015", "-00:00:01.5"])
def test_an_offset_in_seconds_is_refused_naming_the_field(client, as_user, db, offset):
    """RFC 3339 offsets are hours and minutes, as the OpenAPI's date-time says."""
    uprn, ref = home_of(db, "officer1")
    sent = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S") + offset
    outbox = Outbox()
    (result,) = push(client, as_user("officer1"), visit(outbox, uprn, ref, arrived_at=sent))[
        "results"
    ]
    assert result["status"] == "rejected" and result["code"] == "invalid-payload"
    assert result["errors"] == {
        "payload.arrived_at": ["Not a valid datetime (give the UTC offset as ±HH:MM)."]
    }
    (late,) = push(client, as_user("officer1"), visit(outbox, uprn, ref, observed_at=sent))[
        "results"
    ]
    assert late["code"] == "invalid-mutation" and "observed_at" in late["errors"]


@pytest.mark.parametrize(
    "field, sent",
    [
        ("observed_at", "0001-01-01T00:00:00+23:59"),  # UTC would be before year 1
        ("observed_at", "9999-12-31T23:59:59-23:59"),  # and after 9999
        ("arrived_at", "1799-12-31T23:00:00Z"),
        ("left_at", "3000-01-01T00:00:00+01:00"),
    ],
)
def test_an_instant_off_the_calendar_is_refused_not_a_500(client, as_user, db, field, sent):
    """Near the calendar's ends a time's arithmetic (in UTC, a visit's window) would run
    off it: instants are taken in years 1800 to 2999 (a phone reset to 1970 still counts)."""
    uprn, ref = home_of(db, "officer1")
    mutation = visit(Outbox(), uprn, ref, **{field: sent})
    (result,) = push(client, as_user("officer1"), mutation)["results"]
    where = field if field == "observed_at" else f"payload.{field}"
    assert result["status"] == "rejected"
    assert result["errors"] == {where: ["Not a plausible datetime (years 1800 to 2999)."]}


def test_a_check_in_at_the_end_of_the_calendar_is_refused_not_a_500(client, as_user, db):
    uprn, _ = home_of(db, "officer1")
    payload = {
        "uprn": uprn,
        "checked_in_at": "9999-12-31T12:00:00Z",
        "expected_out_at": "9999-12-31T23:59:59Z",
    }
    (result,) = push(client, as_user("officer1"), Outbox().create("checkin", payload))["results"]
    assert result["code"] == "invalid-payload"
    assert set(result["errors"]) == {"payload.checked_in_at", "payload.expected_out_at"}


def test_a_phone_reset_to_1970_starts_no_clock_in_1970(client, as_user, tokens, db):
    """A time a year and more before receipt is the phone's clock (reset to 1970, or to the
    day it was made): the repair is kept at the time of receipt, flagged clock-behind, and
    its deadlines run from then, not decades overdue at the top of the queue."""
    uprn, _ = home_of(db, "officer1")
    sent = "1970-01-01T00:05:00+00:00"
    repair = _repair(uprn, sent, hazard="significant")
    (result,) = push(client, as_user("officer1"), repair)["results"]
    assert result["status"] == "applied" and "clock-behind" in result["flags"]
    assert close_to_now(result["observed_at"])
    stored = client.get(f"/repairs/{repair['entity_id']}", headers=as_user("repairs1")).get_json()
    assert stored["flags"] == ["clock-behind"] and close_to_now(stored["observed_at"])
    assert not stored["overdue"]
    overdue = client.get("/repairs?due=overdue", headers=as_user("repairs1")).get_json()
    assert repair["entity_id"] not in {r["id"] for r in overdue["items"]}
    (body,) = db.execute(
        "SELECT body FROM mutations WHERE mutation_id = ?", [repair["mutation_id"]]
    ).fetchone()
    assert orjson.loads(body)["observed_at"] == sent  # what the phone said, kept
    held = Phone.synced(client, tokens["officer1"])
    assert held[("repair", repair["entity_id"])]["flags"] == ["clock-behind"]


def test_a_record_months_old_is_believed(client, as_user, db):
    """Work held back for months (a phone found in a drawer) keeps its own time."""
    uprn, _ = home_of(db, "officer1")
    sent = (datetime.now(UTC) - timedelta(days=200)).astimezone(BST).isoformat()
    (result,) = push(client, as_user("officer1"), _repair(uprn, sent))["results"]
    assert result["status"] == "applied" and result["flags"] == []
    assert "observed_at" not in result


def test_a_check_in_from_a_reset_phone_alerts_on_time(client, as_user, db):
    """Checked in at 1970 by the phone's clock: the visit is moved to the time of receipt
    with its length, so no lone-working alert falls at once; the check-out is kept too."""
    phone = Outbox()
    start = datetime(1970, 1, 1, 9, 0, tzinfo=UTC)
    checkin = _checkin(phone, home_of(db, "officer1")[0], start)
    (result,) = push(client, as_user("officer1"), checkin)["results"]
    assert result["status"] == "applied" and "clock-behind" in result["flags"]
    checked_in, expected = db.execute(
        "SELECT checked_in_at, expected_out_at FROM checkins WHERE id = ?", [checkin["entity_id"]]
    ).fetchone()
    assert close_to_now(checked_in)
    gap = datetime.fromisoformat(expected) - datetime.fromisoformat(checked_in)
    assert gap == timedelta(minutes=45)
    alerts = client.get("/lone-working/alerts", headers=as_user("leader1")).get_json()
    assert checkin["entity_id"] not in {a["id"] for a in alerts}
    out = _check_out(phone, checkin, start + timedelta(minutes=40))
    (result,) = push(client, as_user("officer1"), out)["results"]
    assert result["status"] == "applied" and "clock-behind" in result["flags"]
