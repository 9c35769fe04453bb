"""Breathing Space as DOMAIN.md tells it, as named cases: the days it runs (its start day,
its end day, not the day after), the moratorium debt (frozen) apart from ongoing rent
(collectable), the steps and the asks it forbids; and the priority built on them."""

from datetime import date, timedelta

import pytest

from routing import priority
from sync.records import breathing

D = date.fromisoformat
START, END = "2026-03-02", "2026-04-30"  # a standard 60-day Breathing Space
SPACE = {"start_date": START, "end_date": END, "moratorium_debt": 800.0}
OPEN = {"start_date": START, "end_date": None, "moratorium_debt": 800.0}  # mental health


@pytest.mark.parametrize(
    ("space", "on", "runs"),
    [
        pytest.param(SPACE, "2026-03-01", False, id="the-day-before-the-start"),
        pytest.param(SPACE, START, True, id="the-start-day"),
        pytest.param(SPACE, "2026-04-01", True, id="a-day-in-the-middle"),
        pytest.param(SPACE, END, True, id="the-end-day"),
        pytest.param(SPACE, "2026-05-01", False, id="the-day-after-the-end"),
        pytest.param(OPEN, "2027-06-01", True, id="a-crisis-one-with-no-end-yet"),
        pytest.param(OPEN, "2026-03-01", False, id="a-crisis-one-before-its-start"),
        pytest.param(None, START, False, id="none-at-all"),
    ],
)
def test_the_days_a_breathing_space_runs(space, on, runs):
    assert breathing.in_force(space, D(on)) is runs
    assert (breathing.covering([space] if space else [], D(on)) is not None) is runs


@pytest.mark.parametrize(
    ("balance", "debt", "frozen", "ongoing"),
    [
        pytest.param(1000.0, 800.0, 800.0, 200.0, id="new-arrears-since-the-start-are-ongoing"),
        pytest.param(800.0, 800.0, 800.0, 0.0, id="ongoing-rent-paid-the-debt-stays-frozen"),
        pytest.param(650.0, 800.0, 650.0, 0.0, id="a-voluntary-payment-reduces-the-frozen-debt"),
        pytest.param(-25.0, 800.0, 0.0, 0.0, id="in-credit-nothing-owed"),
        pytest.param(300.0, 0.0, 0.0, 300.0, id="no-arrears-at-the-start-all-ongoing"),
        pytest.param(300.0, None, 300.0, 0.0, id="debt-unknown-all-counts-as-frozen"),
    ],
)
def test_ongoing_arrears_apart_from_the_frozen_moratorium_debt(balance, debt, frozen, ongoing):
    assert breathing.split(balance, debt) == {
        "moratorium_debt": frozen,
        "ongoing_arrears": ongoing,
    }


def _steps(row, spaces=(SPACE,)):
    return [(p["rule"], p["field"]) for p in breathing.step_problems(row, list(spaces))]


@pytest.mark.parametrize(
    ("row", "rules"),
    [
        pytest.param(
            {"notice_served_date": START},
            [("breathing-space-notice", "notice_served_date")],
            id="notice-on-the-start-day",
        ),
        pytest.param(
            {"claim_date": END}, [("breathing-space-claim", "claim_date")], id="claim-on-end-day"
        ),
        pytest.param({"claim_date": "2026-05-01"}, [], id="claim-the-day-after-the-end"),
        pytest.param({"notice_served_date": "2026-03-01"}, [], id="notice-the-day-before"),
        pytest.param(
            {"warrant_date": "2026-03-10", "eviction_date": "2026-04-20"},
            [
                ("breathing-space-warrant", "warrant_date"),
                ("breathing-space-eviction", "eviction_date"),
            ],
            id="warrant-and-eviction-inside",
        ),
        pytest.param(
            {"claim_date": "2026-03-10", "moratorium_step_basis": "court_permission"},
            [],
            id="the-court-gave-permission",
        ),
        pytest.param(
            {"notice_served_date": "2026-03-10", "moratorium_step_basis": "ongoing_rent_only"},
            [],
            id="for-ongoing-rent-arrears-only",
        ),
    ],
)
def test_an_enforcement_step_inside_a_breathing_space(row, rules):
    assert _steps(row) == rules


def test_a_step_stands_when_there_was_no_moratorium_debt_and_counts_when_unknown():
    row = {"notice_served_date": "2026-03-10"}
    assert _steps(row, [SPACE | {"moratorium_debt": 0.0}]) == []
    unknown = _steps(row, [SPACE | {"moratorium_debt": None}])
    assert unknown == [("breathing-space-notice", "notice_served_date")]
    (found,) = breathing.step_problems(row, [SPACE])
    assert found["step"] == "notice" and found["date"] == "2026-03-10"
    assert "£800.00" in found["text"] and "2026-03-02 to 2026-04-30" in found["text"]


