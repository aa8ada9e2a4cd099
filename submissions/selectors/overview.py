"""Reads for staff: the holders overview and the compliance summary in the admin, and the
years held for decisions (the review queue's order, the admin index).

The overview and the summary read the stored standings of each active certification's
deciding year (`deciding_year`: the earliest year not closed, whose close decides the
certification next: `CertificationYear.counted_credits`, `required_credits`, `deadline`),
never the entries. "At risk" is `counting.progress`'s rule, written here as SQL
(`year_at_risk`) so that lists can filter on it and the summary can count it in a grouped
query.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from certifications.enums import CLOSED_YEAR_STATES, CertificationStatus, YearState
from certifications.models import Certification, CertificationYear

from ..belonging import years_of_outer_entry
from ..counting import AT_RISK_DAYS, LAG_DAYS, Progress, progress
from ..models import Holder


class DaysBetween(Func):
    """The number of days from the second date to the first (a negative number before it)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        # SQLite keeps dates as text (`make run`); julianday turns them into day numbers.
        return self.as_sql(compiler, connection,
                           template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra_context)


def _f(prefix: str, name: str) -> F:
    return F(f"{prefix}{name}")


def deciding_year() -> Q:
    """The year rows that decide their certification next: the earliest year not closed, open
    or held. Not the year that contains today: a year past its end, short, stays the one that
    decides until its close, which it reaches through its reporting window and, if held, the
    decisions it waits for. Written as "no earlier year is still open" rather than "the least
    open number": PostgreSQL answers that with one anti-join over the years, where a lookup of
    the least number per row took seconds over 300,000 years."""
    earlier_open = CertificationYear.objects.filter(
        certification_id=OuterRef("certification_id"), number__lt=OuterRef("number"),
    ).exclude(state__in=CLOSED_YEAR_STATES)
    return ~Q(state__in=CLOSED_YEAR_STATES) & ~Exists(earlier_open)


def year_met(prefix: str = "") -> Q:
    return Q(**{f"{prefix}counted_credits__gte": _f(prefix, "required_credits")})


def year_at_risk(today: date, prefix: str = "") -> Q:
    """`counting.progress` is AT_RISK, in SQL: still short, and behind the pro-rata share of the
    requirement for the part of the year gone by less LAG_DAYS, or with fewer than
    AT_RISK_DAYS left to the year's end."""
    length = DaysBetween(_f(prefix, "ends_on"), _f(prefix, "starts_on")) + 1
    gone_by = DaysBetween(Value(today), _f(prefix, "starts_on")) + 1 - LAG_DAYS
    elapsed = Least(Greatest(gone_by, Value(0)), length)
    behind = LessThan(_f(prefix, "counted_credits") * length,
                      _f(prefix, "required_credits") * elapsed)
    ends_soon = Q(**{f"{prefix}ends_on__lt": today + timedelta(days=AT_RISK_DAYS)})
    short = Q(**{f"{prefix}counted_credits__lt": _f(prefix, "required_credits")})
    return short & (Q(behind) | ends_soon)


# --- The holders overview ----------------------------------------------------------------

class Standing:
    """The holders overview's filter on how holders stand in their deciding years."""

    AT_RISK = "at_risk"
    ON_TRACK = "on_track"
    MET = "met"
    DECERTIFIED = "decertified"
    CHOICES = (
        (AT_RISK, _("at risk")),
        (ON_TRACK, _("on track")),
        (MET, _("met")),
        (DECERTIFIED, _("decertified")),
    )


def holders_standing(holders: QuerySet[Holder], standing: str, *, today: date,
                     title_id: int | None = None,
                     level_id: int | None = None) -> QuerySet[Holder]:
    """The holders who stand so: at risk in some deciding year (a held year, or one past its
    end short of the requirement, is); on track (short somewhere, at risk nowhere); met (every
    deciding year met); decertified (in some certification). With a title or level, only that
    title's (or level's) certifications are looked at."""
    which = {"holder": OuterRef("pk")}
    if title_id is not None:
        which["title_id"] = title_id
    if level_id is not None:
        which["title__level_id"] = level_id
    if standing == Standing.DECERTIFIED:
        return holders.filter(Exists(Certification.objects.filter(
            **which, status=CertificationStatus.DECERTIFIED)))
    years = CertificationYear.objects.filter(
        deciding_year(), required_credits__gt=0,
        certification__status=CertificationStatus.ACTIVE,
        **{f"certification__{name}": value for name, value in which.items()})
    at_risk = Exists(years.filter(year_at_risk(today)))
    short = Exists(years.exclude(year_met()))
    if standing == Standing.AT_RISK:
        return holders.filter(at_risk)
    if standing == Standing.ON_TRACK:
        return holders.filter(short, ~at_risk)
    if standing == Standing.MET:
        return holders.filter(Exists(years), ~short)
    return holders


