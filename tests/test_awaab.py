"""Awaab's Law deadlines: working days with England and Wales bank holidays."""

from datetime import datetime

import pytest

from sync.records import awaab

NOW = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


def _due(hazard, observed, name, investigated=None):
    done = {"investigated": datetime.fromisoformat(investigated)} if investigated else {}
    found = awaab.deadlines(hazard, datetime.fromisoformat(observed), done, NOW)
    return next(d["due_at"] for d in found if d["name"] == name)


@pytest.mark.parametrize(
    ("case", "hazard", "observed", "name", "investigated", "due"),
    [
        # Day 0 is the day of awareness; day 1 the next working day.
        (
            "weekday",
            "significant",
            "2026-11-18T10:00:00+00:00",
            "investigate",
            None,
            "2026-12-03T00:00:00+00:00",
        ),
        (
            "late on a Friday",
            "significant",
            "2026-11-27T23:30:00+00:00",
            "investigate",
            None,
            "2026-12-12T00:00:00+00:00",
        ),
        # 23:30 UTC on a summer Friday is 00:30 on Saturday in England: day 0 is Saturday.
        (
            "Friday UTC, Saturday in England",
            "significant",
            "2026-07-24T23:30:00+00:00",
            "investigate",
            None,
            "2026-08-07T23:00:00+00:00",
        ),
        (
            "Friday 23:30 BST",
            "significant",
            "2026-07-24T23:30:00+01:00",
            "investigate",
            None,
            "2026-08-07T23:00:00+00:00",
        ),
        (
            "seen on a Saturday",
            "significant",
            "2026-11-28T09:00:00+00:00",
            "investigate",
            None,
            "2026-12-12T00:00:00+00:00",
        ),
        # Christmas Day, Boxing Day (observed Monday 28th) and New Year's Day are skipped.
        (
            "over Christmas",
            "significant",
            "2026-12-23T09:00:00+00:00",
            "investigate",
            None,
            "2027-01-12T00:00:00+00:00",
        ),
        # Good Friday and Easter Monday 2027 are skipped; the deadline is in BST.
        (
            "over Easter",
            "significant",
            "2027-03-20T09:00:00+00:00",
            "summary",
            "2027-03-25T16:00:00+00:00",
            "2027-04-01T23:00:00+00:00",
        ),
        (
            "safety work after investigation",
            "significant",
            "2026-11-02T09:00:00+00:00",
            "safety_work",
            "2026-11-13T15:00:00+00:00",
            "2026-11-21T00:00:00+00:00",
        ),
        (
            "works at the latest: 12 weeks",
            "significant",
            "2026-11-02T09:00:00+00:00",
            "works_start_latest",
            "2026-11-13T15:00:00+00:00",
            "2027-02-06T00:00:00+00:00",
        ),
        # 24 elapsed hours, through a Saturday night and the spring clock change.
        (
            "emergency across the clock change",
            "emergency",
            "2026-03-28T22:00:00+00:00",
            "make_safe",
            None,
            "2026-03-29T22:00:00+00:00",
        ),
        (
            "emergency on Christmas Eve",
            "emergency",
            "2026-12-24T18:15:00+00:00",
            "investigate",
            None,
            "2026-12-25T18:15:00+00:00",
        ),
    ],
)
def test_deadline_table(case, hazard, observed, name, investigated, due):
    assert _due(hazard, observed, name, investigated) == due, case


def test_post_investigation_deadlines_wait_for_the_investigation():
    found = awaab.deadlines(
        "significant", datetime.fromisoformat("2026-11-02T09:00:00+00:00"), {}, NOW
    )
    states = {d["name"]: d["state"] for d in found}
    assert states == {
        "investigate": "open",
        "summary": "waiting",
        "safety_work": "waiting",
        "works_start": "waiting",
        "works_start_latest": "waiting",
    }


def test_states_met_late_overdue_and_due_soon():
    observed = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
    done = {"investigated": datetime.fromisoformat("2026-11-20T09:00:00+00:00")}

    def state(now, name, done=done):
        found = awaab.deadlines("significant", observed, done, datetime.fromisoformat(now))
        return next(d["state"] for d in found if d["name"] == name)

    assert state("2026-11-25T09:00:00+00:00", "investigate") == "met_late"
    assert state("2026-11-25T09:00:00+00:00", "summary") == "due_soon"  # due end of 25th
    assert state("2026-11-26T00:00:01+00:00", "summary") == "overdue"
    assert state("2026-11-21T09:00:00+00:00", "safety_work") == "open"
    assert state("2026-11-10T09:00:00+00:00", "investigate", {}) == "open"
    assert state("2026-11-14T09:00:00+00:00", "investigate", {}) == "due_soon"


def test_routine_repairs_have_no_statutory_deadline():
    assert awaab.deadlines("routine", NOW, {}, NOW) == []


def test_outside_the_calendar_it_fails_loudly():
    with pytest.raises(awaab.CalendarUnknown, match="2101"):
        awaab.add_working_days(datetime(2101, 1, 5).date(), 3)
    with pytest.raises(awaab.CalendarUnknown):
        awaab.check_calendar(datetime.fromisoformat("2100-12-01T09:00:00+00:00"))
    with pytest.raises(awaab.CalendarUnknown):
        awaab.deadlines(
            "significant", datetime.fromisoformat("2101-02-01T09:00:00+00:00"), {}, NOW
        )
