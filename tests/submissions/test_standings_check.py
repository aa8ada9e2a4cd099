"""The standings checker's pure parts (`recount_in_python`, `_year_differences`, `Difference`),
on unsaved rows: which entries belong to a year, at its edges, and every kind of difference it
reports, as `manage.py recount_standings --check` prints it."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import User
from certifications.enums import CertificationStatus, YearState
from certifications.models import (
    Certification,
    CertificationLevel,
    CertificationTitle,
    CertificationYear,
)
from submissions.counting import StoppedBy
from submissions.enums import EntryState
from submissions.models import Entry
from submissions.standings.check import Difference, _year_differences, recount_in_python

D = Decimal
T0 = datetime(2025, 1, 2, 9, 0)
HOLDER = 7
WEBINAR, COURSE = 1, 2
CAPS = {WEBINAR: D("10"), COURSE: None}


@pytest.fixture(autouse=True)
def _submission_cap(settings):
    settings.CPE_SUBMISSION_CAP_FROM = date(2025, 1, 1)
    settings.CPE_SUBMISSION_CAP_FACTOR = D("2")


def make_year(*, starts_on: date = date(2025, 1, 1), required: str = "20", counted: str = "0",
              undecided: str = "0") -> CertificationYear:
    """Hanna's ISP year 2, 2025, reported until 30 January 2026."""
    level = CertificationLevel(name="Practitioner", required_credits=D(required))
    certification = Certification(
        holder=User(pk=HOLDER, email="hanna@example.com"),
        title=CertificationTitle(code="ISP", name="Practitioner", level=level),
        awarded_on=date(2024, 1, 1))
    ends_on = starts_on.replace(year=starts_on.year + 1) - timedelta(days=1)
    return CertificationYear(certification=certification, number=2, starts_on=starts_on,
                             ends_on=ends_on, deadline=ends_on + timedelta(days=30),
                             required_credits=D(required), counted_credits=D(counted),
                             undecided_credits=D(undecided))


def make_entry(pk: int, *, day: date = date(2025, 6, 1), reported: date | None = None,
               credits: str = "1", approved: str | None = None,
               state: str = EntryState.SUBMITTED, activity: int = COURSE,
               holder: int = HOLDER, logged_at: datetime | None = None) -> Entry:
    return Entry(pk=pk, holder_id=holder, activity_type_id=activity, activity_date=day,
                 reported_on=reported or day, logged_at=logged_at or T0 + timedelta(minutes=pk),
                 claimed_credits=D(credits),
                 approved_credits=None if approved is None else D(approved), state=state)


def counted_keys(year: CertificationYear, entries: list[Entry]) -> list[int]:
    count, _undecided = recount_in_python(year, entries, CAPS)
    return [c.key for c in count.entries]


# --- Which entries belong to a year ------------------------------------------------------------

def test_recount_counts_entries_on_the_years_first_and_last_day_only():
    year = make_year()
    entries = [make_entry(1, day=date(2024, 12, 31)), make_entry(2, day=date(2025, 1, 1)),
               make_entry(3, day=date(2025, 12, 31)), make_entry(4, day=date(2026, 1, 1),
                                                            reported=date(2026, 1, 1))]

    assert counted_keys(year, entries) == [2, 3]


def test_recount_counts_an_entry_reported_on_the_deadline_but_not_the_day_after():
    year = make_year()
    on_deadline = make_entry(1, day=date(2025, 12, 31), reported=date(2026, 1, 30))
    day_after = make_entry(2, day=date(2025, 12, 31), reported=date(2026, 1, 31))

    assert counted_keys(year, [on_deadline, day_after]) == [1]


def test_recount_leaves_out_another_holders_entries():
    year = make_year()

    assert counted_keys(year, [make_entry(1), make_entry(2, holder=HOLDER + 1)]) == [1]


