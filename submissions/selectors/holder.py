"""Reads for the holder's pages: the standing of each certification and its years, a year with
its entries, what an entry counted where, the dashboard and the entry list. Pages read the stored
standings (each certification year's counted credits, what each entry counted toward each year)
and database aggregates; none loads a year's entries to count them. Every function runs a fixed
number of queries, however many entries a holder has."""

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import ActivityType
from certifications.enums import UNCLOSED_YEAR_STATES, YearState
from certifications.models import Certification, CertificationYear
from certifications.rules import YearWindow, close_outcome
from common.markup import date_text
from common.prepared import Prepared

from ..belonging import belonging_windows, entries_in, entries_of_outer_year
from ..counting import ZERO, Progress, StoppedBy, YearEnd, progress, year_end
from ..enums import DenialKind
from ..models import (
    CREDITS,
    OWES_PROOF,
    Denial,
    Entry,
    HolderEntries,
    YearCredit,
    appeal_until,
)
from ..standings.recount import year_submission_cap

# The reads of the holder's pages run on every first view after a change: each is compiled
# once (`common.prepared`).
_CERTIFICATIONS = Prepared(
    lambda holder_id: Certification.objects.filter(holder_id=holder_id)
    .select_related("title__level").order_by("-title__level__position", "awarded_on", "pk"),
    holder_id=int)


def _holder_certifications(holder: User) -> list[Certification]:
    """The holder's certifications with their titles and levels, the highest level first."""
    return _CERTIFICATIONS.objects(holder_id=holder.pk)
_CAPPED = Prepared(
    lambda: ActivityType.objects.filter(annual_cap__isnull=False).order_by("position"))


def _capped_activity_types() -> list[ActivityType]:
    return _CAPPED.objects()


@dataclass(frozen=True)
class StoredYear:
    """A certification year's stored standing, and what each activity counted in it."""

    required_credits: Decimal
    counted_credits: Decimal
    undecided_credits: Decimal
    state: str
    # Set when the Board changed the year's outcome (an upheld appeal): met by that decision.
    board_decided_on: date | None = None
    # activity type id → (name, counted credits)
    by_activity: dict[int, tuple[str, Decimal]] = field(default_factory=dict)
    window: YearWindow | None = None


def _shown_years(holder_id: int, today: date) -> QuerySet[CertificationYear]:
    """A holder's certification years the dashboard may show: every year whose deadline has
    not passed, and every year not closed or closed as not met."""
    return CertificationYear.objects.filter(
        Q(deadline__gte=today) | Q(state__in=sorted({*UNCLOSED_YEAR_STATES, YearState.NOT_MET})),
        certification__holder_id=holder_id)


_STORED_YEARS = Prepared(
    lambda holder_id, today: _shown_years(holder_id, today)
    # What each activity counted, for the years still open to logging only (their capped
    # activities and chart): a year past its deadline is shown by its totals alone, and a
    # holder's history of such years would otherwise bring a row per activity each.
    .annotate(open_totals=FilteredRelation(
        "activity_totals", condition=Q(GreaterThanOrEqual(F("deadline"), today))))
    .values_list(
        "certification_id", "number", "starts_on", "ends_on", "deadline",
        "required_credits", "counted_credits", "undecided_credits", "state",
        "board_decided_on", "open_totals__activity_type_id",
        "open_totals__activity_type__name", "open_totals__counted"),
    holder_id=int, today=date)
# Per year, the credits of its entries waiting for their holder's proof: a sum over the few
# entries that owe proof, from their partial index alone (`entry_holder_owes_proof_by_day`).
_OWED_BY_YEAR = Prepared(
    lambda holder_id, today: _shown_years(holder_id, today).annotate(owed=Coalesce(
        Subquery(Entry.objects.filter(OWES_PROOF, entries_of_outer_year()).order_by()
                 .values("holder_id").annotate(owed=Sum(CREDITS)).values("owed")),
        Value(ZERO), output_field=DecimalField(max_digits=12, decimal_places=2)))
    .values_list("certification_id", "number", "owed"),
    holder_id=int, today=date)


