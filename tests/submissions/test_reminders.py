"""Reminders before a certification year's deadline and a proof request's deadline."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.outbox import deliver_message
from certifications.services import ensure_certification_years
from submissions.enums import EntryState
from submissions.models import Reminder
from submissions.reminders import send_cpe_reminders
from submissions.tasks import send_cpe_reminders_task
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title

pytestmark = pytest.mark.django_db

# An ISP (20 credits a year) awarded on 1 March 2024: year 2 runs from 1 March 2025 to
# 28 February 2026, and may be reported until 30 March 2026.
AWARDED = date(2024, 3, 1)
DEADLINE = date(2026, 3, 30)


def certify(holder=None, code: str = "ISP", awarded_on: date = AWARDED):
    certification = CertificationFactory(title=title(code), awarded_on=awarded_on,
                                         **({"holder": holder} if holder else {}))
    ensure_certification_years(today=date(2026, 4, 30), certifications=[certification])
    return certification


def walk(first: date, last: date) -> list[tuple[date, list[int]]]:
    """Run the job on every day from `first` to `last`; the days that sent something, with
    the offsets of the reminders written that day."""
    sent = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        # The daily task as beat starts it, at 06:00 in Amsterdam on that day.
        with time_machine.travel(f"{day.isoformat()} 06:00 +01:00", tick=False):
            send_cpe_reminders_task()
        written = sorted(Reminder.objects.filter(sent_on=day).values_list("days_before",
                                                                          flat=True))
        if written:
            sent.append((day, written))
    return sent


def delivered(message: OutboxMessage) -> mail.EmailMultiAlternatives:
    mail.outbox.clear()
    assert deliver_message(message_id=message.pk, now=timezone.now())
    return mail.outbox[0]


def test_reminders_go_out_90_30_and_7_days_before_the_deadline_once_each():
    certification = certify()

    sent = walk(date(2025, 12, 1), date(2026, 4, 5))

    assert sent == [(date(2025, 12, 30), [90]), (date(2026, 2, 28), [30]),
                    (date(2026, 3, 23), [7])]
    assert OutboxMessage.objects.filter(recipient=certification.holder,
                                        kind="cpe_reminder").count() == 3


def test_reminder_says_what_the_holder_has_what_is_missing_and_the_date():
    certification = certify()
    EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1),
                 hours=D("7.5"), claimed_credits=D("7.50"))

    send_cpe_reminders(today=date(2026, 2, 28))

    message = delivered(OutboxMessage.objects.get(kind="cpe_reminder"))
    assert message.to == [certification.holder.email]
    assert message.subject == "Information Security Practitioner: CPE credits due by 30 March 2026"
    assert "7.50 of 20.00 credits counted, 12.50 to go. Report by 30 March 2026 (30 days " \
        "from now)." in message.body
    assert f"/certifications/{certification.pk}/years/2/" in message.body
    html = message.alternatives[0][0]
    assert "<strong>12.50 to go</strong>" in html


def test_no_reminder_once_the_year_is_met():
    certification = certify()
    EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1),
                 hours=D("20"), claimed_credits=D("20.00"))

    assert walk(date(2025, 12, 1), date(2026, 4, 5)) == []


def test_no_reminder_for_a_foundation_title_or_a_decertified_certification():
    certify(code="ISF")
    decertified = certify(code="DPP")
    decertified.status, decertified.decertified_on = "decertified", date(2025, 4, 1)
    decertified.save()

    assert walk(date(2025, 12, 1), date(2026, 4, 5)) == []


def test_a_missed_reminder_goes_out_on_the_next_run_once():
    certify()

    send_cpe_reminders(today=date(2026, 3, 2))  # the 30-day reminder was due on 28 February
    send_cpe_reminders(today=date(2026, 3, 3))

    assert list(Reminder.objects.values_list("sent_on", "days_before")) == [
        (date(2026, 3, 2), 30)]


def test_when_several_reminders_were_missed_only_the_nearest_goes_out():
    certify()

    sent = walk(date(2026, 3, 25), date(2026, 4, 5))  # 90 and 30 days before were missed

    assert sent == [(date(2026, 3, 25), [7])]


def test_a_holder_with_two_years_due_on_one_run_gets_one_mail_listing_both():
    holder = UserFactory()
    certify(holder, "ISP")
    certify(holder, "DPE", awarded_on=date(2023, 3, 1))  # the same deadline, 40 a year

    send_cpe_reminders(today=date(2026, 2, 28))

    assert Reminder.objects.count() == 2
    message = delivered(OutboxMessage.objects.get(recipient=holder))
    assert message.subject == "CPE credits due for 2 certifications"
    assert "Information Security Practitioner" in message.body
    assert "Data Protection Expert" in message.body


def test_two_certifications_with_different_deadlines_are_reminded_on_their_own_days():
    holder = UserFactory()
    certify(holder, "ISP")
    # Year 2 ends on 14 May 2026 and may be reported until 13 June.
    certify(holder, "DPE", awarded_on=date(2024, 5, 15))

    sent = walk(date(2025, 12, 1), date(2026, 6, 30))

    assert sent == [
        (date(2025, 12, 30), [90]), (date(2026, 2, 28), [30]), (date(2026, 3, 15), [90]),
        (date(2026, 3, 23), [7]), (date(2026, 5, 14), [30]), (date(2026, 6, 6), [7])]


def test_running_twice_sends_nothing_twice():
    certify()
    certify()

    first = send_cpe_reminders(today=date(2026, 2, 28))
    second = send_cpe_reminders(today=date(2026, 2, 28))

    assert (first.year_reminders, first.messages) == (2, 2)
    assert (second.year_reminders, second.messages) == (0, 0)
    assert OutboxMessage.objects.count() == 2


def test_proof_request_gets_a_reminder_7_days_before_its_deadline():
    certification = certify()
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1),
                         state=EntryState.PROOF_REQUESTED, proof_due_on=date(2025, 7, 1),
                         title="Incident response course")
    met = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 2),
                       state=EntryState.PROOF_REQUESTED, proof_due_on=date(2025, 7, 1))
    met.proof_submitted_at = timezone.now()
    met.save()

    sent = walk(date(2025, 6, 1), date(2025, 7, 5))

    assert sent == [(date(2025, 6, 24), [7])]
    assert list(Reminder.objects.values_list("entry", flat=True)) == [entry.pk]
    message = delivered(OutboxMessage.objects.get(kind="proof_reminder"))
    assert message.subject == "Proof due by 1 July 2025"
    assert "“Incident response course” of 1 May 2025: proof due by 1 July 2025" in message.body


def test_command_sends_as_of_the_date_and_says_how_many(capsys):
    certify()

    call_command("send_cpe_reminders", "--date", "2026-02-28")

    assert "Reminders as of 2026-02-28: 1 certification year(s) and 0 proof request(s), " \
        "in 1 mail(s)." in capsys.readouterr().out
