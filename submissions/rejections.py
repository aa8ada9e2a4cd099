"""What rejecting an entry writes, in one place: a reviewer's reject (`review.reject_entry`) and
a missed proof deadline (`deadlines.expire_proof_requests`) both end in `reject_entries`, so
the holder's records and mail say the same whoever decided.

The callers decide which entries may be rejected and hold the locks; this module writes the
rejection itself, for one entry or a batch, in a fixed number of statements.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.models import User
from accounts.outbox import Mail, queue_mails
from certifications.models import CertificationYear
from common.mail import site_url

from .enums import DenialKind, EntryState
from .models import Denial, Entry, EntryStateChange, appeal_until
from .services import HISTORY_REASON_LENGTH, record_denials
from .standings.recount import recount_years

# The holder's mail, whoever rejected the entry.
REJECTION_MAIL = "entry_rejected"


@dataclass(frozen=True)
class Rejection:
    """One entry to reject, locked and as it stands before the rejection (with its holder
    loaded), and why: the reason the holder reads in the state change, the denial and the
    mail."""

    entry: Entry
    reason: str


def rejection_mail_context(entry: Entry, *, reason: str, today: date) -> Mapping[str, object]:
    """What the rejection mail says: the entry (its title and date), its page, the reason and
    the last day to appeal. Plain values, so the outbox can keep them until it sends."""
    return {
        "entry": {"title": entry.title, "activity_date": entry.activity_date},
        "entry_url": site_url("submissions:entry_detail", entry.pk),
        "reason": reason,
        "appeal_until": appeal_until(today),
    }


# Part of the caller's transaction (which holds the locks): no savepoint of its own.
@transaction.atomic(savepoint=False)
def reject_entries(*, rejections: Sequence[Rejection], by: User | None, today: date,
                   summary: str) -> list[Entry]:
    """Reject entries the caller has locked (their holders too, `standings.lock_holders`) and
    found open to rejection: they stop counting, and each is a denial the holder may appeal.

    Side effects, in the caller's transaction: each entry's state becomes `rejected` and its
    proof deadline is cleared (one UPDATE, with a history row each: by `by`, with `summary` as
    its reason); a state change each, by `by`, with the whole reason (`by` None: the deadline
    decided); a denial each (entry rejected, dated `today`) through `record_denials`; every
    year of the holders recounted from the earliest activity date among the entries (the
    holders' records version moves on); an `entry_rejected` mail each in the outbox, once per
    entry. Returns the entries, rejected.
    """
    if not rejections:
        return []
    now = timezone.now()
    entries = [rejection.entry for rejection in rejections]
    from_states = {entry.pk: entry.state for entry in entries}
    for entry in entries:
        entry.state, entry.proof_due_on, entry.updated_at = EntryState.REJECTED, None, now
    bulk_update_with_history(entries, Entry, ["state", "proof_due_on", "updated_at"],
                             default_user=by,
                             default_change_reason=summary[:HISTORY_REASON_LENGTH],
                             default_date=now)
    EntryStateChange.objects.bulk_create(
        EntryStateChange(entry=rejection.entry, from_state=from_states[rejection.entry.pk],
                         to_state=EntryState.REJECTED, changed_by=by, reason=rejection.reason,
                         changed_at=now)
        for rejection in rejections)
    record_denials([Denial(holder_id=rejection.entry.holder_id, entry=rejection.entry,
                           kind=DenialKind.ENTRY_REJECTED, denied_on=today,
                           reason=rejection.reason, created_at=now)
                    for rejection in rejections])
    holder_ids = sorted({entry.holder_id for entry in entries})
    recount_years(CertificationYear.objects.filter(certification__holder_id__in=holder_ids)
                  .values_list("pk", flat=True),
                  since=min(entry.activity_date for entry in entries),
                  changed_entries=list(from_states))
    queue_mails([Mail(name=REJECTION_MAIL, recipient_id=rejection.entry.holder_id,
                      to=rejection.entry.holder.email,
                      # An entry is rejected once: rejected is final but for the Board.
                      dedupe_key=f"entry-rejected:{rejection.entry.pk}",
                      context=rejection_mail_context(rejection.entry, reason=rejection.reason,
                                                     today=today))
                 for rejection in rejections])
    return entries