def proof_owed_by_year(*, holder: User, today: date) -> dict[tuple[int, int], Decimal]:
    """By (certification id, year number), the credits of the year's entries waiting for the
    holder's proof, for the years the dashboard may show. One query."""
    return {(certification_id, number): owed for certification_id, number, owed
            in _OWED_BY_YEAR.rows(holder_id=holder.pk, today=today) if owed}


def _stored_years(certifications: list[Certification], today: date
                  ) -> tuple[dict[tuple[int, int], StoredYear], dict[int, StoredYear]]:
    """The stored standings a holder's certifications are shown with, with their totals by
    activity: by (certification id, year number), every year whose deadline has not passed and
    every year not closed or closed as not met; and per certification, the year whose end
    decides it: for an active one, the oldest year past its deadline short of its requirement
    and not closed; for a decertified one, the latest year closed as not met. One query (the
    totals joined to their years; closed years that were met stay out); none without
    certifications that count CPE or were decertified."""
    active = {c.pk for c in certifications if c.collects_cpe}
    decertified = {c.pk for c in certifications if not c.is_active}
    if not active and not decertified:
        return {}, {}
    shown = active | decertified
    years: dict[tuple[int, int], StoredYear] = {}
    for (certification_id, number, starts_on, ends_on, deadline, required, counted, undecided,
         state, board_decided_on, activity_type_id, name, activity_counted,
         ) in _STORED_YEARS.rows(holder_id=certifications[0].holder_id, today=today):
        if certification_id not in shown:
            continue
        year = years.get((certification_id, number))
        if year is None:
            year = years[certification_id, number] = StoredYear(
                required, counted, undecided, state, board_decided_on,
                window=YearWindow(number, starts_on, ends_on, deadline))
        if activity_type_id is not None:
            year.by_activity[activity_type_id] = (name, activity_counted)
    ends: dict[int, StoredYear] = {}
    for (certification_id, _number), year in sorted(years.items()):
        if certification_id in active:
            if (certification_id not in ends and year.window.deadline < today
                    and year.state in UNCLOSED_YEAR_STATES
                    and year.counted_credits < year.required_credits):
                ends[certification_id] = year
        elif year.state == YearState.NOT_MET:
            ends[certification_id] = year
    return years, ends


def _decertification_denials(certifications: list[Certification]) -> dict[int, tuple]:
    """Per certification ever decertified, its latest decertification denial: (denied on,
    denial id, its appeal's state, the appeal's Board meeting date, when the Board decided
    it). A reinstated certification is active again, so the active ones are asked too. One
    query; none for a holder without certifications."""
    if not certifications:
        return {}
    denials: dict[int, tuple] = {}
    for certification_id, *denial in _DECERTIFICATIONS.rows(
            holder_id=certifications[0].holder_id):
        denials.setdefault(certification_id, tuple(denial))
    return denials


_DECERTIFICATIONS = Prepared(
    lambda holder_id: Denial.objects.filter(certification__holder_id=holder_id,
                                            kind=DenialKind.DECERTIFIED)
    .order_by("certification_id", "-denied_on", "-pk")
    .values_list("certification_id", "denied_on", "pk", "appeal__state",
                 "appeal__meeting__meets_on", "appeal__decided_at"),
    holder_id=int)


# --- Standing of a holder's certification years ------------------------------------------------

@dataclass(frozen=True)
class CapUse:
    activity_type: ActivityType
    used: Decimal
    cap: Decimal

    @property
    def is_full(self) -> bool:
        return self.used >= self.cap

    @property
    def percent(self) -> int:
        """Used as a share of the cap, 0 to 100, for a bar."""
        return min(100, int(self.used * 100 / self.cap)) if self.cap > 0 else 100


