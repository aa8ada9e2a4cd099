"""Reads for the reviewer: the review queue and, on an entry's admin page, each certification
year it belongs to with its stored standing, the capped activities' use and what the entry adds.
A fixed number of queries."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certifications.models import CertificationYear

from ..assessment import shares_once_approved
from ..belonging import belonging_windows
from ..counting import ZERO, Progress, StoppedBy, YearEnd
from ..enums import UNDECIDED_STATES, EntryState
from ..models import Entry, YearCredit
from .holder import (
    HeldFor,
    StoredYear,
    YearStanding,
    _capped_activity_types,
    _holder_certifications,
    _standing,
)

# What needs a decision: entries waiting for approval, and requested proof that has arrived.
WAITING = Q(state=EntryState.PENDING_APPROVAL) | Q(state=EntryState.PROOF_REQUESTED,
                                                   proof_submitted_at__isnull=False)


def waiting_entries() -> QuerySet[Entry]:
    """The review queue."""
    return Entry.objects.filter(WAITING)


@dataclass(frozen=True)
class YearReview:
    """One certification year an entry belongs to, as a reviewer weighs the entry: where the
    year stands (its stored standing, status and deadline), what the capped activities have
    used, and how much of the entry counts there — or would count once approved, while it
    waits for a decision — with the cap that stops the rest."""

    row: CertificationYear
    standing: YearStanding
    counts: Decimal
    stopped_by: StoppedBy | None
    # The cap that stops the rest (the activity's or the year's submission cap), if one does.
    cap: Decimal | None
    # Whether `counts` is what the entry would count once approved (it waits for a decision).
    once_approved: bool
    # What the entry is worth when it counts (its claim, or the adjusted value).
    entry_credits: Decimal

    @property
    def is_closed(self) -> bool:
        """A closed year stays as its close left it: no decision on the entry changes it."""
        return self.row.is_closed

    @property
    def status(self) -> str:
        """The year's status in words: met, in progress (on track or at risk), held after its
        deadline, closed as not met."""
        standing = self.standing
        end = standing.end
        if end == YearEnd.MET:
            if standing.board_decided_on:
                return _("met by a decision of the Board on %(date)s") % {
                    "date": date_format(standing.board_decided_on)}
            return _("closed as met") if self.is_closed else _("met")
        if end == YearEnd.EXEMPT:
            return _("no CPE required")
        if end == YearEnd.IN_PROGRESS:
            return (_("in progress, at risk") if standing.progress == Progress.AT_RISK
                    else _("in progress, on track"))
        if end == YearEnd.HELD:
            return {HeldFor.DECISIONS: _("deadline passed, held for decisions"),
                    HeldFor.APPEAL: _("deadline passed, held for an appeal"),
                    HeldFor.CLOSE: _("deadline passed, missed; to be closed")}[standing.held_for]
        if end == YearEnd.NOT_MET:
            return _("closed as not met")
        return _("not counted: the certification is decertified")

    @property
    def stopped(self) -> Decimal:
        """The part of the entry the cap stops."""
        return max(ZERO, self.entry_credits - self.counts)


def entry_review(*, entry: Entry, today: date) -> list[YearReview]:
    """Each certification year the entry belongs to, with its stored standing, the use of
    each capped activity and what the entry counts there: as stored once it counts; for an
    entry awaiting a decision, what it would count if approved now at its claim, by the
    holder's pages' own assessment (`assessment.shares_once_approved`). Five queries."""
    certifications = _holder_certifications(entry.holder)
    years = belonging_windows(certifications, activity_date=entry.activity_date,
                              reported_on=entry.reported_on)
    match = Q()
    for certification, window in years:
        match |= Q(certification=certification, number=window.number)
    if not match:
        return []
    rows = {row.certification_id: row for row in
            CertificationYear.objects.filter(match).prefetch_related(
                "activity_totals__activity_type")}
    undecided = entry.state in UNDECIDED_STATES
    would = shares_once_approved(entry=entry, years=years) if undecided else {}
    stored = {c.year_id: c for c in YearCredit.objects.filter(entry=entry)}
    capped = [a for a in _capped_activity_types() if a.active]
    reviews = []
    for certification, window in years:
        row = rows.get(certification.pk)
        if row is None:
            continue
        standing = _standing(certification, window, StoredYear(
            row.required_credits, row.counted_credits, row.undecided_credits, row.state,
            row.board_decided_on,
            {t.activity_type_id: (t.activity_type.name, t.counted)
             for t in row.activity_totals.all()}), today, capped)
        if undecided and not row.is_closed:
            share = would[certification.pk]
            counts, stopped_by, cap = share.counted, share.stopped_by, share.cap
        else:
            credit = stored.get(row.pk)
            counts = credit.counted if credit else ZERO
            stopped_by = StoppedBy(credit.stopped_by) if credit and credit.stopped_by else None
            cap = {StoppedBy.ACTIVITY_CAP: entry.activity_type.annual_cap,
                   StoppedBy.SUBMISSION_CAP: standing.submission_cap, None: None}[stopped_by]
        reviews.append(YearReview(
            row=row, standing=standing, counts=counts, stopped_by=stopped_by, cap=cap,
            once_approved=undecided and not row.is_closed, entry_credits=entry.credits))
    return reviews