def test_recount_counts_counting_states_and_adds_up_undecided_ones():
    year = make_year()
    entries = [
        make_entry(1, credits="3", state=EntryState.SUBMITTED),
        make_entry(2, credits="5", approved="4", state=EntryState.APPROVED),
        make_entry(3, credits="2", state=EntryState.PENDING_APPROVAL),
        make_entry(4, credits="1.5", state=EntryState.PROOF_REQUESTED),
        make_entry(5, credits="7", state=EntryState.REJECTED),
        make_entry(6, credits="9", state=EntryState.WITHDRAWN),
        # Undecided, but outside the year or reported too late: not this year's.
        make_entry(7, credits="8", state=EntryState.PENDING_APPROVAL, day=date(2024, 12, 31)),
        make_entry(8, credits="8", state=EntryState.PROOF_REQUESTED, day=date(2025, 12, 31),
                   reported=date(2026, 1, 31)),
    ]

    count, undecided = recount_in_python(year, entries, CAPS)

    assert [(c.key, c.credits, c.counted) for c in count.entries] == [
        (1, D("3"), D("3")), (2, D("4"), D("4"))]
    assert count.total == D("7")
    assert undecided == D("3.5")


def test_recount_of_a_year_requiring_one_credit_counts():
    year = make_year(required="1")

    count, undecided = recount_in_python(
        year, [make_entry(1), make_entry(2, state=EntryState.PENDING_APPROVAL)], CAPS)

    assert (count.total, undecided) == (D("1"), D("1"))


def test_recount_of_a_year_without_a_requirement_is_empty():
    year = make_year(required="0")

    count, undecided = recount_in_python(
        year, [make_entry(1), make_entry(2, state=EntryState.PENDING_APPROVAL)], CAPS)

    assert (count.entries, count.total, dict(count.by_activity), undecided) == ((), 0, {}, 0)


def test_recount_applies_the_activity_cap_and_orders_by_date_then_logging():
    year = make_year()
    # Entry 3 was logged before entry 2, of the same day: it counts first.
    entries = [make_entry(2, activity=WEBINAR, credits="6", day=date(2025, 3, 1)),
               make_entry(1, activity=WEBINAR, credits="6", day=date(2025, 3, 2)),
               make_entry(3, activity=WEBINAR, credits="6", day=date(2025, 3, 1),
                          logged_at=T0 - timedelta(days=1))]

    count, _undecided = recount_in_python(year, entries, CAPS)

    assert [(c.key, c.counted, c.stopped_by) for c in count.entries] == [
        (3, D("6"), None), (2, D("4"), StoppedBy.ACTIVITY_CAP), (1, D("0"), StoppedBy.ACTIVITY_CAP)]
    assert dict(count.by_activity) == {WEBINAR: D("10")}


def test_recount_applies_the_submission_cap_from_its_first_year_only():
    entries = [make_entry(1, credits="40"), make_entry(2, credits="10", day=date(2025, 7, 1))]
    capped = make_year(starts_on=date(2025, 1, 1))
    before = make_year(starts_on=date(2024, 12, 31))

    capped_count, _ = recount_in_python(capped, entries, CAPS)
    before_count, _ = recount_in_python(before, entries, CAPS)

    assert capped_count.total == D("40")
    assert capped_count.entries[1].stopped_by == StoppedBy.SUBMISSION_CAP
    assert before_count.total == D("50")


# --- The differences it reports ----------------------------------------------------------------

def stored_rows(entries: list[Entry]) -> dict[int, tuple]:
    """What the stored rows say when they agree: counted, stopped by, credits, activity date."""
    return {e.pk: (e.credits, "", e.credits, e.activity_date) for e in entries}


def test_year_differences_none_when_stored_agrees():
    year = make_year(counted="4", undecided="2")
    entries = [make_entry(1, credits="3"), make_entry(2, credits="1"),
               make_entry(3, credits="2", state=EntryState.PENDING_APPROVAL)]

    differences = list(_year_differences(year, entries, CAPS, stored_rows(entries[:2]),
                                         {COURSE: D("4")}))

    assert differences == []


