"""Reminders before deadlines: of a certification year's reporting deadline, at each of
`CPE_REMINDER_DAYS` before it, to holders whose year is not met; and of a proof request's
deadline, 7 days before it.

Set-based: one query selects every reminder due on the day; then, in committed batches of
holders, one INSERT writes their outbox messages and one the Reminder rows that stand for them.
The Reminder rows' unique constraints make each (year, offset) and each proof request go out at
most once; a run killed between batches, or run again, or run at the same time as another
(they take turns under an advisory lock), sends nothing twice.

Which offset is due: the nearest to the deadline whose day has come. On the day 30 days before
the deadline the 30-day reminder is due; a run that did not happen then sends it on the next
day, once. When several were missed, only the nearest goes out: the 90-day one is never sent
once the 30-day one is due.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Value, When

from accounts.outbox import Mail, queue_mails
from certifications.enums import CertificationStatus, YearState
from certifications.models import CertificationYear
from common.jobs import batches_by_holder, job_lock
from common.mail import site_url

from .models import OWES_PROOF, Entry, Reminder

PROOF_REMINDER_DAYS = 7
BATCH_HOLDERS = 1000


@dataclass(frozen=True)
class ReminderRun:
    year_reminders: int
    proof_reminders: int
    messages: int


def reminder_offsets() -> list[int]:
    """The days before a deadline on which a year not met is reminded of it, fewest first."""
    return sorted({int(days) for days in settings.CPE_REMINDER_DAYS if int(days) >= 0})


def due_year_reminders(*, today: date):
    """The year reminders due on `today` that have not gone out: open years of active
    certifications that collect CPE, below their requirement, whose deadline is at most the
    largest offset away; each with the nearest offset whose day has come."""
    offsets = reminder_offsets()
    if not offsets:
        return CertificationYear.objects.none()
    due = Case(*(When(deadline__lte=today + timedelta(days=days), then=Value(days))
                 for days in offsets), output_field=IntegerField())
    return (CertificationYear.objects
            .filter(state=YearState.OPEN, deadline__gte=today,
                    deadline__lte=today + timedelta(days=offsets[-1]),
                    required_credits__gt=0, counted_credits__lt=F("required_credits"),
                    certification__status=CertificationStatus.ACTIVE)
            .annotate(due=due)
            .exclude(Exists(Reminder.objects.filter(year=OuterRef("pk"),
                                                    days_before=OuterRef("due"))))
            .order_by("certification__holder_id", "deadline", "pk")
            .values("pk", "number", "deadline", "counted_credits", "required_credits", "due",
                    "certification_id", "certification__title__name",
                    "certification__holder_id", "certification__holder__email"))


def due_proof_reminders(*, today: date):
    """Proof requests whose deadline is at most 7 days away, still without proof, not
    reminded of yet."""
    return (Entry.objects
            .filter(OWES_PROOF, proof_due_on__gte=today,
                    proof_due_on__lte=today + timedelta(days=PROOF_REMINDER_DAYS))
            .exclude(Exists(Reminder.objects.filter(entry=OuterRef("pk"),
                                                    deadline=OuterRef("proof_due_on"))))
            .order_by("holder_id", "proof_due_on", "pk")
            .values("pk", "title", "activity_date", "proof_due_on", "holder_id",
                    "holder__email"))


@transaction.atomic
def _send_year_batch(holders: Sequence[list[dict]], *, today: date) -> int:
    log_url = site_url("submissions:entry_create")
    mails = [Mail(name="cpe_reminder", recipient_id=years[0]["certification__holder_id"],
                  to=years[0]["certification__holder__email"], context={
                      "years": [{
                          "title": year["certification__title__name"],
                          "number": year["number"], "deadline": year["deadline"],
                          "counted": year["counted_credits"],
                          "required": year["required_credits"],
                          "missing": year["required_credits"] - year["counted_credits"],
                          "days_left": (year["deadline"] - today).days,
                          "url": site_url("submissions:year_detail", year["certification_id"],
                                      year["number"]),
                      } for year in years],
                      "log_url": log_url,
                  })
             for years in holders]
    message_ids = queue_mails(mails)
    Reminder.objects.bulk_create(
        Reminder(year_id=year["pk"], days_before=year["due"], deadline=year["deadline"],
                 sent_on=today, message_id=message_id)
        for years, message_id in zip(holders, message_ids, strict=True) for year in years)
    return sum(len(years) for years in holders)


@transaction.atomic
def _send_proof_batch(holders: Sequence[list[dict]], *, today: date) -> int:
    mails = [Mail(name="proof_reminder", recipient_id=entries[0]["holder_id"],
                  to=entries[0]["holder__email"], context={
                      "entries": [{
                          "title": entry["title"], "activity_date": entry["activity_date"],
                          "due_on": entry["proof_due_on"],
                          "url": site_url("submissions:entry_detail", entry["pk"]),
                      } for entry in entries],
                  })
             for entries in holders]
    message_ids = queue_mails(mails)
    Reminder.objects.bulk_create(
        Reminder(entry_id=entry["pk"], days_before=PROOF_REMINDER_DAYS,
                 deadline=entry["proof_due_on"], sent_on=today, message_id=message_id)
        for entries, message_id in zip(holders, message_ids, strict=True) for entry in entries)
    return sum(len(entries) for entries in holders)


def send_cpe_reminders(*, today: date, batch_holders: int = BATCH_HOLDERS) -> ReminderRun:
    """Send the reminders due on `today`: one mail per holder listing every certification year
    due a reminder (what they have, what is missing, the deadline), and one listing their proof
    requests due within 7 days.

    Side effects: outbox messages and Reminder rows, committed a batch of holders at a time;
    delivery after each commit. Safe to run again, at the same time, or after a crash."""
    year_reminders = proof_reminders = messages = 0
    # Each list is read at once, not through a server-side cursor (`.iterator()`), for which
    # PostgreSQL plans to return the first rows soon: it walked every holder in id order to
    # join their few due rows, 4 and 19 times slower over 100,000 holders.
    with job_lock("send_cpe_reminders"):
        for batch in batches_by_holder(due_year_reminders(today=today),
                                       itemgetter("certification__holder_id"), batch_holders):
            year_reminders += _send_year_batch(batch, today=today)
            messages += len(batch)
        for batch in batches_by_holder(due_proof_reminders(today=today),
                                       itemgetter("holder_id"), batch_holders):
            proof_reminders += _send_proof_batch(batch, today=today)
            messages += len(batch)
    return ReminderRun(year_reminders, proof_reminders, messages)

