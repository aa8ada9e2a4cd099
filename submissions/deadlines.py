"""Missed proof deadlines: an entry whose requested proof did not arrive by its deadline is
rejected, as a reviewer would reject it, with a denial the holder may appeal.

Set-based: one query lists the holders with expired requests; per batch of holders, under their
locks, one transaction re-reads the entries still expired and rejects them through
`rejections.reject_entries`, the path a reviewer's reject takes too (state, history, state
changes, denials, the years recounted, the mail), in a fixed number of statements. Re-read
under the locks, an entry rejected already is no longer expired: a run killed between batches,
or run again, rejects nothing twice and mails nothing twice.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from common.jobs import job_lock

from .models import OWES_PROOF, Entry
from .rejections import Rejection, reject_entries
from .standings.recount import lock_holders

BATCH_HOLDERS = 500


@dataclass(frozen=True)
class ExpiryRun:
    rejected: int
    messages: int


def expired_proof_requests(*, today: date):
    """Entries waiting for proof whose deadline passed before `today` without any."""
    return Entry.objects.filter(OWES_PROOF, proof_due_on__lt=today)


def _reason(due_on: date) -> str:
    return _("No proof arrived by the deadline of %(date)s.") % {
        "date": formats.date_format(due_on)}


@transaction.atomic
def _expire_batch(holder_ids: list[int], *, today: date) -> ExpiryRun:
    lock_holders(holder_ids)
    entries = list(expired_proof_requests(today=today).filter(holder_id__in=holder_ids)
                   .select_for_update(of=("self",)).select_related("holder")
                   .order_by("holder_id", "pk"))
    if not entries:
        return ExpiryRun(0, 0)
    reject_entries(rejections=[Rejection(entry, _reason(entry.proof_due_on))
                               for entry in entries],
                   by=None, today=today, summary=_("Proof deadline missed"))
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