def test_year_differences_reports_counted_undecided_and_totals():
    year = make_year(counted="5", undecided="1")
    entries = [make_entry(1, credits="3"), make_entry(2, credits="1"),
               make_entry(3, credits="2", state=EntryState.PENDING_APPROVAL)]

    differences = list(_year_differences(year, entries, CAPS, stored_rows(entries[:2]),
                                         {COURSE: D("5")}))

    assert differences == [
        Difference(year, "counted credits", D("5"), D("4")),
        Difference(year, "credits awaiting a decision", D("1"), D("2")),
        Difference(year, "counted credits by activity", {COURSE: D("5")}, {COURSE: D("4")}),
    ]


def test_year_differences_reports_each_entry_that_differs_in_id_order():
    year = make_year(counted="13")
    entries = [make_entry(1, credits="6", activity=WEBINAR, day=date(2025, 2, 1)),
               make_entry(2, credits="6", activity=WEBINAR, day=date(2025, 2, 2)),
               make_entry(3, credits="2", day=date(2025, 2, 3)),
               make_entry(4, credits="1", day=date(2025, 2, 4))]
    stored = {
        # Entry 1 agrees; entry 2 is stored without its cap; entry 3 is missing; entry 5 no
        # longer belongs to the year; entry 4's stored date is wrong.
        1: (D("6"), "", D("6"), date(2025, 2, 1)),
        2: (D("6"), "", D("6"), date(2025, 2, 2)),
        4: (D("1"), "", D("1"), date(2025, 2, 5)),
        5: (D("2"), "", D("2"), date(2025, 2, 6)),
    }

    differences = list(_year_differences(year, entries, CAPS, stored,
                                         {WEBINAR: D("10"), COURSE: D("3")}))

    assert differences == [
        Difference(year, "entry 2", (D("6"), "", D("6"), date(2025, 2, 2)),
                   (D("4"), "activity_cap", D("6"), date(2025, 2, 2))),
        Difference(year, "entry 3", None, (D("2"), "", D("2"), date(2025, 2, 3))),
        Difference(year, "entry 4", (D("1"), "", D("1"), date(2025, 2, 5)),
                   (D("1"), "", D("1"), date(2025, 2, 4))),
        Difference(year, "entry 5", (D("2"), "", D("2"), date(2025, 2, 6)), None),
    ]


def test_year_differences_reads_nothing_awaiting_a_decision_as_zero_credits():
    year = make_year(undecided="2")

    [difference] = _year_differences(year, [], CAPS, {}, {})

    assert str(difference).endswith("credits awaiting a decision stored 2, recounted 0.00")


def test_difference_reads_as_one_line_naming_holder_title_year_and_values():
    year = make_year()

    line = str(Difference(year, "counted credits", D("5.00"), D("4.00")))

    assert line == ("hanna@example.com ISP year 2 (2025-01-01 to 2025-12-31): counted credits "
                    "stored 5.00, recounted 4.00")


def test_year_differences_compare_a_closed_year_with_what_its_close_recorded():
    year = make_year(counted="19")
    year.state, year.counted_at_close = YearState.NOT_MET, D("19")
    # Decided after the close: a recount would make it 25, but a closed year is a record.
    entries = [make_entry(1, credits="25")]

    assert list(_year_differences(year, entries, CAPS, {}, {})) == []

    year.counted_credits = D("2.50")
    assert list(_year_differences(year, entries, CAPS, {}, {})) == [
        Difference(year, "counted credits of a closed year", D("2.50"), D("19"))]

    year.counted_at_close = None
    assert list(_year_differences(year, entries, CAPS, {}, {})) == []


def test_recount_of_a_decertified_certifications_year_counts_nothing():
    year = make_year()
    year.certification.status = CertificationStatus.DECERTIFIED

    count, undecided = recount_in_python(year, [make_entry(1, credits="5")], CAPS)

    assert (count.total, count.entries, undecided) == (D("0"), (), D("0"))