class HeldFor(StrEnum):
    """What a year past its deadline short of the requirement is waiting for."""

    DECISIONS = "decisions"  # entries awaiting a reviewer's decision
    APPEAL = "appeal"  # the close waits, with nothing undecided: an appeal is open
    CLOSE = "close"  # nothing could make it met: the close has yet to run


@dataclass(frozen=True)
class YearStanding:
    """Where one certification year stands on `today`, from its stored standing."""

    certification: Certification
    window: YearWindow
    requirement: Decimal
    counted: Decimal
    undecided: Decimal
    submission_cap: Decimal | None
    cap_uses: tuple[CapUse, ...]
    today: date
    # (activity name, counted credits) of each activity that counted, largest first.
    by_activity: tuple[tuple[str, Decimal], ...] = ()
    state: str = YearState.OPEN
    # Whether an earlier year of the certification ended short and is not closed yet: until
    # it is decided, the certification is at risk whatever this year's pace.
    after_short_year: bool = False
    # The day of the Board's decision that made this closed year met (an upheld appeal).
    board_decided_on: date | None = None
    # Of the undecided credits, those waiting for the holder's own proof (requested, not sent):
    # a reviewer can do nothing with them yet. Filled on the dashboard only.
    proof_owed: Decimal = ZERO

    @property
    def awaiting_review(self) -> Decimal:
        """Undecided credits a reviewer can decide now (those owed proof wait for the holder)."""
        return max(ZERO, self.undecided - self.proof_owed)

    @property
    def met(self) -> bool:
        return self.counted >= self.requirement

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.requirement - self.counted)

    @property
    def days_left(self) -> int:
        return (self.window.deadline - self.today).days

    @property
    def is_current(self) -> bool:
        return self.today in self.window

    @property
    def progress(self) -> Progress:
        if self.after_short_year and not self.met:
            return Progress.AT_RISK
        return progress(counted=self.counted, requirement=self.requirement,
                        starts_on=self.window.starts_on, ends_on=self.window.ends_on,
                        today=self.today)

    @property
    def end(self) -> YearEnd:
        return year_end(state=self.state, counted=self.counted, requirement=self.requirement,
                        deadline=self.window.deadline, today=self.today,
                        decertified_on=self.certification.decertified_on)

    @property
    def held_for(self) -> HeldFor:
        # The close's own rule: entries awaiting a decision hold the year only when they could
        # make it met; entries too small to make up the difference hold nothing.
        if close_outcome(required=self.requirement, counted=self.counted,
                         best_case=self.counted + self.undecided) == YearState.WAITING:
            return HeldFor.DECISIONS
        return HeldFor.APPEAL if self.state == YearState.WAITING else HeldFor.CLOSE

    @property
    def percent(self) -> int:
        """Counted as a share of the requirement, 0 to 100, for a progress bar."""
        if self.requirement <= 0:
            return 100
        return min(100, int(self.counted * 100 / self.requirement))


def _standing(certification: Certification, window: YearWindow,
              stored: StoredYear | CertificationYear | None, today: date,
              capped: Iterable[ActivityType] = (), *,
              after_short_year: bool = False, proof_owed: Decimal = ZERO) -> YearStanding:
    """A year's standing from its stored row. A year without a row has counted nothing yet:
    every change that makes a year count creates its row."""
    requirement = (stored.required_credits if stored
                   else certification.title.level.required_credits)
    by_activity = getattr(stored, "by_activity", {})
    return YearStanding(
        certification=certification,
        window=window,
        requirement=requirement,
        counted=stored.counted_credits if stored else ZERO,
        undecided=stored.undecided_credits if stored else ZERO,
        submission_cap=year_submission_cap(requirement, window.starts_on),
        cap_uses=tuple(
            CapUse(a, by_activity.get(a.pk, ("", ZERO))[1], a.annual_cap)
            for a in capped if a.active and a.annual_cap is not None
        ),
        today=today,
        by_activity=tuple(sorted(((name, counted) for name, counted in by_activity.values()
                                  if counted > 0), key=lambda bar: (-bar[1], bar[0]))),
        state=stored.state if stored else YearState.OPEN,
        after_short_year=after_short_year,
        board_decided_on=stored.board_decided_on if stored else None,
        proof_owed=proof_owed,
    )