HELD = "held"
"""A deciding year's standing when its close holds it for decisions, short of the requirement
(`year_at_risk` counts it at risk: only decisions can still make it met)."""


@dataclass(frozen=True)
class DecidingYear:
    """One line of a holder in the overview: a certification that collects CPE and where its
    deciding year stands."""

    certification: Certification
    year: CertificationYear | None
    today: date

    @property
    def standing(self) -> str | None:
        """Met, on track or at risk (`counting.progress`), or held."""
        if self.year is None:
            return None
        found = progress(counted=self.year.counted_credits,
                         requirement=self.year.required_credits,
                         starts_on=self.year.starts_on, ends_on=self.year.ends_on,
                         today=self.today)
        if found != Progress.MET and self.year.state == YearState.WAITING:
            return HELD
        return found


def with_deciding_years(holders: QuerySet[Holder]) -> QuerySet[Holder]:
    """The holders with their certifications (title and level) and each certification's
    deciding year prefetched: two queries for a page of holders, whatever its length."""
    years = CertificationYear.objects.filter(deciding_year())
    certifications = Certification.objects.select_related("title__level").prefetch_related(
        Prefetch("years", queryset=years, to_attr="deciding_years")).order_by("awarded_on", "pk")
    return holders.prefetch_related(
        Prefetch("certifications", queryset=certifications, to_attr="overview_certifications"))


def deciding_years(holder: Holder, *, today: date) -> list[DecidingYear]:
    """The active certifications of a holder (from `with_deciding_years`) that collect CPE,
    with their deciding years."""
    lines = []
    for certification in holder.overview_certifications:  # type: ignore[attr-defined]
        if not certification.collects_cpe:
            continue
        year = next(iter(certification.deciding_years), None)
        lines.append(DecidingYear(certification, year, today))
    return lines


def decertified(holder: Holder) -> list[Certification]:
    return [c for c in holder.overview_certifications  # type: ignore[attr-defined]
            if not c.is_active]


# --- The compliance summary --------------------------------------------------------------

@dataclass(frozen=True)
class SummaryRow:
    """A title's or a level's holders, and how their deciding years stand."""

    name: str
    level: str
    holders: int
    met: int
    on_track: int
    at_risk: int
    decertified: int

    @property
    def percent_met(self) -> int | None:
        """The share of the holders met, in whole percent; None without holders (no share to
        give: 0 would read as "none of them met")."""
        return round(self.met * 100 / self.holders) if self.holders else None


def compliance_by_title(*, today: date) -> list[SummaryRow]:
    """Per title with a CPE requirement (Foundation titles are never met, at risk or
    decertified for CPE): its holders (active certifications; one per holder and title), how
    many of their deciding years are met, on track and at risk (held years among them), and
    how many were decertified this calendar year. Two grouped queries (the certifications, the
    deciding years), ordered by level, then title."""
    first_of_year = today.replace(month=1, day=1)
    titles = (Certification.objects.filter(title__level__required_credits__gt=0)
              .values("title_id", "title__name", "title__level__name", "title__level__position")
              .annotate(holders=Count("pk", filter=Q(status=CertificationStatus.ACTIVE)),
                        decertified=Count("pk", filter=Q(
                            status=CertificationStatus.DECERTIFIED,
                            decertified_on__range=(first_of_year, today))))
              .order_by("title__level__position", "title__name"))
    years = (CertificationYear.objects.filter(
        deciding_year(), required_credits__gt=0,
        certification__status=CertificationStatus.ACTIVE,
        certification__title__level__required_credits__gt=0)
        .values("certification__title_id")
        .annotate(met=Count("pk", filter=year_met()),
                  at_risk=Count("pk", filter=year_at_risk(today)),
                  on_track=Count("pk", filter=~year_met() & ~year_at_risk(today)))
        .order_by())
    standing = {row["certification__title_id"]: row for row in years}
    none = {"met": 0, "on_track": 0, "at_risk": 0}
    return [SummaryRow(row["title__name"], row["title__level__name"], row["holders"],
                       *(standing.get(row["title_id"], none)[name]
                         for name in ("met", "on_track", "at_risk")),
                       row["decertified"])
            for row in titles]


