"""Counting a year: caps in order, the submission cap, and the properties that must always hold."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from submissions.counting import (
    Countable,
    Counted,
    Progress,
    StoppedBy,
    YearCount,
    YearEnd,
    best_case,
    best_case_credits,
    count_addition,
    count_year,
    progress,
    year_end,
)

D = Decimal
T0 = datetime(2025, 1, 1, 12, 0)


def entry(key: int, activity: str, credits: str, day: date = date(2025, 3, 1)) -> Countable:
    return Countable(key, activity, day, T0 + timedelta(minutes=key), D(credits))


def of(count: YearCount, key: int) -> Counted:
    [counted] = [c for c in count.entries if c.key == key]
    return counted


def test_twelfth_webinar_hour_counts_nothing():
    entries = [entry(i, "webinar", "1", date(2025, 1, i)) for i in range(1, 13)]
    count = count_year(entries, caps={"webinar": D("10")}, submission_cap=None)
    assert count.total == D("10")
    assert of(count, 11).counted == D("0")
    assert of(count, 12).counted == D("0")
    assert of(count, 12).stopped_by == StoppedBy.ACTIVITY_CAP
    assert of(count, 10).counted == D("1")


def test_activity_cap_truncates_the_entry_that_crosses_it():
    entries = [entry(1, "webinar", "9.5"), entry(2, "webinar", "1.5")]
    count = count_year(entries, caps={"webinar": D("10")}, submission_cap=None)
    assert (of(count, 2).counted, of(count, 2).stopped_by) == (D("0.5"), StoppedBy.ACTIVITY_CAP)


def test_expert_course_and_ten_hours_counts_40_under_the_2025_cap():
    entries = [entry(1, "expert-course", "40"), entry(2, "other-course", "10")]
    count = count_year(entries, caps={}, submission_cap=D("40"))
    assert count.total == D("40")
    assert (of(count, 2).counted, of(count, 2).stopped_by) == (D("0"), StoppedBy.SUBMISSION_CAP)


def test_expert_course_and_ten_hours_counts_50_without_the_cap():
    entries = [entry(1, "expert-course", "40"), entry(2, "other-course", "10")]
    assert count_year(entries, caps={}, submission_cap=None).total == D("50")


def test_entries_count_in_order_of_activity_date_then_logging_time():
    late_logged_early_date = Countable(1, "webinar", date(2025, 1, 1), T0 + timedelta(days=9),
                                       D("6"))
    early_logged_late_date = Countable(2, "webinar", date(2025, 2, 1), T0, D("6"))
    count = count_year([early_logged_late_date, late_logged_early_date],
                       caps={"webinar": D("10")}, submission_cap=None)
    assert [c.key for c in count.entries] == [1, 2]
    assert of(count, 1).counted == D("6")
    assert of(count, 2).counted == D("4")


def test_count_addition_names_the_cap_that_stopped_it():
    assert count_addition(D("2"), activity="w", used_by_activity={"w": D("9")},
                          used_total=D("9"), caps={"w": D("10")}, submission_cap=None) == (
        D("1"), StoppedBy.ACTIVITY_CAP)
    assert count_addition(D("2"), activity="c", used_by_activity={}, used_total=D("39"),
                          caps={}, submission_cap=D("40")) == (D("1"), StoppedBy.SUBMISSION_CAP)
    assert count_addition(D("2"), activity="c", used_by_activity={}, used_total=D("0"),
                          caps={}, submission_cap=D("40")) == (D("2"), None)


ACTIVITIES = ["webinar", "books", "podcasts", "course", "mentor"]
CAPS = {"webinar": D("10"), "books": D("5"), "podcasts": D("5"), "mentor": D("10"),
        "course": None}

countables = st.lists(
    st.builds(
        lambda key, activity, day, minutes, cents: Countable(
            key, activity, date(2025, 1, 1) + timedelta(days=day), T0 + timedelta(minutes=minutes),
            D(cents) / 100),
        key=st.integers(min_value=1, max_value=10**6),
        activity=st.sampled_from(ACTIVITIES),
        day=st.integers(min_value=0, max_value=364),
        minutes=st.integers(min_value=0, max_value=10**5),
        cents=st.integers(min_value=0, max_value=5000),
    ),
    max_size=40,
    unique_by=lambda c: c.key,
)
submission_caps = st.one_of(st.none(), st.sampled_from([D("40"), D("80")]))


@given(entries=countables, cap=submission_caps)
def test_counted_never_exceeds_claimed(entries, cap):
    for counted in count_year(entries, caps=CAPS, submission_cap=cap).entries:
        assert D("0") <= counted.counted <= counted.credits


@given(entries=countables, cap=submission_caps)
def test_caps_are_never_exceeded(entries, cap):
    count = count_year(entries, caps=CAPS, submission_cap=cap)
    for activity, used in count.by_activity.items():
        if CAPS[activity] is not None:
            assert used <= CAPS[activity]
    if cap is not None:
        assert count.total <= cap
    assert count.total == sum((c.counted for c in count.entries), D("0"))


@given(entries=countables, extra=countables, cap=submission_caps)
def test_adding_an_entry_never_lowers_the_total(entries, extra, cap):
    keys = {e.key for e in entries}
    before = count_year(entries, caps=CAPS, submission_cap=cap).total
    for new in extra:
        if new.key in keys:
            continue
        after = count_year([*entries, new], caps=CAPS, submission_cap=cap).total
        assert after >= before


@given(entries=countables, cap=submission_caps, data=st.data())
def test_counting_is_independent_of_the_order_given(entries, cap, data):
    shuffled = data.draw(st.permutations(entries))
    assert (count_year(entries, caps=CAPS, submission_cap=cap)
            == count_year(shuffled, caps=CAPS, submission_cap=cap))


def test_progress_met_on_track_and_at_risk():
    year = {"requirement": D("20"), "starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}
    assert progress(counted=D("20"), today=date(2025, 2, 1), **year) == Progress.MET
    assert progress(counted=D("0"), today=date(2025, 1, 1), **year) == Progress.ON_TRACK
    assert progress(counted=D("5"), today=date(2025, 6, 1), **year) == Progress.ON_TRACK
    assert progress(counted=D("2"), today=date(2025, 9, 1), **year) == Progress.AT_RISK
    assert progress(counted=D("19"), today=date(2025, 12, 15), **year) == Progress.AT_RISK


@pytest.mark.parametrize(("state", "counted", "today", "decertified_on", "expected"), [
    # Before and on the deadline (30 January 2026) a year short of 20 is in progress.
    ("open", "5", date(2025, 12, 1), None, "in_progress"),
    ("open", "5", date(2026, 1, 30), None, "in_progress"),
    # The day after, it is held until the close decides it, never in progress.
    ("open", "5", date(2026, 1, 31), None, "held"),
    ("waiting", "5", date(2026, 3, 1), None, "held"),
    # Enough counted is met, closed or not.
    ("open", "20", date(2026, 3, 1), None, "met"),
    ("waiting", "20", date(2026, 3, 1), None, "met"),
    ("met", "20", date(2026, 3, 1), None, "met"),
    ("not_met", "5", date(2026, 3, 1), date(2026, 2, 1), "not_met"),
    # A decertified certification's unclosed years: missed if they ended short before it,
    # no longer counted if they were still open for reporting on the day.
    ("open", "5", date(2026, 3, 1), date(2026, 2, 1), "not_met"),
    ("open", "5", date(2026, 3, 1), date(2026, 1, 30), "stopped"),
    ("open", "5", date(2025, 12, 1), date(2025, 11, 1), "stopped"),
    ("exempt", "0", date(2026, 3, 1), None, "exempt"),
])
def test_year_end_is_held_after_the_deadline_until_closed(state, counted, today,
                                                          decertified_on, expected):
    assert year_end(state=state, counted=D(counted), requirement=D("20"),
                    deadline=date(2026, 1, 30), today=today,
                    decertified_on=decertified_on) == expected


def test_year_end_no_requirement_is_exempt():
    assert year_end(state="open", counted=D("0"), requirement=D("0"),
                    deadline=date(2026, 1, 30), today=date(2026, 3, 1)) == YearEnd.EXEMPT


def test_count_year_says_what_each_entry_counted_and_each_activity_used():
    entries = [entry(1, "webinar", "6"), entry(2, "webinar", "6"), entry(3, "course", "2.5")]

    count = count_year(entries, caps={"webinar": D("10")}, submission_cap=None)

    assert count == YearCount(
        (Counted(1, "webinar", D("6"), D("6")),
         Counted(2, "webinar", D("6"), D("4"), StoppedBy.ACTIVITY_CAP),
         Counted(3, "course", D("2.5"), D("2.5"))),
        D("12.5"), {"webinar": D("10"), "course": D("2.5")})


# A year of 365 days and a requirement of 365: the pro-rata share is one credit a day once the
# first 90 days (the lag) are gone.
YEAR = {"requirement": D("365"), "starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}
# The 100th day of the year: 10 days past the lag.
DAY_100 = date(2025, 4, 10)


@pytest.mark.parametrize(("counted", "expected"), [
    (D("10"), Progress.ON_TRACK),
    (D("9.99"), Progress.AT_RISK),
])
def test_progress_on_the_pro_rata_line_is_on_track_and_a_cent_under_at_risk(counted, expected):
    assert progress(counted=counted, today=DAY_100, **YEAR) == expected


@pytest.mark.parametrize(("today", "expected"), [
    # Thirty days to the year's end is not yet "fewer than thirty".
    (date(2025, 12, 1), Progress.ON_TRACK),
    (date(2025, 12, 2), Progress.AT_RISK),
])
def test_progress_at_risk_with_fewer_than_30_days_left(today, expected):
    year = {"requirement": D("20"), "starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}

    assert progress(counted=D("19.99"), today=today, **year) == expected


def test_progress_nobody_is_behind_in_the_first_90_days():
    assert progress(counted=D("0"), today=date(2025, 3, 31), **YEAR) == Progress.ON_TRACK
    assert progress(counted=D("0"), today=date(2025, 4, 1), **YEAR) == Progress.AT_RISK


def test_year_end_a_requirement_of_one_credit_is_required():
    assert year_end(state="open", counted=D("0"), requirement=D("1"),
                    deadline=date(2026, 1, 30), today=date(2025, 12, 1)) == YearEnd.IN_PROGRESS


@pytest.mark.parametrize(("counts", "undecided", "appealed", "approved", "best"), [
    (False, True, False, None, D("6")),      # awaiting a decision: approved as claimed
    (False, True, True, None, D("6")),
    (True, False, False, None, D("6")),      # counting as claimed
    (True, False, False, D("4"), D("4")),    # counting at its adjusted value
    (True, False, True, D("4"), D("6")),     # an appealed adjustment wins back the difference
    (False, False, True, None, D("6")),      # an appealed rejection counts its claim
    (False, False, False, None, None),       # rejected or withdrawn, nothing open
])
def test_best_case_credits_of_an_entry(counts, undecided, appealed, approved, best):
    assert best_case_credits(counts=counts, undecided=undecided, appealed=appealed,
                             claimed=D("6"), approved=approved) == best


def test_best_case_counts_under_the_activity_caps_and_the_submission_cap():
    books = [Countable(key=n, activity="books", activity_date=date(2025, 1, n), logged_at=T0,
                       credits=D("3")) for n in (1, 2)]
    course = Countable(key=3, activity="course", activity_date=date(2025, 1, 3), logged_at=T0,
                       credits=D("40"))

    assert best_case(books, caps={"books": D("5")}, submission_cap=None) == D("5")
    assert best_case([*books, course], caps={"books": D("5")}, submission_cap=D("40")) == D("40")
    assert best_case([], caps={}, submission_cap=None) == D("0")