@dataclass(frozen=True)
class ProofOwed:
    """An entry a reviewer asked proof for that the holder has not sent yet."""

    entry_id: int
    title: str
    credits: Decimal
    due_on: date | None


# The dashboard lists the entries whose proof is due soonest; the entry list has them all.
PROOF_OWED_SHOWN = 10


def proof_owed(*, holder: User) -> tuple[list[ProofOwed], int]:
    """The PROOF_OWED_SHOWN entries of the holder waiting for their proof whose proof is due
    soonest, and how many wait in all. One query, by their partial index: the first ones read
    in its order, all of them counted from the index alone, however many there are."""
    rows = _PROOF_OWED.rows(holder_id=holder.pk)
    return [ProofOwed(*row[:-1]) for row in rows], rows[0][-1] if rows else 0


def _owing_proof(holder_id: int) -> QuerySet[Entry]:
    return Entry.objects.filter(OWES_PROOF, holder_id=holder_id)


_PROOF_OWED = Prepared(
    lambda holder_id: _owing_proof(holder_id)
    .annotate(worth=CREDITS, owed_in_all=Subquery(
        _owing_proof(holder_id).order_by().values("holder_id").annotate(owed=Count("pk"))
        .values("owed")))
    .order_by(F("proof_due_on").asc(nulls_last=True), "activity_date", "pk")
    .values_list("pk", "title", "worth", "proof_due_on", "owed_in_all")[:PROOF_OWED_SHOWN],
    holder_id=int)


@dataclass(frozen=True)
class Decertification:
    """When a certification was decertified, the year that made it so, and until when the
    holder may appeal."""

    decertified_on: date
    # The year closed as not met; None for a certification decertified otherwise.
    year: YearStanding | None
    appeal_until: date
    today: date
    # The denial the holder appeals, when the close recorded one, and where its appeal
    # stands (filed, scheduled, upheld, dismissed; None before one is filed).
    denial_id: int | None = None
    appeal_state: str | None = None
    # The Board meeting whose agenda the appeal is on, once scheduled.
    appeal_meets_on: date | None = None

    @property
    def can_appeal(self) -> bool:
        return self.today <= self.appeal_until

    @property
    def appeal_window_days(self) -> int:
        return settings.CPE_APPEAL_WINDOW_DAYS


def _decertification(certification: Certification, year: YearStanding | None,
                     denied_on: date | None, today: date, denial_id: int | None = None,
                     appeal_state: str | None = None,
                     appeal_meets_on: date | None = None) -> Decertification | None:
    if certification.is_active:
        return None
    # The close records a denial with each decertification, and its date starts the appeal
    # window; a certification decertified without one is appealed from the day it was.
    return Decertification(certification.decertified_on, year,
                           appeal_until(denied_on or certification.decertified_on), today,
                           denial_id, appeal_state, appeal_meets_on)


@dataclass(frozen=True)
class CertificationStanding:
    certification: Certification
    # The years still open for logging: the current one and, during the reporting window after
    # a year's end, the one before it. Empty for decertified and Foundation certifications.
    years: tuple[YearStanding, ...] = field(default_factory=tuple)
    # The year past its deadline short of the requirement that decides the certification: held
    # for an active one (the oldest such year), closed as not met for a decertified one.
    year_end: YearStanding | None = None
    decertification: Decertification | None = None
    # The day the Board reinstated the certification by upholding the appeal against its
    # latest decertification; None for one never decertified, or decertified still.
    reinstated_on: date | None = None
    # The decertification denial whose appeal the Board upheld (its decision's page).
    reinstated_denial_id: int | None = None

    @property
    def requires_cpe(self) -> bool:
        return self.certification.title.level.requires_cpe

    @property
    def current(self) -> YearStanding | None:
        return next((y for y in self.years if y.is_current), None)


