from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certifications.enums import YearState
from certifications.models import CertificationYear
from certifications.services import ensure_certification_years
from submissions.assessment import assess_entry
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.selectors.holder import HeldFor, certification_history, certification_standings
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title

pytestmark = pytest.mark.django_db
TODAY = date(2025, 11, 1)


def holder_with_entries(count: int):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    CertificationFactory(holder=holder, title=title("DPF"), awarded_on=date(2024, 2, 1))
    decertified(CertificationFactory(holder=holder, title=title("DPP"),
                                     awarded_on=date(2023, 5, 1)), on=date(2024, 6, 1))
    # ISP's year 1 (2024) ended with nothing counted: it is held on TODAY.
    codes = ["attend-webinar", "other-course", "read-books", "listen-podcasts", "mentor"]
    for i in range(count):
        EntryFactory(holder=holder, activity_type=activity(codes[i % len(codes)]),
                     activity_date=date(2025, 1, 1) + timedelta(days=i % 300),
                     state=[EntryState.SUBMITTED, EntryState.PENDING_APPROVAL][i % 2])
    return holder


def decertified(certification, *, on: date):
    """A certification whose year 1 was closed as not met, decertified `on` with its denial, as
    the year-end close leaves it."""
    ensure_certification_years(today=on, certifications=[certification])
    CertificationYear.objects.filter(certification=certification, number=1).update(
        state=YearState.NOT_MET)
    certification.status, certification.decertified_on = "decertified", on
    certification.save()
    Denial.objects.create(holder=certification.holder, kind=DenialKind.DECERTIFIED,
                          certification=certification, denied_on=on)
    return certification


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_certification_standings_queries_do_not_grow_with_entries():
    few, many = holder_with_entries(1), holder_with_entries(200)
    assert queries(lambda: certification_standings(holder=few, today=TODAY)) == queries(
        lambda: certification_standings(holder=many, today=TODAY)) == 4


def test_assess_entry_queries_do_not_grow_with_entries():
    few, many = holder_with_entries(1), holder_with_entries(200)
    webinar = activity("attend-webinar")

    def assess(holder):
        return lambda: assess_entry(holder=holder, activity_type=webinar,
                                    activity_date=date(2025, 10, 1), credits=Decimal("1"),
                                    today=TODAY)

    assert queries(assess(few)) == queries(assess(many)) == 2


def test_certification_standings_foundation_and_decertified_have_no_years():
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISF"))
    CertificationFactory(holder=holder, title=title("DPP"), status="decertified",
                         decertified_on=date(2025, 2, 1))
    standings = certification_standings(holder=holder, today=TODAY)
    assert [(s.certification.title.code, s.years) for s in standings] == [
        ("DPP", ()), ("ISF", ())]


def test_certification_standings_shows_previous_year_during_reporting_window():
    holder = UserFactory()
    CertificationFactory(holder=holder, awarded_on=date(2024, 1, 1))
    [standing] = certification_standings(holder=holder, today=date(2025, 1, 15))
    assert [(y.window.number, y.is_current) for y in standing.years] == [(1, False), (2, True)]
    assert standing.years[0].days_left == 15
    [standing] = certification_standings(holder=holder, today=date(2025, 1, 31))
    assert [y.window.number for y in standing.years] == [2]


def test_certification_standings_met_and_undecided():
    holder = UserFactory()
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    EntryFactory(holder=holder, claimed_credits=Decimal("20"), hours=Decimal("20"))
    EntryFactory(holder=holder, activity_type=activity("read-books"), hours=None,
                 quantity=Decimal("300"), claimed_credits=Decimal("3"),
                 state=EntryState.PENDING_APPROVAL)
    [standing] = certification_standings(holder=holder, today=TODAY)
    year = standing.current
    assert (year.counted, year.undecided, year.met, year.missing) == (
        Decimal("20"), Decimal("3"), True, Decimal("0"))


def expert_short_in_year_1(holder, *, pending: str = ""):
    """An Expert certification (40 a year) awarded 1 September 2024: year 1 ended on 31 August
    2025 with 21 credits counted, its deadline 30 September 2025."""
    certification = CertificationFactory(holder=holder, title=title("ISE"),
                                         awarded_on=date(2024, 9, 1))
    ensure_certification_years(today=date(2025, 11, 15), certifications=[certification])
    EntryFactory(holder=holder, activity_date=date(2025, 3, 1), hours=Decimal("21"),
                 claimed_credits=Decimal("21"))
    if pending:
        # Enough to make the year met if approved: the close holds the year for it.
        EntryFactory(holder=holder, activity_date=date(2025, 5, 1), hours=Decimal(pending),
                     claimed_credits=Decimal(pending), state=EntryState.PENDING_APPROVAL)
    return certification


def set_state(certification, number: int, state: str) -> None:
    CertificationYear.objects.filter(certification=certification, number=number).update(
        state=state)


def test_certification_standings_year_past_its_deadline_short_is_held_not_on_track():
    holder = UserFactory()
    expert_short_in_year_1(holder)

    [standing] = certification_standings(holder=holder, today=date(2025, 11, 15))

    held = standing.year_end
    assert (held.window.number, held.counted, held.requirement, held.end, held.held_for) == (
        1, Decimal("21"), Decimal("40"), "held", HeldFor.CLOSE)
    # Year 2 would be on track by its own pace; with year 1 held, the certification is at risk.
    assert [(y.window.number, y.progress) for y in standing.years] == [(2, "at_risk")]
    assert standing.decertification is None


