"""A closed year is a record; a decertified certification collects nothing; the close holds a
year only while its best case, under every cap, can still make it met."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import BOARD, REVIEWER
from activities.rules import Inputs
from appeals.services import decide_appeal, file_appeal
from certifications.enums import CertificationStatus, YearState
from certifications.models import Certification, CertificationYear
from certifications.services import decertify_certifications, ensure_certification_years
from submissions.enums import EntryState
from submissions.models import Denial, Entry, YearCredit
from submissions.review import (
    adjust_entry,
    approve_entry,
    draw_audit_sample,
    reject_entry,
    request_proof,
)
from submissions.selectors.holder import entry_shares
from submissions.services import EntryDetails, log_entry
from submissions.standings.check import check_standings
from tests.factories import EntryFactory, UserFactory, activity
from tests.staff import make_staff
from tests.yearend.test_closing import AWARDED, certify, earn, year
from yearend.closing import close_certification_years

pytestmark = pytest.mark.django_db

CLOSE_DAY = date(2025, 3, 31)  # the day after the ISP's first deadline (tests.yearend.test_closing)


def book(certification: Certification, pages: int, *, on: date,
         state: str = EntryState.SUBMITTED) -> Entry:
    return EntryFactory(holder=certification.holder, activity_type=activity("read-books"),
                        activity_date=on, hours=None, quantity=D(pages),
                        claimed_credits=D(pages) / 100, state=state)


# --- A closed year is a record -----------------------------------------------------------------

def test_closed_year_keeps_its_counted_credits_when_an_entry_is_approved_after_the_close():
    certification = certify()
    earn(certification, "15")
    pending = book(certification, 250, on=date(2024, 7, 1), state=EntryState.PENDING_APPROVAL)
    close_certification_years(today=CLOSE_DAY)
    closed = year(certification)
    assert (closed.state, closed.counted_credits, closed.counted_at_close) == (
        YearState.NOT_MET, D("15"), D("15"))

    approve_entry(entry=pending, by=make_staff(REVIEWER), today=date(2025, 4, 2))

    closed.refresh_from_db()
    assert (closed.state, closed.counted_credits) == (YearState.NOT_MET, D("15"))
    assert list(check_standings()) == []


def test_proof_request_is_refused_once_every_year_of_the_entry_is_closed():
    certification = certify()
    entry = earn(certification, "20")
    close_certification_years(today=CLOSE_DAY)

    with pytest.raises(ValidationError, match="closed"):
        request_proof(entry=entry, by=make_staff(REVIEWER), today=date(2025, 4, 2))

    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED
    assert year(certification).counted_credits == D("20")


def test_audit_asks_nothing_for_entries_whose_years_are_all_closed():
    certification = certify()
    earn(certification, "20")
    close_certification_years(today=CLOSE_DAY)

    audit = draw_audit_sample(period_start=AWARDED, period_end=date(2025, 2, 28),
                              percent=D(100), seed="s", by=make_staff(REVIEWER),
                              today=date(2025, 4, 2))

    assert audit.requests == 0
    assert year(certification).counted_credits == D("20")


def test_checker_reports_a_closed_year_that_no_longer_says_what_its_close_recorded():
    certification = certify()
    earn(certification, "20")
    close_certification_years(today=CLOSE_DAY)
    CertificationYear.objects.filter(certification=certification, number=1).update(
        counted_credits=D("2.50"))

    differences = [str(d) for d in check_standings()]

    assert len(differences) == 1
    assert "counted credits of a closed year stored 2.50, recounted 20.00" in differences[0]


def test_upheld_appeal_makes_the_closed_year_met_by_the_boards_decision(client):
    certification = certify()
    earn(certification, "15")
    close_certification_years(today=CLOSE_DAY)
    denial = Denial.objects.get(certification=certification)
    appeal = file_appeal(denial=denial, by=certification.holder, today=CLOSE_DAY,
                         rationale="I was on medical leave for four months.")

    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True, reason="Medical leave.")

    closed = year(certification)
    assert (closed.state, closed.counted_credits, closed.board_decided_on) == (
        YearState.MET, D("15"), timezone.localdate())
    client.force_login(certification.holder)
    page = client.get(reverse("submissions:year_list", args=[certification.pk]))
    assert "Met by the Board\u2019s decision of" in page.content.decode()
    assert list(check_standings()) == []


# --- A decertified certification collects nothing -----------------------------------------------

def _two_certifications_one_decertified() -> tuple[Certification, Certification]:
    holder = UserFactory()
    active = certify(holder, "ISP")
    decertified = certify(holder, "ISE")
    ensure_certification_years(today=date(2025, 4, 1), certifications=[active, decertified])
    decertify_certifications([decertified.pk], on=date(2025, 3, 31), now=timezone.now(),
                             reason="Decertified at the year-end close")
    return active, Certification.objects.get(pk=decertified.pk)


def test_entry_of_a_holder_with_a_decertified_certification_counts_only_toward_the_active_one():
    active, decertified = _two_certifications_one_decertified()

    entry = log_entry(holder=active.holder, today=date(2025, 4, 5), details=EntryDetails(
        activity_type=activity("other-course"), activity_date=date(2025, 4, 2),
        title="Incident response", inputs=Inputs(hours=D("3")), relevance_confirmed=True))

    assert YearCredit.objects.filter(entry=entry, year__certification=decertified).count() == 0
    assert year(decertified, 2).counted_credits == D("0")
    assert year(active, 2).counted_credits == D("3")
    assert [share.certification for share in entry_shares(entry=entry)] == [active]
    assert list(check_standings()) == []


def test_reinstated_certification_counts_again_what_was_reported_while_its_years_were_open():
    holder = UserFactory()
    certification = certify(holder, "ISP")
    earn(certification, "15")
    close_certification_years(today=CLOSE_DAY)
    later = earn(certification, "4", on=date(2025, 4, 2))
    assert year(certification, 2).counted_credits == D("0")
    denial = Denial.objects.get(certification=certification)
    appeal = file_appeal(denial=denial, by=holder, today=CLOSE_DAY, rationale="Please.")

    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True, reason="Accepted.")

    assert Certification.objects.get(pk=certification.pk).status == CertificationStatus.ACTIVE
    assert year(certification, 2).counted_credits == D("4")
    assert YearCredit.objects.filter(entry=later).count() == 1
    assert list(check_standings()) == []


# --- The close's best case ----------------------------------------------------------------------

def test_pending_book_over_a_full_book_cap_does_not_hold_the_year():
    certification = certify()
    earn(certification, "14")
    book(certification, 500, on=date(2024, 6, 2))  # the book cap (5) is full
    book(certification, 300, on=date(2024, 7, 1), state=EntryState.PENDING_APPROVAL)
    assert year(certification).counted_credits == D("19")

    close_certification_years(today=CLOSE_DAY)

    assert year(certification).state == YearState.NOT_MET


def test_pending_entry_that_could_make_up_the_difference_holds_the_year_from_that_day():
    certification = certify()
    earn(certification, "15")
    book(certification, 300, on=date(2024, 6, 2))
    # 15 + 3 counted; of this book's 3 credits, the book cap lets 2 count: 20 of 20.
    book(certification, 300, on=date(2024, 7, 1), state=EntryState.PENDING_APPROVAL)

    close_certification_years(today=CLOSE_DAY)

    held = year(certification)
    assert (held.state, held.held_since, held.counted_at_close) == (
        YearState.WAITING, CLOSE_DAY, None)


def test_appeal_of_an_entry_that_belongs_only_to_another_certification_holds_nothing_here():
    holder = UserFactory()
    isp = certify(holder, "ISP")  # year 1 reportable until 30 March 2025
    ise = certify(holder, "ISE", awarded_on=date(2024, 6, 1))  # until 30 June 2025
    earn(isp, "15")
    # Dated in both first years, reported after the ISP's deadline: it belongs to the ISE only.
    late = earn(isp, "10", on=date(2025, 1, 15), reported_on=date(2025, 4, 10))
    reject_entry(entry=late, by=make_staff(REVIEWER), reason="Not relevant.",
                 today=date(2025, 4, 12))
    file_appeal(denial=Denial.objects.get(entry=late), by=holder, today=date(2025, 4, 13),
                rationale="It was relevant.")

    close_certification_years(today=date(2025, 5, 1))

    assert year(isp).state == YearState.NOT_MET
    assert year(ise).state == YearState.OPEN


@pytest.mark.parametrize(("earned", "outcome"), [
    ("12", YearState.NOT_MET),  # 12 + 4 counted; the appeal could add 2: 18 of 20
    ("15", YearState.WAITING),  # 15 + 4 counted; the appeal could add 2: 21 of 20
])
def test_appealed_adjustment_holds_the_year_only_by_its_difference(earned, outcome):
    certification = certify()
    earn(certification, earned)
    adjusted = earn(certification, "6", on=date(2024, 8, 1))
    adjust_entry(entry=adjusted, by=make_staff(REVIEWER), credits=D("4"),
                 reason="Four hours of the six were the course.", today=date(2025, 3, 2))
    file_appeal(denial=Denial.objects.get(entry=adjusted), by=certification.holder,
                today=date(2025, 3, 3), rationale="All six hours were the course.")

    close_certification_years(today=CLOSE_DAY)

    assert year(certification).state == outcome


def test_admin_year_list_says_a_year_was_met_by_the_boards_decision(admin_client):
    certification = certify()
    earn(certification, "15")
    close_certification_years(today=CLOSE_DAY)
    appeal = file_appeal(denial=Denial.objects.get(certification=certification),
                         by=certification.holder, today=CLOSE_DAY, rationale="Ill.")
    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True, reason="Medical leave.")

    page = admin_client.get(reverse("admin:certifications_certificationyear_changelist"))

    assert "met by the Board's decision of" in page.content.decode().replace("&#x27;", "'")