def _open_windows(certification: Certification, today: date) -> list[YearWindow]:
    """The years of a certification into which an activity may still be logged on `today`:
    the current one and, during its reporting window, the one before."""
    return [w for w in certification.years_through(today)[-2:] if w.deadline >= today]


def certification_standings(*, holder: User, today: date,
                            owed: dict[tuple[int, int], Decimal] | None = None,
                            decertifications: dict[int, tuple] | None = None,
                            ) -> list[CertificationStanding]:
    """Per certification of the holder, each open year's counted credits, requirement,
    deadline and use of each capped activity, from the stored standings; a year that ended
    short and is not closed, or the decertification and the year that caused it, or the day
    an upheld appeal reinstated it. With `owed` (`proof_owed_by_year`), each year says how
    many of its undecided credits wait for the holder's proof. With `decertifications` (each
    certification's latest decertification, as `_decertification_denials` gives them), the
    caller has read them already. Four queries (three with `decertifications`), whatever the
    number of entries or years."""
    owed = owed or {}
    certifications = _holder_certifications(holder)
    windows = {c.pk: _open_windows(c, today) for c in certifications if c.collects_cpe}
    capped = _capped_activity_types()
    rows, ends = _stored_years(certifications, today)
    denials = (_decertification_denials(certifications) if decertifications is None
               else decertifications)
    standings = []
    for certification in certifications:
        end_row = ends.get(certification.pk)
        ended = (_standing(certification, end_row.window, end_row, today,
                           proof_owed=owed.get((certification.pk, end_row.window.number), ZERO))
                 if end_row is not None else None)
        denied_on, denial_id, appeal_state, appeal_meets_on, appeal_decided_at = denials.get(
            certification.pk, (None, None, None, None, None))
        standings.append(CertificationStanding(
            certification,
            tuple(_standing(certification, window,
                            rows.get((certification.pk, window.number)), today, capped,
                            after_short_year=ended is not None and certification.is_active,
                            proof_owed=owed.get((certification.pk, window.number), ZERO))
                  for window in windows.get(certification.pk, [])),
            year_end=ended,
            decertification=_decertification(certification, ended, denied_on, today,
                                             denial_id, appeal_state, appeal_meets_on),
            reinstated_on=(reinstated_on := _reinstated_on(certification, appeal_state,
                                                            appeal_decided_at)),
            reinstated_denial_id=denial_id if reinstated_on else None,
        ))
    return standings


def _reinstated_on(certification: Certification, appeal_state: str | None,
                   decided_at: datetime | None) -> date | None:
    """The day of the Board's decision that undid the certification's latest decertification
    (its appeal's state and decision time, from `_decertification_denials`)."""
    if certification.is_active and decided_at is not None and appeal_state == "upheld":
        return timezone.localdate(decided_at)
    return None


def certification_years(*, certification: Certification, today: date) -> list[YearStanding]:
    """Every year of a certification from the award to the current one (to the one it was
    decertified in), newest first, with its stored standing and close. One query, whatever
    the number of years or entries."""
    rows = {row.number: row for row in CertificationYear.objects.filter(
        certification=certification)}
    last_day = today if certification.is_active else min(today, certification.decertified_on)
    return [_standing(certification, window, rows.get(window.number), today)
            for window in reversed(certification.years_through(last_day))]


@dataclass(frozen=True)
class CertificationHistory:
    """A certification's years page: every year, the year that ended short and is held, or
    the decertification with the year that caused it."""

    certification: Certification
    years: tuple[YearStanding, ...]
    year_end: YearStanding | None
    decertification: Decertification | None


