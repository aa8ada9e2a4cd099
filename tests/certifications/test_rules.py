from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certifications.rules import (
    anniversary,
    close_outcome,
    submission_cap,
    takes_entry,
    year_containing,
    year_window,
)


def test_year_containing_first_year_starts_on_award():
    window = year_containing(date(2024, 3, 15), date(2024, 3, 15), grace_days=30)
    assert (window.number, window.starts_on, window.ends_on) == (
        1, date(2024, 3, 15), date(2025, 3, 14))
    assert window.deadline == date(2025, 4, 13)


def test_year_containing_day_before_award_is_none():
    assert year_containing(date(2024, 3, 15), date(2024, 3, 14), grace_days=30) is None


def test_year_containing_anniversary_starts_next_year():
    window = year_containing(date(2024, 3, 15), date(2025, 3, 15), grace_days=30)
    assert (window.number, window.starts_on) == (2, date(2025, 3, 15))


def test_leap_day_award_anniversaries_on_28_february():
    award = date(2024, 2, 29)
    assert anniversary(award, 1) == date(2025, 2, 28)
    assert anniversary(award, 4) == date(2028, 2, 29)
    first = year_containing(award, date(2025, 2, 27), grace_days=30)
    second = year_containing(award, date(2025, 2, 28), grace_days=30)
    assert (first.number, first.ends_on) == (1, date(2025, 2, 27))
    assert (second.number, second.starts_on, second.ends_on) == (
        2, date(2025, 2, 28), date(2026, 2, 27))
    fifth = year_window(award, 5, grace_days=30)
    assert (fifth.starts_on, fifth.ends_on) == (date(2028, 2, 29), date(2029, 2, 27))


def test_year_window_rejects_year_zero():
    with pytest.raises(ValueError, match="numbered from 1"):
        year_window(date(2024, 1, 1), 0, grace_days=30)


@given(
    award=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    offset=st.integers(min_value=0, max_value=20 * 366),
)
def test_year_containing_contains_the_day_and_years_tile(award, offset):
    day = award + timedelta(days=offset)
    window = year_containing(award, day, grace_days=30)
    assert window.starts_on <= day <= window.ends_on
    following = year_window(award, window.number + 1, grace_days=30)
    assert following.starts_on == window.ends_on + timedelta(days=1)
    assert 365 <= (window.ends_on - window.starts_on).days + 1 <= 366


@pytest.mark.parametrize(("required", "counted", "undecided", "appealed", "outcome"), [
    ("0", "0", "0", "0", "exempt"),
    ("20", "20", "0", "0", "met"),
    ("20", "25", "5", "0", "met"),
    ("20", "15", "5", "0", "waiting"),
    ("20", "15", "4.99", "0", "not_met"),
    ("20", "12", "0", "8", "waiting"),
    ("20", "12", "3", "5", "waiting"),
    ("20", "12", "3", "4", "not_met"),
    ("40", "19", "2.50", "0", "not_met"),
])
def test_close_outcome(required, counted, undecided, appealed, outcome):
    best_case = Decimal(counted) + Decimal(undecided) + Decimal(appealed)
    assert close_outcome(required=Decimal(required), counted=Decimal(counted),
                         best_case=best_case) == outcome


def test_close_outcome_without_a_best_case_is_not_met_when_short():
    assert close_outcome(required=Decimal(20), counted=Decimal("19.99")) == "not_met"


def test_year_window_refuses_year_zero_in_these_words():
    with pytest.raises(ValueError, match=r"^Certification years are numbered from 1\.$"):
        year_window(date(2024, 1, 1), 0, grace_days=30)


def test_a_year_window_contains_its_first_and_last_day_only():
    window = year_window(date(2024, 1, 1), 2, grace_days=30)

    assert [day in window for day in (date(2024, 12, 31), date(2025, 1, 1), date(2025, 12, 31),
                                      date(2026, 1, 1))] == [False, True, True, False]
    assert "2025-06-01" not in window


@pytest.mark.parametrize(("starts_on", "cap"), [
    (date(2024, 12, 31), None),
    (date(2025, 1, 1), Decimal("40")),
    (date(2025, 1, 2), Decimal("40")),
])
def test_submission_cap_from_the_first_year_starting_on_its_day(starts_on, cap):
    assert submission_cap(Decimal("20"), starts_on, cap_from=date(2025, 1, 1),
                          factor=Decimal("2")) == cap


def test_close_outcome_a_requirement_of_one_credit_is_required():
    assert close_outcome(required=Decimal("1"), counted=Decimal("0")) == "not_met"
    assert close_outcome(required=Decimal("1"), counted=Decimal("1")) == "met"


@pytest.mark.parametrize(("activity_date", "reported_on", "taken"), [
    (date(2025, 1, 1), date(2025, 1, 1), True),     # the year's first day
    (date(2024, 12, 31), date(2025, 1, 1), False),  # the day before it
    (date(2025, 12, 31), date(2026, 1, 30), True),  # its last day, reported on the deadline
    (date(2026, 1, 1), date(2026, 1, 1), False),    # the day after its end
    (date(2025, 6, 1), date(2026, 1, 31), False),   # reported the day after the deadline
])
def test_takes_entry_dated_in_the_year_and_reported_by_its_deadline(activity_date, reported_on,
                                                                    taken):
    window = year_window(date(2024, 1, 1), 2, grace_days=30)

    assert takes_entry(window, activity_date=activity_date, reported_on=reported_on) is taken


@pytest.mark.parametrize(("best_case", "outcome"), [
    (None, "not_met"), (Decimal("19.99"), "not_met"), (Decimal("20"), "waiting"),
    (Decimal("25"), "waiting"),
])
def test_close_outcome_holds_a_short_year_only_when_its_best_case_reaches_the_requirement(
        best_case, outcome):
    assert close_outcome(required=Decimal("20"), counted=Decimal("12"),
                         best_case=best_case) == outcome
