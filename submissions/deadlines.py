"""Missed proof deadlines: an entry whose requested proof did not arrive by its deadline is
rejected, as a reviewer would reject it, with a denial the holder may appeal.

Set-based: one query lists the holders with expired requests; per batch of holders, under their
locks, one transaction re-reads the entries still expired, rejects them (state, history, state
changes), makes their denials, recounts the years of those holders and writes the mail, in a
fixed number of statements. The UPDATE claims each entry: a run killed between batches, or run
again, rejects nothing twice and mails nothing twice.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.outbox import Mail, queue_mails
from certifications.models import CertificationYear
from common.jobs import job_lock
from common.mail import site_url

from .enums import DenialKind, EntryState
from .models import Denial, Entry, EntryStateChange, appeal_until
from .services import record_denials
from .standings import lock_holders, recount_years

BATCH_HOLDERS = 500


@dataclass(frozen=True)
class ExpiryRun:
    rejected: int
    messages: int


def expired_proof_requests(*, today: date):
    """Entries waiting for proof whose deadline passed before `today` without any."""
    return Entry.objects.filter(state=EntryState.PROOF_REQUESTED, proof_due_on__lt=today,
                                proof_submitted_at__isnull=True)


def _reason(due_on: date) -> str:
    return _("No proof arrived by the deadline of %(date)s.") % {"date": due_on.isoformat()}


@transaction.atomic
def _expire_batch(holder_ids: list[int], *, today: date) -> ExpiryRun:
    lock_holders(holder_ids)
    entries = list(expired_proof_requests(today=today).filter(holder_id__in=holder_ids)
                   .select_for_update(of=("self",)).select_related("holder")
                   .order_by("holder_id", "pk"))
    if not entries:
        return ExpiryRun(0, 0)
    now = timezone.now()
    due = {entry.pk: entry.proof_due_on for entry in entries}
    for entry in entries:
        entry.state, entry.proof_due_on, entry.updated_at = EntryState.REJECTED, None, now
    bulk_update_with_history(entries, Entry, ["state", "proof_due_on", "updated_at"],
                             default_change_reason=_("Proof deadline missed"),
                             default_date=now)
    EntryStateChange.objects.bulk_create(
        EntryStateChange(entry=entry, from_state=EntryState.PROOF_REQUESTED,
                         to_state=EntryState.REJECTED, changed_by=None,
                         reason=_reason(due[entry.pk]), changed_at=now)
        for entry in entries)
    record_denials([Denial(holder_id=entry.holder_id, entry=entry,
                           kind=DenialKind.ENTRY_REJECTED, denied_on=today,
                           reason=_reason(due[entry.pk]), created_at=now)
                    for entry in entries])
    recount_years(CertificationYear.objects.filter(certification__holder_id__in=holder_ids)
                  .values_list("pk", flat=True),
                  since=min(entry.activity_date for entry in entries),
                  changed_entries=list(due))
    queue_mails([Mail(name="entry_rejected", recipient_id=entry.holder_id, to=entry.holder.email,
                      dedupe_key=f"proof-expired:{entry.pk}:{due[entry.pk].isoformat()}",
                      context={
                          "entry": {"title": entry.title, "activity_date": entry.activity_date},
                          "entry_url": site_url("submissions:entry_detail", entry.pk),
                          "reason": _reason(due[entry.pk]), "appeal_until": appeal_until(today)})
                 for entry in entries])
    return ExpiryRun(len(entries), len(entries))


def expire_proof_requests(*, today: date, batch_holders: int = BATCH_HOLDERS) -> ExpiryRun:
    """Reject every entry whose proof deadline passed before `today` without proof.

    Side effects, per batch of holders in one transaction: the entries rejected (history and
    state change recorded, by nobody: the deadline decided), a denial each, their years
    recounted, a mail each (the reason and how to appeal). Safe to run again, and after a
    crash."""
    rejected = messages = 0
    with job_lock("expire_proof_requests"):
        holders = list(expired_proof_requests(today=today).order_by("holder_id")
                       .values_list("holder_id", flat=True).distinct())
        for start in range(0, len(holders), batch_holders):
            run = _expire_batch(holders[start:start + batch_holders], today=today)
            rejected += run.rejected
            messages += run.messages
    return ExpiryRun(rejected, messages)
