"""Reads for the reviewer: the review queue and, on an entry's admin page, each certification
year it belongs to with its stored standing, the capped activities' use and what the entry adds.
A fixed number of queries."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from certifications.models import CertificationYear

from ..belonging import belonging_windows
from ..counting import ZERO, StoppedBy
from ..enums import EntryState
from ..models import Entry, YearCredit
from .holder import CapUse, _capped_activity_types, _holder_certifications

# What needs a decision: entries waiting for approval, and requested proof that has arrived.
WAITING = Q(state=EntryState.PENDING_APPROVAL) | Q(state=EntryState.PROOF_REQUESTED,
                                                   proof_submitted_at__isnull=False)


def waiting_entries() -> QuerySet[Entry]:
    """The review queue."""
    return Entry.objects.filter(WAITING)


@dataclass(frozen=True)
class YearReview:
    """One certification year an entry belongs to, as a reviewer weighs the entry: where the
    year stands, what the capped activities have used, and what this entry adds."""

    year: CertificationYear
    adds: Decimal
    stopped_by: StoppedBy | None
    cap_uses: tuple[CapUse, ...]

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.year.required_credits - self.year.counted_credits)


def entry_review(*, entry: Entry) -> list[YearReview]:
    """Each certification year the entry belongs to, with its stored standing, the use of
    each capped activity and what the entry counts there (zero until it counts). Four
    queries."""
    certifications = _holder_certifications(entry.holder)
    years = belonging_windows(certifications, activity_date=entry.activity_date,
                              reported_on=entry.reported_on)
    match = Q()
    for certification, window in years:
        match |= Q(certification=certification, number=window.number)
    if not match:
        return []
    rows = list(CertificationYear.objects.filter(match).select_related("certification__title")
                .prefetch_related("activity_totals"))
    adds = {c.year_id: c for c in YearCredit.objects.filter(entry=entry)}
    capped = [a for a in _capped_activity_types() if a.active]
    reviews = []
    for row in rows:
        used = {t.activity_type_id: t.counted for t in row.activity_totals.all()}
        credit = adds.get(row.pk)
        reviews.append(YearReview(
            year=row, adds=credit.counted if credit else ZERO,
            stopped_by=StoppedBy(credit.stopped_by) if credit and credit.stopped_by else None,
            cap_uses=tuple(CapUse(a, used.get(a.pk, ZERO), a.annual_cap) for a in capped)))
    return reviews

