"""Reads for an audit sample: the preview a reviewer confirms (who would be drawn, which of
their entries would be asked for proof, and what that does to their certification years), and
the entries a drawn sample asked, with their state. A fixed number of queries, whatever the
size of the sample."""

import hashlib
from collections import defaultdict
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import User
from activities.models import ActivityType
from certifications.enums import CLOSED_YEAR_STATES, CertificationStatus
from certifications.models import CertificationYear
from certifications.rules import takes_entry

from ..counting import Progress, progress
from ..enums import EntryState
from ..models import Audit, Entry
from ..review import audit_population, auditable_entries, draw_holders
from ..standings.check import recount_in_python
from .overview import Standing

# The words the holders overview uses for each standing (its filter's choices).
STANDING_LABELS = dict(Standing.CHOICES)


@dataclass(frozen=True)
class YearEffect:
    """What asking proof does to one certification year of a drawn holder: the asked entries
    stop counting there until their proof is accepted."""

    year: CertificationYear
    counted_before: Decimal
    counted_after: Decimal
    before: Progress
    after: Progress

    def get_before_display(self) -> str:
        return str(STANDING_LABELS[self.before])

    def get_after_display(self) -> str:
        return str(STANDING_LABELS[self.after])

    @property
    def falls(self) -> bool:
        """Met now, no longer met once the entries are asked."""
        return self.before == Progress.MET and self.after != Progress.MET


@dataclass(frozen=True)
class DrawnHolder:
    holder: User
    entries: list[Entry]
    years: list[YearEffect]

    @property
    def falls(self) -> list[YearEffect]:
        return [effect for effect in self.years if effect.falls]


@dataclass(frozen=True)
class AuditPreview:
    population: int
    holders: list[DrawnHolder]
    # Names this draw (parameters, holders, entries): the confirmation must match it.
    fingerprint: str

    @property
    def entries(self) -> list[Entry]:
        return [entry for drawn in self.holders for entry in drawn.entries]

    @property
    def approved(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.state == EntryState.APPROVED]

    @property
    def asked_holders(self) -> list[DrawnHolder]:
        return [drawn for drawn in self.holders if drawn.entries]

    @property
    def falling(self) -> list[DrawnHolder]:
        """The holders with a year that would go from met to not met."""
        return [drawn for drawn in self.holders if drawn.falls]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]


def audit_preview(*, period_start: date, period_end: date, percent: Decimal, seed: str,
                  due_on: date, today: date) -> AuditPreview:
    """What `review.draw_audit_sample` would do with these settings, without doing it."""
    population = audit_population(period_start=period_start, period_end=period_end)
    drawn = draw_holders(population, percent=percent, seed=seed)
    users = User.objects.in_bulk(drawn)
    asked: dict[int, list[Entry]] = defaultdict(list)
    for entry in auditable_entries(holder_ids=drawn, period_start=period_start,
                                   period_end=period_end).select_related("activity_type"):
        asked[entry.holder_id].append(entry)
    effects = _year_effects(asked, today=today)
    holders = [DrawnHolder(users[holder_id], asked.get(holder_id, []), effects.get(holder_id, []))
               for holder_id in drawn]
    holders.sort(key=lambda d: (d.holder.full_name.casefold(), d.holder.email))
    fingerprint = _fingerprint(period_start, period_end, percent, seed, due_on, drawn,
                               [entry.pk for entry in (e for h in holders for e in h.entries)])
    return AuditPreview(len(population), holders, fingerprint)


def _year_effects(asked: dict[int, list[Entry]], *,
                  today: date) -> dict[int, list[YearEffect]]:
    """Each open year an asked entry belongs to, counted as it stands and with the asked
    entries waiting for proof. Three queries."""
    if not asked:
        return {}
    years = [
        year for year in CertificationYear.objects.filter(
            certification__holder_id__in=list(asked),
            certification__status=CertificationStatus.ACTIVE, required_credits__gt=0)
        .exclude(state__in=sorted(CLOSED_YEAR_STATES))
        .select_related("certification__title").order_by("certification__title__name",
                                                          "number")
        if any(takes_entry(year.window, activity_date=entry.activity_date,
                           reported_on=entry.reported_on)
               for entry in asked[year.certification.holder_id])]
    if not years:
        return {}
    earliest = min(year.starts_on for year in years)
    latest = max(year.ends_on for year in years)
    entries: dict[int, list[Entry]] = defaultdict(list)
    for entry in Entry.objects.filter(holder_id__in=list(asked),
                                      activity_date__range=(earliest, latest)):
        entries[entry.holder_id].append(entry)
    caps = dict(ActivityType.objects.values_list("pk", "annual_cap"))
    effects: dict[int, list[YearEffect]] = defaultdict(list)
    for year in years:
        holder_id = year.certification.holder_id
        asked_ids = {entry.pk for entry in asked[holder_id]}
        now = entries[holder_id]
        after = [_waiting(entry) if entry.pk in asked_ids else entry for entry in now]
        before_count = recount_in_python(year, now, caps)[0].total
        after_count = recount_in_python(year, after, caps)[0].total

        def standing(counted: Decimal, year: CertificationYear = year) -> Progress:
            return progress(counted=counted, requirement=year.required_credits,
                            starts_on=year.starts_on, ends_on=year.ends_on, today=today)

        effects[holder_id].append(YearEffect(year, before_count, after_count,
                                             standing(before_count), standing(after_count)))
    return effects


def _waiting(entry: Entry) -> Entry:
    waiting = copy(entry)
    waiting.state = EntryState.PROOF_REQUESTED
    return waiting


def audit_entries(audit: Audit) -> QuerySet[Entry]:
    """The entries a sample asked for proof, with their state now, by holder and date."""
    return (audit.entries.select_related("holder", "activity_type")
            .order_by("holder__full_name", "holder__email", "activity_date", "pk"))