def test_certification_standings_deadline_day_is_still_in_progress():
    holder = UserFactory()
    expert_short_in_year_1(holder)

    [standing] = certification_standings(holder=holder, today=date(2025, 9, 30))

    assert standing.year_end is None
    assert [(y.window.number, y.end) for y in standing.years] == [
        (1, "in_progress"), (2, "in_progress")]


@pytest.mark.parametrize(("state", "pending", "held_for"), [
    (YearState.OPEN, "19", HeldFor.DECISIONS),
    (YearState.WAITING, "19", HeldFor.DECISIONS),
    (YearState.WAITING, "", HeldFor.APPEAL),
    # 21 counted and 4 awaiting a decision cannot make 40: nothing holds the close.
    (YearState.OPEN, "4", HeldFor.CLOSE),
])
def test_certification_standings_held_year_says_what_it_waits_for(state, pending, held_for):
    holder = UserFactory()
    certification = expert_short_in_year_1(holder, pending=pending)
    set_state(certification, 1, state)

    [standing] = certification_standings(holder=holder, today=date(2025, 11, 15))

    assert (standing.year_end.end, standing.year_end.held_for) == ("held", held_for)


def test_certification_standings_holds_the_oldest_year_that_ended_short():
    holder = UserFactory()
    certification = expert_short_in_year_1(holder)

    [standing] = certification_standings(holder=holder, today=date(2026, 11, 15))

    assert standing.year_end.window.number == 1
    set_state(certification, 1, YearState.MET)
    [standing] = certification_standings(holder=holder, today=date(2026, 11, 15))
    assert (standing.year_end.window.number, standing.year_end.counted) == (2, Decimal("0"))


def test_certification_standings_year_closed_as_met_holds_nothing():
    holder = UserFactory()
    certification = expert_short_in_year_1(holder)
    set_state(certification, 1, YearState.MET)

    [standing] = certification_standings(holder=holder, today=date(2025, 11, 15))

    assert standing.year_end is None
    assert [(y.window.number, y.progress) for y in standing.years] == [(2, "on_track")]


@pytest.mark.parametrize(("today", "can_appeal"), [
    (date(2025, 12, 30), True), (date(2025, 12, 31), False)])
def test_certification_standings_decertified_names_the_year_and_the_appeal_window(
        today, can_appeal):
    holder = UserFactory()
    certification = expert_short_in_year_1(holder)
    decertified(certification, on=date(2025, 10, 1))

    [standing] = certification_standings(holder=holder, today=today)

    decertification = standing.decertification
    assert (decertification.decertified_on, decertification.appeal_until,
            decertification.can_appeal) == (date(2025, 10, 1), date(2025, 12, 30), can_appeal)
    assert (decertification.year.window.number, decertification.year.counted) == (
        1, Decimal("21"))
    assert standing.years == ()


def test_certification_history_decertified_lists_years_to_the_decertification():
    holder = UserFactory()
    certification = expert_short_in_year_1(holder)
    decertified(certification, on=date(2025, 10, 1))

    history = certification_history(certification=certification, today=date(2027, 1, 1))

    assert [(y.window.number, y.end) for y in history.years] == [
        (2, "stopped"), (1, "not_met")]
    assert history.year_end.window.number == history.decertification.year.window.number == 1


def test_certification_years_counts_every_year_newest_first():
    from submissions.selectors.holder import certification_years

    holder = UserFactory()
    certification = CertificationFactory(holder=holder, awarded_on=date(2023, 1, 1))
    EntryFactory(holder=holder, activity_date=date(2023, 5, 1), hours=Decimal("20"),
                 claimed_credits=Decimal("20"))
    EntryFactory(holder=holder, activity_date=date(2024, 5, 1), hours=Decimal("5"),
                 claimed_credits=Decimal("5"))
    years = certification_years(certification=certification, today=date(2025, 2, 1))
    assert [(y.window.number, y.counted, y.met) for y in years] == [
        (3, Decimal("0"), False), (2, Decimal("5"), False), (1, Decimal("20"), True)]


def test_year_detail_lists_every_entry_with_what_it_counted():
    from submissions.selectors.holder import year_detail

    holder = UserFactory()
    certification = CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    webinar = activity("attend-webinar")
    first = EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2025, 2, 1),
                         hours=None, length_minutes=540, attended_minutes=540,
                         claimed_credits=Decimal("9"))
    second = EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2025, 3, 1),
                          hours=None, length_minutes=120, attended_minutes=120,
                          claimed_credits=Decimal("2"))
    rejected = EntryFactory(holder=holder, activity_date=date(2025, 4, 1),
                            state=EntryState.REJECTED)
    detail = year_detail(certification=certification, number=1, today=TODAY)
    assert [(e, detail.counted(e)) for e in detail.entries] == [
        (first, Decimal("9")), (second, Decimal("1")), (rejected, Decimal("0"))]
    assert detail.standing.counted == Decimal("10")
    assert year_detail(certification=certification, number=2, today=TODAY) is None


def test_entry_shares_per_certification():
    from submissions.counting import StoppedBy
    from submissions.selectors.holder import entry_shares

    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    webinar = activity("attend-webinar")
    EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2024, 12, 1),
                 hours=None, length_minutes=360, attended_minutes=360,
                 claimed_credits=Decimal("6"))
    entry = EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2025, 3, 1),
                         hours=None, length_minutes=300, attended_minutes=300,
                         claimed_credits=Decimal("5"))
    shares = {s.certification.title.code: (s.counted, s.stopped_by)
              for s in entry_shares(entry=entry)}
    assert shares == {"ISP": (Decimal("5"), None),
                      "ISE": (Decimal("4"), StoppedBy.ACTIVITY_CAP)}
