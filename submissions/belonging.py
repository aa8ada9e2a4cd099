"""Which certification years an entry belongs to: the one rule that the recount, the checker,
the holder's pages, the review panel, proof requests, the close and appeals all use.

An entry belongs to a year of one of its holder's certifications when
- the certification collects CPE: active, at a level with a requirement (a decertified
  certification collects nothing until the Board reinstates it), and
- the entry is dated inside the year and was reported on or before the year's deadline
  (`certifications.rules.takes_entry`).

Written three ways, each for its callers: in Python over windows, as Django `Q`s (entries of a
year; the years of an outer query's entry), and as SQL for the set-based recount.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import OuterRef, Q

from certifications.enums import CertificationStatus
from certifications.models import Certification
from certifications.rules import YearWindow, takes_entry


def collects(certification: Certification) -> bool:
    """The certification's years count entries."""
    return certification.collects_cpe


def belonging_windows(certifications: Iterable[Certification], *, activity_date: date,
                      reported_on: date) -> list[tuple[Certification, YearWindow]]:
    """The (certification, year) pairs an entry dated `activity_date` and reported on
    `reported_on` belongs to, among one holder's certifications. No query."""
    pairs = []
    for certification in certifications:
        if not collects(certification):
            continue
        window = certification.year_containing(activity_date)
        if window is not None and takes_entry(window, activity_date=activity_date,
                                              reported_on=reported_on):
            pairs.append((certification, window))
    return pairs


def entries_in(window: YearWindow, prefix: str = "") -> Q:
    """Entries (through `prefix`, e.g. "denial__entry__") dated in the year and reported by its
    deadline. The holder and the certification's side are the caller's to add."""
    return Q(**{f"{prefix}activity_date__gte": window.starts_on,
                f"{prefix}activity_date__lte": window.ends_on,
                f"{prefix}reported_on__lte": window.deadline})


def entries_of_outer_year() -> Q:
    """Entries (filtered in a subquery) that belong to the outer query's certification year:
    its holder's, dated in it and reported by its deadline (`entries_in`, with the year's
    columns for its values)."""
    return Q(holder_id=OuterRef("certification__holder_id"),
             activity_date__gte=OuterRef("starts_on"), activity_date__lte=OuterRef("ends_on"),
             reported_on__lte=OuterRef("deadline"))


def years_of_outer_entry() -> Q:
    """Certification years (filtered in a subquery) that the outer query's entry belongs to."""
    return Q(certification__holder_id=OuterRef("holder_id"),
             certification__status=CertificationStatus.ACTIVE, required_credits__gt=0,
             starts_on__lte=OuterRef("activity_date"), ends_on__gte=OuterRef("activity_date"),
             deadline__gte=OuterRef("reported_on"))


def belongs_sql(*, year: str, certification: str, entry: str) -> str:
    """SQL: the entry belongs to the year (aliases of the year, its certification and the
    entry tables)."""
    return (f"{entry}.holder_id = {certification}.holder_id"
            f" AND {certification}.status = '{CertificationStatus.ACTIVE.value}'"
            f" AND {year}.required_credits > 0"
            f" AND {entry}.activity_date BETWEEN {year}.starts_on AND {year}.ends_on"
            f" AND {entry}.reported_on <= {year}.deadline")