def compliance_by_level(by_title: list[SummaryRow]) -> list[SummaryRow]:
    """The titles' rows added up per level, in the titles' order. A holder of two titles of one
    level counts in each: these are certifications, not people. (Counting people once would
    take a COUNT(DISTINCT) per column over every certification, several times the work of the
    titles' query.)"""
    levels: dict[str, SummaryRow] = {}
    for row in by_title:
        seen = levels.get(row.level)
        levels[row.level] = row if seen is None else SummaryRow(
            row.level, row.level, *(getattr(seen, name) + getattr(row, name) for name in (
                "holders", "met", "on_track", "at_risk", "decertified")))
    return [SummaryRow(level, level, *(getattr(row, name) for name in (
        "holders", "met", "on_track", "at_risk", "decertified")))
        for level, row in levels.items()]


# --- Years held for decisions ------------------------------------------------------------

def _held_years() -> QuerySet[CertificationYear]:
    return CertificationYear.objects.filter(state=YearState.WAITING,
                                            certification__status=CertificationStatus.ACTIVE)


def holders_with_held_years() -> QuerySet[CertificationYear]:
    """The holder ids of the held years, for `holder_id__in`."""
    return _held_years().values("certification__holder_id")


def held_since_of_entry() -> Case:
    """For an entry (the outer query), the day the earliest-held year it belongs to was first
    held; NULL when it belongs to no held year. An entry belongs to a year of the same holder's
    active certification when it is dated inside the year and was reported on or before its
    deadline (`belonging`)."""
    held_since = Subquery(
        _held_years().filter(years_of_outer_entry())
        .order_by("held_since").values("held_since")[:1])
    # The queue sorts every waiting entry by this: the holders with a held year are few, and
    # PostgreSQL checks them as one hashed set, so that only their entries run the lookup.
    return Case(
        When(holder_id__in=holders_with_held_years(), then=held_since),
        default=None, output_field=DateField())


@dataclass(frozen=True)
class HeldYears:
    """How many years of active certifications the close holds for decisions, and since when
    the oldest."""

    count: int
    oldest_since: date | None
    today: date

    @property
    def oldest_days(self) -> int | None:
        return None if self.oldest_since is None else (self.today - self.oldest_since).days


def held_years(*, today: date) -> HeldYears:
    """One query, whatever the number of years."""
    found = _held_years().aggregate(count=Count("pk"), oldest=Min("held_since"))
    return HeldYears(found["count"], found["oldest"], today)


# --- The summary's chart, drawn on the server --------------------------------------------

@dataclass(frozen=True)
class Segment:
    """One series of a bar: how many, and where it lies on the bar's scale of 0 to SCALE."""

    kind: str
    count: int
    x: int
    width: int


@dataclass(frozen=True)
class Bar:
    row: SummaryRow
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    scale: int


SEGMENT_KINDS = ("met", "on_track", "at_risk", "decertified")
"""The chart's series, in the order they stack: the deciding years met, on track and at risk
(held among them), then the certifications decertified this calendar year."""


def stacked_bars(rows: list[SummaryRow], *, scale: int = 1000) -> Chart:
    """A horizontal bar per row, its series stacked, all bars on one scale: the longest fills
    `scale`. Whole units, so the SVG carries no fractions; the page stretches the scale to the
    bar's width, so that the labels and counts beside it are text that wraps, not SVG."""
    largest = max((sum(getattr(r, k) for k in SEGMENT_KINDS) for r in rows), default=0) or 1
    bars = []
    for row in rows:
        x, segments = 0, []
        for kind in SEGMENT_KINDS:
            count = getattr(row, kind)
            width = round(count * scale / largest)
            if count:
                segments.append(Segment(kind, count, x, width))
            x += width
        bars.append(Bar(row, tuple(segments)))
    return Chart(tuple(bars), scale)
