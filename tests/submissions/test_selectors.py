from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from submissions.enums import EntryState
from submissions.selectors import assess_entry, certification_standings
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title

pytestmark = pytest.mark.django_db
TODAY = date(2025, 11, 1)


def holder_with_entries(count: int):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    CertificationFactory(holder=holder, title=title("DPF"), awarded_on=date(2024, 2, 1))
    codes = ["attend-webinar", "other-course", "read-books", "listen-podcasts", "mentor"]
    for i in range(count):
        EntryFactory(holder=holder, activity_type=activity(codes[i % len(codes)]),
                     activity_date=date(2025, 1, 1) + timedelta(days=i % 300),
                     state=[EntryState.SUBMITTED, EntryState.PENDING_APPROVAL][i % 2])
    return holder


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_certification_standings_queries_do_not_grow_with_entries():
    few, many = holder_with_entries(1), holder_with_entries(200)
    assert queries(lambda: certification_standings(holder=few, today=TODAY)) == queries(
        lambda: certification_standings(holder=many, today=TODAY)) == 3


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


def test_certification_years_counts_every_year_newest_first():
    from submissions.selectors import certification_years

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
    from submissions.selectors import year_detail

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
    from submissions.selectors import entry_shares

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
