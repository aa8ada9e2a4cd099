"""The year-end close, walked day by day with a frozen clock."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.outbox import deliver_message
from appeals.enums import AppealState
from appeals.models import Appeal
from certifications.enums import CertificationStatus, YearState
from certifications.models import Certification, CertificationYear
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import approve_entry, reject_entry
from submissions.services import record_denial
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.staff import make_staff
from yearend.closing import close_certification_years
from yearend.tasks import close_certification_years_task

pytestmark = pytest.mark.django_db

# An ISP (20 credits a year) awarded on 1 March 2024: year 1 ends on 28 February 2025 and may be
# reported until 30 March 2025; the close on 31 March decides it.
AWARDED = date(2024, 3, 1)
DEADLINE = date(2025, 3, 30)


def certify(holder=None, code: str = "ISP", awarded_on: date = AWARDED) -> Certification:
    certification = CertificationFactory(title=title(code), awarded_on=awarded_on,
                                         **({"holder": holder} if holder else {}))
    ensure_certification_years(today=awarded_on, certifications=[certification])
    return certification


def earn(certification: Certification, credits: str, *, on: date = date(2024, 6, 1),
         state: str = EntryState.SUBMITTED, **fields):
    return EntryFactory(holder=certification.holder, activity_date=on, hours=D(credits),
                        claimed_credits=D(credits), state=state, **fields)


def run_on(day: date) -> None:
    """The daily task, as beat starts it, on `day` at 01:00 in Amsterdam."""
    with time_machine.travel(f"{day.isoformat()} 01:00 +01:00", tick=False):
        close_certification_years_task()


def walk(certification: Certification, first: date, last: date) -> dict[date, str]:
    """Run the close every day; the days on which the certification's year 1 changed state."""
    changes, state = {}, None
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        run_on(day)
        now = CertificationYear.objects.get(certification=certification, number=1).state
        if now != state:
            changes[day] = now
            state = now
    return changes


def year(certification: Certification, number: int = 1) -> CertificationYear:
    return CertificationYear.objects.get(certification=certification, number=number)


def delivered(message: OutboxMessage):
    mail.outbox.clear()
    assert deliver_message(message_id=message.pk, now=timezone.now())
    return mail.outbox[0]


def test_a_met_year_closes_the_day_after_its_deadline_and_the_holder_is_told():
    certification = certify()
    earn(certification, "20")

    changes = walk(certification, DEADLINE - timedelta(days=2), DEADLINE + timedelta(days=3))

    assert changes == {DEADLINE - timedelta(days=2): YearState.OPEN,
                       DEADLINE + timedelta(days=1): YearState.MET}
    certification.refresh_from_db()
    assert certification.status == CertificationStatus.ACTIVE
    assert year(certification, 2).state == YearState.OPEN  # the next year is open
    message = delivered(OutboxMessage.objects.get(kind="year_met"))
    assert message.subject == "Information Security Practitioner: year 1 is met"
    assert "is closed as met: 20.00 of 20.00 CPE credits counted" in message.body


def test_a_short_year_decertifies_with_a_denial_the_badge_and_a_mail_to_appeal(client):
    certification = certify()
    earn(certification, "11.5")

    changes = walk(certification, DEADLINE, DEADLINE + timedelta(days=2))

    assert changes == {DEADLINE: YearState.OPEN, DEADLINE + timedelta(days=1): YearState.NOT_MET}
    certification.refresh_from_db()
    closing_day = DEADLINE + timedelta(days=1)
    assert (certification.status, certification.decertified_on) == (
        CertificationStatus.DECERTIFIED, closing_day)
    denial = Denial.objects.get()
    assert (denial.kind, denial.certification, denial.holder, denial.denied_on) == (
        DenialKind.DECERTIFIED, certification, certification.holder, closing_day)
    assert denial.reason == (
        "Year 1 of Information Security Practitioner (1 March 2024 to 28 February 2025) ended "
        "with 11.50 of the 20.00 CPE credits it requires, and nothing left to decide could make "
        "up the rest by the reporting deadline of 30 March 2025.")
    history = certification.history.order_by("-history_id").first()
    assert (history.status, history.history_change_reason) == (
        CertificationStatus.DECERTIFIED, "Decertified at the year-end close")
    badge = client.get(f"/verify/{certification.badge_id}/")
    assert badge.context["certification"].status == CertificationStatus.DECERTIFIED
    message = delivered(OutboxMessage.objects.get(kind="decertified"))
    assert message.to == [certification.holder.email]
    assert "decertified as of 31 March 2025" in message.body
    assert "appeal to the Board in writing (at most two pages) until 29 June 2025" in message.body


def test_a_foundation_title_is_never_decertified():
    certification = certify(code="ISF")

    walk(certification, DEADLINE, DEADLINE + timedelta(days=1))

    certification.refresh_from_db()
    assert certification.status == CertificationStatus.ACTIVE
    assert year(certification).state == YearState.EXEMPT
    assert not OutboxMessage.objects.exists()


def test_a_held_year_is_closed_once_its_pending_entry_is_decided():
    certification = certify()
    earn(certification, "15")
    book = earn(certification, "5", state=EntryState.PENDING_APPROVAL)
    reviewer = make_staff("Reviewer")

    changes = walk(certification, DEADLINE, DEADLINE + timedelta(days=5))
    assert changes == {DEADLINE: YearState.OPEN, DEADLINE + timedelta(days=1): YearState.WAITING}
    assert not OutboxMessage.objects.exists()

    approve_entry(entry=book, by=reviewer, today=DEADLINE + timedelta(days=6))
    run_on(DEADLINE + timedelta(days=7))
    run_on(DEADLINE + timedelta(days=8))

    assert year(certification).state == YearState.MET
    assert OutboxMessage.objects.filter(kind="year_met").count() == 1
    certification.refresh_from_db()
    assert certification.status == CertificationStatus.ACTIVE