@pytest.mark.parametrize(
    ("offers", "notes", "asks"),
    [
        pytest.param([], "Asked for payment of arrears.", True, id="asked-for-payment-of-arrears"),
        pytest.param([], "Demanded the debt be cleared", True, id="demanded-the-debt"),
        pytest.param([], "Pressed her to pay off the arrears", True, id="pay-off-the-arrears"),
        pytest.param(["arrangement"], None, True, id="offered-an-arrangement"),
        pytest.param([], "Asked about this week's rent.", False, id="asked-for-ongoing-rent"),
        pytest.param([], "Tenant paid the arrears herself", False, id="paid-voluntarily"),
        pytest.param(["benefit_claim_help"], "Welfare check; UC claim.", False, id="support"),
        pytest.param([], None, False, id="nothing-said"),
    ],
)
def test_what_asks_for_payment_of_arrears(offers, notes, asks):
    assert breathing.asks_for_payment(offers, notes) is asks


def test_a_promise_of_ongoing_rent_is_allowed_one_of_the_frozen_debt_is_not():
    moratorium = {"moratorium_debt": 800.0, "ongoing_arrears": 120.0}
    assert breathing.visit_rules({"promise_amount": 120.0}, moratorium) == []
    assert breathing.visit_rules({"promise_amount": 120.01}, moratorium) == [
        "breathing-space-promise"
    ]
    both = {"promise_amount": 50.0, "notes": "Asked for the arrears", "offers": []}
    assert breathing.visit_rules(both, {"moratorium_debt": 800.0, "ongoing_arrears": 0.0}) == [
        "breathing-space-promise",
        "breathing-space-request",
    ]
    # No moratorium debt owed: nothing frozen to ask for.
    assert breathing.visit_rules(both, {"moratorium_debt": 0.0, "ongoing_arrears": 0.0}) == []


# --- the priority ----------------------------------------------------------------------

RULES = priority.load_rules()


def _case(**extra) -> dict:
    return {
        "balance": 1300.0,
        "arrears_weeks": 13.0,
        "weekly_rent": 100.0,
        "previous_balance": 1100.0,
        "benefit": "none",
        "breathing_space_type": "standard",
        "breathing_space_start": START,
        "breathing_space_end": END,
        "moratorium_debt": 1000.0,
        "last_contact": "2026-01-05T10:00:00+00:00",
        **extra,
    }


def _active(assessed: dict) -> dict:
    return {r["code"]: r for r in assessed["reasons"] if "suppressed" not in r}


@pytest.mark.parametrize(
    ("on", "in_space"),
    [
        pytest.param(START, True, id="start-day"),
        pytest.param(END, True, id="end-day"),
        pytest.param("2026-05-01", False, id="the-day-after"),
    ],
)
def test_ongoing_arrears_count_and_the_frozen_debt_does_not(on, in_space):
    assessed = priority.assess(_case(), RULES, D(on))
    active = _active(assessed)
    assert assessed["breathing_space"] is in_space
    if in_space:
        # £300 of rent fell due since the start and is unpaid: collectable, not hidden.
        assert active["ongoing-arrears"]["kind"] == "ongoing-rent"
        assert "3.0 weeks of rent owed (£300.00)" in active["ongoing-arrears"]["text"]
        assert "ongoing-rising" in active  # £100 more since the last statement
        assert not any(r["kind"] == "enforcement" for r in active.values())
        held = {r["code"]: r["suppressed"] for r in assessed["reasons"] if "suppressed" in r}
        assert held["arrears"] == "Breathing Space: no enforcement"
        moratorium = assessed["moratorium"]
        assert (moratorium["moratorium_debt"], moratorium["ongoing_arrears"]) == (1000.0, 300.0)
        assert "support and welfare" in moratorium["text"]
        assert "ongoing rent of £300.00 may be asked for" in moratorium["text"]
    else:
        assert active["arrears"]["kind"] == "enforcement"
        assert assessed["moratorium"] is None
        assert not any(code.startswith("ongoing-") for code in active)


def test_the_priority_never_recommends_an_enforcement_step_during_one():
    """A hearing in 3 days, a notice expiring, a broken arrangement and promise, Universal
    Credit arrears: all suppressed while the Breathing Space runs, all frozen debt."""
    case = _case(
        balance=1000.0,
        previous_balance=1000.0,
        benefit="universal_credit",
        hearing_date="2026-03-05",
        notice_expiry_date="2026-03-04",
        arrangement="breached",
        broken_promise=True,
    )
    assessed = priority.assess(case, RULES, D(START))
    assert set(_active(assessed)) == set()
    assert {r["kind"] for r in assessed["reasons"]} == {"enforcement"}
    assert assessed["action"] == "hold"
    after = priority.assess(case, RULES, D("2026-05-01"))
    assert after["action"] == "visit"  # the hearing is past, but the arrears are back


def test_new_arrears_with_the_debt_unknown_count_as_frozen():
    assessed = priority.assess(_case(moratorium_debt=None), RULES, D(START) + timedelta(days=3))
    assert assessed["moratorium"]["ongoing_arrears"] == 0.0
    assert not any(code.startswith("ongoing-") for code in _active(assessed))