def certification_history(*, certification: Certification,
                          today: date) -> CertificationHistory:
    """Every year of a certification newest first (`certification_years`), with the oldest
    year held short and, for a decertified certification, the latest year closed as not met
    and the appeal window. One query; two for a decertified certification."""
    years = certification_years(certification=certification, today=today)
    if certification.is_active:
        held = [year for year in years if year.end == YearEnd.HELD]
        return CertificationHistory(certification, tuple(years), held[-1] if held else None,
                                    None)
    missed = next((year for year in years if year.state == YearState.NOT_MET), None)
    denied_on, denial_id, appeal_state, appeal_meets_on = (
        Denial.objects.filter(certification=certification, kind=DenialKind.DECERTIFIED)
        .order_by("-denied_on", "-pk")
        .values_list("denied_on", "pk", "appeal__state", "appeal__meeting__meets_on").first()
        or (None, None, None, None))
    return CertificationHistory(certification, tuple(years), missed,
                                _decertification(certification, missed, denied_on, today,
                                                 denial_id, appeal_state, appeal_meets_on))


@dataclass(frozen=True)
class YearDetail:
    standing: YearStanding
    # Every entry that belongs to the year, whatever its state, in counting order.
    entries: tuple[Entry, ...]
    counted_by_entry: dict[int, Decimal] = field(default_factory=dict)

    def counted(self, entry: Entry) -> Decimal:
        return self.counted_by_entry.get(entry.pk, ZERO)


def year_detail(*, certification: Certification, number: int, today: date) -> YearDetail | None:
    """One year of a certification with the entries that belong to it (dated in it, reported
    by its deadline) and what each counted there. None for a year that has not begun. Three
    queries."""
    windows = certification.years_through(today)
    if not 1 <= number <= len(windows):
        return None
    window = windows[number - 1]
    row = CertificationYear.objects.filter(certification=certification, number=number).first()
    entries = tuple(
        Entry.objects.filter(entries_in(window), holder_id=certification.holder_id)
        .select_related("activity_type")
        .order_by("activity_date", "logged_at", "pk")
    )
    counted = dict(YearCredit.objects.filter(year=row).values_list("entry_id", "counted")
                   ) if row else {}
    return YearDetail(_standing(certification, window, row, today), entries, counted)


@dataclass(frozen=True)
class EntryShare:
    """What an entry counted toward one certification year."""

    certification: Certification
    window: YearWindow
    counted: Decimal
    stopped_by: StoppedBy | None


def entry_shares(*, entry: Entry) -> list[EntryShare]:
    """For each certification year the entry belongs to, how much of it counts there (as
    stored) and which cap stopped the rest. Two queries."""
    stored = {
        credit.year.certification_id: credit
        for credit in YearCredit.objects.filter(entry=entry).select_related("year")
    }
    shares = []
    certifications = _holder_certifications(entry.holder)
    belonging = dict(belonging_windows(certifications, activity_date=entry.activity_date,
                                       reported_on=entry.reported_on))
    for certification in certifications:
        credit = stored.get(certification.pk)
        window = belonging.get(certification)
        if credit is None and window is None:
            continue
        shares.append(EntryShare(
            certification, credit.year.window if credit else window,
            credit.counted if credit else ZERO,
            StoppedBy(credit.stopped_by) if credit and credit.stopped_by else None))
    return shares





# --- Pages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartBar:
    label: str
    credits: Decimal
    percent: int


def chart_bars(year: YearStanding) -> list[ChartBar]:
    """A year's counted credits by activity, as bars of a chart (largest first)."""
    top = max((counted for _name, counted in year.by_activity), default=ZERO) or Decimal("1")
    return [ChartBar(name, counted, int(counted * 100 / top))
            for name, counted in year.by_activity]


# How long the dashboard keeps showing an appeal the Board decided: the decision's mail links
# to the dashboard, and the holder finds it there.
RECENTLY_DECIDED_DAYS = 30