def test_a_held_year_decertifies_once_its_pending_entry_is_rejected():
    certification = certify()
    earn(certification, "15")
    book = earn(certification, "5", state=EntryState.PENDING_APPROVAL)
    run_on(DEADLINE + timedelta(days=1))

    reject_entry(entry=book, by=make_staff("Reviewer"), reason="Not relevant",
                 today=DEADLINE + timedelta(days=2))
    run_on(DEADLINE + timedelta(days=3))

    certification.refresh_from_db()
    assert certification.status == CertificationStatus.DECERTIFIED
    assert certification.decertified_on == DEADLINE + timedelta(days=3)
    assert year(certification).state == YearState.NOT_MET


def test_a_pending_entry_too_small_to_make_it_met_does_not_hold_the_close():
    certification = certify()
    earn(certification, "10")
    earn(certification, "5", state=EntryState.PENDING_APPROVAL)

    run_on(DEADLINE + timedelta(days=1))

    assert year(certification).state == YearState.NOT_MET


def test_an_open_appeal_that_could_make_the_year_met_holds_the_close():
    certification = certify()
    earn(certification, "12")
    rejected = earn(certification, "8", state=EntryState.REJECTED)
    denial = record_denial(holder=certification.holder, kind=DenialKind.ENTRY_REJECTED,
                           entry=rejected, denied_on=date(2025, 3, 1), reason="Not relevant")
    appeal = Appeal.objects.create(denial=denial, rationale="It was relevant.")

    run_on(DEADLINE + timedelta(days=1))
    assert year(certification).state == YearState.WAITING

    appeal.state, appeal.decision_reason = AppealState.DISMISSED, "Not relevant indeed."
    appeal.decided_at = timezone.now()
    appeal.save()
    run_on(DEADLINE + timedelta(days=2))

    assert year(certification).state == YearState.NOT_MET


def test_a_leap_day_award_closes_the_day_after_its_own_deadline():
    # Awarded on 29 February 2024: year 1 ends on 27 February 2025 (the anniversary is the
    # 28th), and may be reported until 29 March 2025.
    certification = certify(awarded_on=date(2024, 2, 29))
    earn(certification, "3", on=date(2024, 3, 1))

    changes = walk(certification, date(2025, 3, 28), date(2025, 4, 1))

    assert changes == {date(2025, 3, 28): YearState.OPEN, date(2025, 3, 30): YearState.NOT_MET}
    assert year(certification).deadline == date(2025, 3, 29)


def test_two_certifications_whose_years_end_on_different_days_close_on_their_own_days():
    holder = UserFactory()
    practitioner = certify(holder, "ISP")
    expert = certify(holder, "DPE", awarded_on=date(2024, 5, 15))
    earn(practitioner, "25", on=date(2024, 6, 1))  # counts for both: ISP met, DPE (40) short

    changes = {}
    for day in (date(2025, 3, 30), date(2025, 3, 31), date(2025, 6, 13), date(2025, 6, 14)):
        run_on(day)
        changes[day] = (year(practitioner).state, year(expert).state)

    assert changes == {
        date(2025, 3, 30): (YearState.OPEN, YearState.OPEN),
        date(2025, 3, 31): (YearState.MET, YearState.OPEN),
        date(2025, 6, 13): (YearState.MET, YearState.OPEN),
        date(2025, 6, 14): (YearState.MET, YearState.NOT_MET),
    }
    practitioner.refresh_from_db()
    expert.refresh_from_db()
    assert practitioner.status == CertificationStatus.ACTIVE
    assert (expert.status, expert.decertified_on) == (CertificationStatus.DECERTIFIED,
                                                      date(2025, 6, 14))


def test_the_close_lays_missing_years_itself():
    certification = CertificationFactory(awarded_on=AWARDED)  # no years laid at all

    run_on(DEADLINE + timedelta(days=1))

    assert year(certification).state == YearState.NOT_MET
    assert year(certification, 2).state == YearState.OPEN


def test_closing_twice_changes_nothing_the_second_time():
    met, short, held = certify(), certify(), certify()
    earn(met, "20")
    earn(short, "2")
    earn(held, "20", state=EntryState.PENDING_APPROVAL)
    today = DEADLINE + timedelta(days=1)

    first = close_certification_years(today=today)
    second = close_certification_years(today=today)

    assert (first.met, first.decertified, first.held, first.messages) == (1, 1, 1, 2)
    assert (second.met, second.decertified, second.held, second.messages) == (0, 0, 0, 0)
    assert Denial.objects.count() == 1
    assert OutboxMessage.objects.count() == 2
    assert Certification.history.filter(history_type="~").count() == 1


def test_batches_of_holders_close_the_same_as_one_batch():
    certifications = [certify() for _ in range(7)]
    for n, certification in enumerate(certifications):
        earn(certification, str(5 * n + 1))

    run = close_certification_years(today=DEADLINE + timedelta(days=1), batch_holders=2)

    assert run.batches == 4
    assert (run.met, run.decertified) == (3, 4)


def test_command_closes_as_of_the_date_and_says_what_it_did(capsys):
    earn(certify(), "20")
    certify()

    call_command("close_certification_years", "--date", "2025-03-31")

    assert capsys.readouterr().out.strip() == (
        "Closed as of 2025-03-31: 1 year(s) met, 1 certification(s) decertified, 0 year(s) "
        "held for decisions, 0 without CPE; 2 mail(s).")
