"""The independent check of the stored standings (behind `manage.py recount_standings --check`):
each open year recounted by the pure `counting.count_year` from the holder's entries and compared
with what is stored, row by row; each closed year compared with what its close recorded
(`counted_at_close`), since no recount touches it; and each holder's stored count of entries
(`HolderEntries`, kept by the database) compared with the entries. Every difference is listed.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import User
from activities.models import ActivityType
from certifications.models import CertificationYear
from certifications.rules import takes_entry

from ..counting import ZERO, Countable, YearCount, count_year
from ..enums import COUNTING_STATES, UNDECIDED_STATES
from ..models import Entry, HolderEntries, YearActivityTotal, YearCredit
from .recount import year_submission_cap


@dataclass(frozen=True)
class Difference:
    year: CertificationYear
    what: str
    stored: object
    recounted: object

    def __str__(self) -> str:
        certification = self.year.certification
        return (f"{certification.holder.email} {certification.title.code} year "
                f"{self.year.number} ({self.year.starts_on} to {self.year.ends_on}): {self.what} "
                f"stored {self.stored}, recounted {self.recounted}")


@dataclass(frozen=True)
class EntryCountDifference:
    """A holder whose stored count of entries (`HolderEntries`) is not the entries' number."""

    holder: User
    stored: int
    counted: int

    def __str__(self) -> str:
        return (f"{self.holder.email}: entries stored {self.stored}, "
                f"counted {self.counted}")


def recount_in_python(year: CertificationYear, entries: Iterable[Entry],
                      caps: dict[int, Decimal | None]) -> tuple[YearCount, Decimal]:
    """A year counted by the pure `count_year` from the holder's entries (any states): the
    count, and the credits awaiting a decision."""
    certification = year.certification
    if year.required_credits <= 0 or not certification.is_active:
        return YearCount((), ZERO, {}), ZERO
    belonging = [e for e in entries
                 if e.holder_id == certification.holder_id
                 and takes_entry(year.window, activity_date=e.activity_date,
                                 reported_on=e.reported_on)]
    count = count_year(
        (Countable(key=e.pk, activity=e.activity_type_id, activity_date=e.activity_date,
                   logged_at=e.logged_at, credits=e.credits)
         for e in belonging if e.state in COUNTING_STATES),
        caps=caps, submission_cap=year_submission_cap(year.required_credits, year.starts_on))
    undecided = sum((e.credits for e in belonging if e.state in UNDECIDED_STATES), ZERO)
    return count, undecided


def check_standings(holders: QuerySet | None = None, *, batch_size: int = 500
                    ) -> Iterator[Difference | EntryCountDifference]:
    """Every difference between the stored standings and a recount by `count_year`, and
    between each holder's stored count of entries and their entries, holder by holder in
    batches (a fixed number of queries a batch)."""
    caps = dict(ActivityType.objects.values_list("pk", "annual_cap"))
    holders = (holders if holders is not None else User.objects.all()).order_by("pk")
    ids = list(holders.filter(certifications__isnull=False).distinct()
               .values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        years = list(CertificationYear.objects.filter(certification__holder_id__in=batch)
                     .select_related("certification__holder", "certification__title")
                     .order_by("certification__holder_id", "certification_id", "number"))
        entries: dict[int, list[Entry]] = defaultdict(list)
        for entry in Entry.objects.filter(holder_id__in=batch).order_by("pk"):
            entries[entry.holder_id].append(entry)
        stored: dict[int, dict[int, tuple]] = defaultdict(dict)
        for year_id, entry_id, *standing in YearCredit.objects.filter(
                year__certification__holder_id__in=batch).values_list(
                "year_id", "entry_id", "counted", "stopped_by", "credits", "activity_date"):
            stored[year_id][entry_id] = tuple(standing)
        totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for year_id, activity_type_id, counted in YearActivityTotal.objects.filter(
                year__certification__holder_id__in=batch).values_list(
                "year_id", "activity_type_id", "counted"):
            totals[year_id][activity_type_id] = counted
        for year in years:
            yield from _year_differences(year, entries[year.certification.holder_id], caps,
                                         stored[year.pk], totals[year.pk])
        kept = dict(HolderEntries.objects.filter(holder_id__in=batch)
                    .values_list("holder_id", "entries"))
        for holder in User.objects.filter(pk__in=[pk for pk in batch
                                                  if kept.get(pk, 0) != len(entries[pk])]):
            yield EntryCountDifference(holder, kept.get(holder.pk, 0), len(entries[holder.pk]))


def _year_differences(year: CertificationYear, entries: list[Entry],
                      caps: dict[int, Decimal | None], stored: dict[int, tuple],
                      stored_totals: dict[int, Decimal]) -> Iterator[Difference]:
    if year.is_closed:
        # A closed year is compared with what its close recorded, not with a recount: later
        # decisions on its entries do not change it.
        if year.counted_at_close is not None and year.counted_credits != year.counted_at_close:
            yield Difference(year, "counted credits of a closed year", year.counted_credits,
                             year.counted_at_close)
        return
    count, undecided = recount_in_python(year, entries, caps)
    if year.counted_credits != count.total:
        yield Difference(year, "counted credits", year.counted_credits, count.total)
    if year.undecided_credits != undecided:
        yield Difference(year, "credits awaiting a decision", year.undecided_credits, undecided)
    if stored_totals != dict(count.by_activity):
        yield Difference(year, "counted credits by activity", stored_totals,
                         dict(count.by_activity))
    dates = {e.pk: e.activity_date for e in entries}
    recounted = {c.key: (c.counted, c.stopped_by.value if c.stopped_by else "", c.credits,
                         dates[c.key])
                 for c in count.entries}
    for entry_id in sorted(stored.keys() | recounted.keys()):
        if stored.get(entry_id) != recounted.get(entry_id):
            yield Difference(year, f"entry {entry_id}", stored.get(entry_id),
                             recounted.get(entry_id))