def open_decisions(*, holder: User, today: date) -> list[tuple[Denial, object | None]]:
    """The decisions against the holder in play, as (denial, its appeal or None): those the
    holder may still appeal (within the window, none filed), those with an appeal the Board
    has yet to decide or decided in the last RECENTLY_DECIDED_DAYS days, newest first. Each
    with its entry or certification title and its appeal's meeting. One query."""
    return _in_play(_dashboard_denials(holder, today))


def _dashboard_denials(holder: User, today: date) -> list[Denial]:
    """The holder's decertifications and decisions in play (`open_decisions`), newest first,
    each marked `in_play` or not: the dashboard's denials, its cards' and its list's, in one
    query."""
    return _DENIALS.objects(
        holder_id=holder.pk, decided_since=today - timedelta(days=RECENTLY_DECIDED_DAYS),
        denied_since=today - timedelta(days=settings.CPE_APPEAL_WINDOW_DAYS))


def _in_play(denials: list[Denial]) -> list[tuple[Denial, object | None]]:
    return [(denial, getattr(denial, "appeal", None)) for denial in denials if denial.in_play]


def _latest_decertifications(denials: list[Denial]) -> dict[int, tuple]:
    """From `_dashboard_denials`, per certification ever decertified, its latest
    decertification as `_decertification_denials` gives it."""
    latest: dict[int, tuple] = {}
    for denial in denials:
        if denial.kind == DenialKind.DECERTIFIED and denial.certification_id not in latest:
            appeal = getattr(denial, "appeal", None)
            meeting = appeal.meeting if appeal is not None else None
            latest[denial.certification_id] = (
                denial.denied_on, denial.pk, appeal.state if appeal is not None else None,
                meeting.meets_on if meeting is not None else None,
                appeal.decided_at if appeal is not None else None)
    return latest


# The appeal's states belong to the app above: an open appeal is one not decided yet. A
# decertification names the holder's own certification (`services.record_denials`).
_DENIALS = Prepared(
    lambda holder_id, decided_since, denied_since: Denial.objects.filter(holder_id=holder_id)
    .annotate(in_play=ExpressionWrapper(
        Q(appeal__isnull=False, appeal__decided_at__isnull=True)
        | Q(appeal__decided_at__date__gte=decided_since)
        | Q(appeal__isnull=True, denied_on__gte=denied_since), output_field=BooleanField()))
    .filter(Q(kind=DenialKind.DECERTIFIED) | Q(in_play=True))
    .select_related("entry", "certification__title", "appeal__meeting")
    .order_by("-denied_on", "-pk"),
    holder_id=int, decided_since=date, denied_since=date)


DASHBOARD_PARTS = ("standings", "can_log", "recent_entries", "chart", "chart_year",
                   "proof_owed", "proof_owed_more", "decisions")


def dashboard(*, holder: User, today: date) -> dict[str, object]:
    """Everything the dashboard shows, from the stored standings, in a fixed number of
    queries whatever the number of entries: the standings, the proof the holder owes, the
    decisions still open to appeal or under appeal, the latest entries. The chart shows the
    current year of the first certification that counts CPE (the highest level, the first
    card)."""
    owed, owed_in_all = proof_owed(holder=holder)
    denials = _dashboard_denials(holder, today)
    # Summed by year only when some proof is owed (most views owe none).
    standings = certification_standings(
        holder=holder, today=today,
        owed=proof_owed_by_year(holder=holder, today=today) if owed_in_all else None,
        decertifications=_latest_decertifications(denials))
    chart_year = next((s.current for s in standings if s.current), None)
    return {
        "standings": standings,
        "can_log": any(s.years for s in standings),
        "recent_entries": [EntryRow(*row) for row in _RECENT_ENTRIES.rows(holder_id=holder.pk)],
        "chart": chart_bars(chart_year) if chart_year else [],
        "chart_year": chart_year,
        "proof_owed": owed,
        "proof_owed_more": owed_in_all - len(owed),
        "decisions": _in_play(denials),
    }


def holder_entries(*, holder: User) -> QuerySet:
    """The holder's entries, newest first, as the rows the entry list and the dashboard's
    recent activities show (`ENTRY_ROW`: id, date, title, state, activity and credits), not
    model instances: the rest of an entry and its activity type, read and made into objects
    for nothing, cost more than the query's round trip."""
    return _entries_of(holder.pk)


# An entry's row (`holder_entries`): its columns by name, in order.
ENTRY_ROW = ("pk", "activity_date", "title", "state", "activity_type_id", "activity_name",
             "worth")
EntryRow = namedtuple("EntryRow", ENTRY_ROW)


def _entries_of(holder_id: int) -> QuerySet:
    return (Entry.objects.filter(holder_id=holder_id)
            .annotate(activity_name=F("activity_type__name"), worth=CREDITS)
            .order_by("-activity_date", "-logged_at", "-pk").values_list(*ENTRY_ROW, named=True))


_RECENT_ENTRIES = Prepared(lambda holder_id: _entries_of(holder_id)[:5], holder_id=int)
# The holder's stored count (kept by the database with every entry written): one row, however
# many entries.
_ENTRY_COUNT = Prepared(
    lambda holder_id: HolderEntries.objects.filter(holder_id=holder_id).values_list("entries"),
    holder_id=int)


@lru_cache(maxsize=64)
def _entries_between(start: int, stop: int) -> Prepared:
    """The holder's entries from `start` to `stop` in `holder_entries` order: one page of the
    entry list, compiled once per page."""
    return Prepared(lambda holder_id: _entries_of(holder_id)[start:stop], holder_id=int)


class EntryPages:
    """Every entry of a holder, newest first, as the entry list's paginator reads them: counted
    by the stored count (`HolderEntries`) and read a page at a time with queries compiled once
    (`common.prepared`), as the list is shown on every first view after a change. A filtered
    list pages and counts its queryset instead."""

    def __init__(self, holder: User) -> None:
        self.holder_id = holder.pk

    def count(self) -> int:
        rows = _ENTRY_COUNT.rows(holder_id=self.holder_id)
        return rows[0][0] if rows else 0

    def __getitem__(self, page: slice) -> list[EntryRow]:
        if page.stop <= page.start:  # the empty first page of a holder without entries
            return []
        return [EntryRow(*row) for row in
                _entries_between(page.start, page.stop).rows(holder_id=self.holder_id)]


def year_filter_choices(*, holder: User,
                        today: date) -> list[tuple[str, str, YearWindow]]:
    """(key, label, window) for every certification year of the holder, newest first."""
    choices = []
    label_of = _("%(title)s, year %(number)d (%(start)s to %(end)s)")
    for certification in _holder_certifications(holder):
        for window in reversed(certification.years_through(today)):
            label = label_of % {
                "title": certification.title.code, "number": window.number,
                "start": date_text(window.starts_on), "end": date_text(window.ends_on)}
            choices.append((f"{certification.pk}-{window.number}", label, window))
    return choices


def filter_entries(entries: QuerySet[Entry], *, years: list[tuple[str, str, YearWindow]],
                   year: str = "", state: str = "",
                   activity_type: ActivityType | None = None) -> QuerySet[Entry]:
    windows = {key: window for key, _label, window in years}
    if year in windows:
        entries = entries.filter(
            activity_date__range=(windows[year].starts_on, windows[year].ends_on))
    if state:
        entries = entries.filter(state=state)
    if activity_type is not None:
        entries = entries.filter(activity_type=activity_type)
    return entries


def log_form_context() -> dict[str, object]:
    """What the log form's script needs to show the right inputs for each activity type."""
    return {"activity_rules": {
        str(a.pk): {"fields": list(a.rule.input_fields), "summary": a.rule_summary,
                    "help": a.help_text, "needs_approval": a.needs_approval,
                    "quantity_label": a.amount_label}
        for a in ActivityType.objects.filter(active=True)
    }}
