"""Reads for entries and counting. Every function runs a fixed number of queries, however many
entries a holder has."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import ActivityType
from activities.rules import plain
from certifications.models import Certification
from certifications.rules import YearWindow, submission_cap

from .counting import (
    ZERO,
    Countable,
    Progress,
    StoppedBy,
    YearCount,
    count_addition,
    count_year,
    progress,
)
from .enums import COUNTING_STATES, UNDECIDED_STATES
from .models import CREDITS, Entry


def _submission_cap(requirement: Decimal, window: YearWindow) -> Decimal | None:
    return submission_cap(
        requirement, window.starts_on,
        cap_from=settings.CPE_SUBMISSION_CAP_FROM, factor=settings.CPE_SUBMISSION_CAP_FACTOR,
    )


def _countable(entry: Entry) -> Countable:
    return Countable(
        key=entry.pk, activity=entry.activity_type_id, activity_date=entry.activity_date,
        logged_at=entry.logged_at, credits=entry.credits,
    )


def _holder_certifications(holder: User) -> list[Certification]:
    return list(
        Certification.objects.filter(holder=holder)
        .select_related("title__level")
        .order_by("-title__level__position", "awarded_on", "pk")
    )


def _entries_between(holder: User, windows: Iterable[YearWindow],
                     states: Iterable[str]) -> QuerySet[Entry]:
    windows = list(windows)
    if not windows:
        return Entry.objects.none()
    return Entry.objects.filter(
        holder=holder,
        state__in=list(states),
        activity_date__gte=min(w.starts_on for w in windows),
        activity_date__lte=max(w.ends_on for w in windows),
    ).select_related("activity_type")


def _count(entries: Iterable[Entry], window: YearWindow, requirement: Decimal,
           caps: dict[int, Decimal | None]) -> YearCount:
    return count_year(
        (_countable(e) for e in entries if e.activity_date in window),
        caps=caps, submission_cap=_submission_cap(requirement, window),
    )


def _caps_of(entries: Iterable[Entry]) -> dict[int, Decimal | None]:
    return {e.activity_type_id: e.activity_type.annual_cap for e in entries}


# --- Standing of a holder's certification years ------------------------------------------------

@dataclass(frozen=True)
class CapUse:
    activity_type: ActivityType
    used: Decimal
    cap: Decimal

    @property
    def is_full(self) -> bool:
        return self.used >= self.cap


@dataclass(frozen=True)
class YearStanding:
    """Where one certification year stands on `today`."""

    certification: Certification
    window: YearWindow
    requirement: Decimal
    counted: Decimal
    undecided: Decimal
    submission_cap: Decimal | None
    cap_uses: tuple[CapUse, ...]
    count: YearCount
    today: date

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
        return progress(counted=self.counted, requirement=self.requirement,
                        starts_on=self.window.starts_on, ends_on=self.window.ends_on,
                        today=self.today)

    @property
    def percent(self) -> int:
        """Counted as a share of the requirement, 0 to 100, for a progress bar."""
        if self.requirement <= 0:
            return 100
        return min(100, int(self.counted * 100 / self.requirement))


@dataclass(frozen=True)
class CertificationStanding:
    certification: Certification
    # The years still open for logging: the current one and, during the reporting window after
    # a year's end, the one before it. Empty for decertified and Foundation certifications.
    years: tuple[YearStanding, ...] = field(default_factory=tuple)

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


def certification_standings(*, holder: User, today: date) -> list[CertificationStanding]:
    """Per certification of the holder, each open year's counted credits, requirement,
    deadline and use of each capped activity. Three queries, whatever the number of entries."""
    certifications = _holder_certifications(holder)
    counting = [
        c for c in certifications
        if c.collects_cpe
    ]
    windows = {c.pk: _open_windows(c, today) for c in counting}
    entries = list(_entries_between(
        holder, (w for ws in windows.values() for w in ws), COUNTING_STATES | UNDECIDED_STATES
    ))
    capped = _capped_activity_types()
    caps: dict[int, Decimal | None] = {a.pk: a.annual_cap for a in capped} | _caps_of(entries)

    standings = []
    for certification in certifications:
        years = tuple(
            _standing(certification, window, entries, capped, caps, today)
            for window in windows.get(certification.pk, [])
        )
        standings.append(CertificationStanding(certification, years))
    return standings


def _capped_activity_types() -> list[ActivityType]:
    return list(ActivityType.objects.filter(annual_cap__isnull=False).order_by("position"))


def _standing(certification: Certification, window: YearWindow, entries: Sequence[Entry],
              capped: Sequence[ActivityType], caps: dict[int, Decimal | None],
              today: date) -> YearStanding:
    """Count one year from entries already read (any states; only counting ones count)."""
    requirement = certification.title.level.required_credits
    in_year = [e for e in entries if e.activity_date in window]
    count = _count((e for e in in_year if e.state in COUNTING_STATES), window, requirement, caps)
    return YearStanding(
        certification=certification,
        window=window,
        requirement=requirement,
        counted=count.total,
        undecided=sum((e.credits for e in in_year if e.state in UNDECIDED_STATES), ZERO),
        submission_cap=_submission_cap(requirement, window),
        cap_uses=tuple(
            CapUse(a, count.by_activity.get(a.pk, ZERO), a.annual_cap)
            for a in capped if a.active and a.annual_cap is not None
        ),
        count=count,
        today=today,
    )


def certification_years(*, certification: Certification, today: date) -> list[YearStanding]:
    """Every year of a certification from the award to the current one, newest first, each
    counted. Three queries, whatever the number of years or entries."""
    windows = certification.years_through(today)
    entries = list(_entries_between(certification.holder, windows,
                                    COUNTING_STATES | UNDECIDED_STATES))
    capped = _capped_activity_types()
    caps = {a.pk: a.annual_cap for a in capped} | _caps_of(entries)
    return [_standing(certification, w, entries, capped, caps, today) for w in reversed(windows)]


@dataclass(frozen=True)
class YearDetail:
    standing: YearStanding
    # Every entry dated in the year, whatever its state, in counting order.
    entries: tuple[Entry, ...]

    def counted(self, entry: Entry) -> Decimal:
        counted = self.standing.count.of(entry.pk)
        return counted.counted if counted else ZERO


def year_detail(*, certification: Certification, number: int, today: date) -> YearDetail | None:
    """One year of a certification with all its entries and what each counted. None for a
    year that has not begun. Three queries."""
    windows = certification.years_through(today)
    if not 1 <= number <= len(windows):
        return None
    window = windows[number - 1]
    entries = list(
        Entry.objects.filter(holder_id=certification.holder_id,
                             activity_date__range=(window.starts_on, window.ends_on))
        .select_related("activity_type")
        .order_by("activity_date", "logged_at", "pk")
    )
    capped = _capped_activity_types()
    caps = {a.pk: a.annual_cap for a in capped} | _caps_of(entries)
    return YearDetail(_standing(certification, window, entries, capped, caps, today),
                      tuple(entries))


@dataclass(frozen=True)
class EntryShare:
    """What an entry counted toward one certification year."""

    certification: Certification
    window: YearWindow
    counted: Decimal
    stopped_by: StoppedBy | None


def entry_shares(*, entry: Entry) -> list[EntryShare]:
    """For each active certification whose year contains the entry's date, how much of the
    entry counts there and which cap stopped the rest. Two queries."""
    certifications = [
        c for c in _holder_certifications(entry.holder)
        if c.collects_cpe
    ]
    windows = [(c, w) for c in certifications if (w := c.year_containing(entry.activity_date))]
    entries = list(_entries_between(entry.holder, (w for _c, w in windows), COUNTING_STATES))
    caps = _caps_of(entries) | {entry.activity_type_id: entry.activity_type.annual_cap}
    shares = []
    for certification, window in windows:
        count = _count(entries, window, certification.title.level.required_credits, caps)
        counted = count.of(entry.pk)
        shares.append(EntryShare(certification, window,
                                 counted.counted if counted else ZERO,
                                 counted.stopped_by if counted else None))
    return shares


# --- What a new entry would count for ------------------------------------------------------

@dataclass(frozen=True)
class Share:
    """How much of an entry counts toward one certification year, and the cap that stopped
    the rest."""

    certification: Certification
    window: YearWindow
    counted: Decimal
    stopped_by: StoppedBy | None
    cap: Decimal | None


@dataclass(frozen=True)
class EntryAssessment:
    credits: Decimal
    shares: tuple[Share, ...] = ()
    refusal: str = ""
    # The form field the refusal belongs to, or None for the form as a whole.
    refusal_field: str | None = None

    @property
    def counted(self) -> Decimal:
        """The most the entry counts toward any one certification."""
        return max((s.counted for s in self.shares), default=ZERO)


def _date(day: date) -> str:
    return formats.date_format(day, "j F Y")


def _cap_message(activity_type: ActivityType, share: Share) -> str:
    window = share.window
    names = {"title": share.certification.title.name, "start": _date(window.starts_on),
             "end": _date(window.ends_on), "cap": plain(share.cap or ZERO),
             "activity": activity_type.name}
    if share.stopped_by == StoppedBy.SUBMISSION_CAP:
        return _(
            "The annual submission cap of %(cap)s credits is already reached for your "
            "%(title)s year from %(start)s to %(end)s."
        ) % names
    return _(
        "The annual cap of %(cap)s credits for “%(activity)s” is already reached in your "
        "%(title)s year from %(start)s to %(end)s."
    ) % names


def assess_entry(
    *,
    holder: User,
    activity_type: ActivityType,
    activity_date: date,
    credits: Decimal,
    today: date,
    exclude_entry_ids: Sequence[int] = (),
) -> EntryAssessment:
    """Whether an entry of `credits` may be logged, and how much of it would count toward each
    of the holder's certifications. Entries waiting for a decision hold their place under the
    caps. Two queries."""
    certifications = [c for c in _holder_certifications(holder) if c.is_active]
    if not certifications:
        return EntryAssessment(credits, refusal=_(
            "You have no active certification to log CPE for."))
    counting = [c for c in certifications if c.collects_cpe]
    if not counting:
        return EntryAssessment(credits, refusal=_(
            "Your certifications require no CPE, so there is nothing to log."))
    if activity_date > today:
        return EntryAssessment(credits, refusal=_("The activity date is in the future."),
                               refusal_field="activity_date")
    first_award = min(c.awarded_on for c in counting)
    if activity_date < first_award:
        return EntryAssessment(credits, refusal_field="activity_date", refusal=_(
            "The activity took place before your first certification was awarded "
            "(%(date)s).") % {"date": _date(first_award)})

    containing = [(c, w) for c in counting if (w := c.year_containing(activity_date))]
    open_years = [(c, w) for c, w in containing if w.deadline >= today]
    if not open_years:
        deadline = max(w.deadline for _c, w in containing)
        return EntryAssessment(credits, refusal_field="activity_date", refusal=_(
            "The certification year that contains this date closed on %(deadline)s; "
            "activities can no longer be logged for it.") % {"deadline": _date(deadline)})

    entries = [
        e for e in _entries_between(holder, (w for _c, w in open_years),
                                    COUNTING_STATES | UNDECIDED_STATES)
        if e.pk not in exclude_entry_ids
    ]
    caps = _caps_of(entries) | {activity_type.pk: activity_type.annual_cap}
    shares = []
    for certification, window in open_years:
        requirement = certification.title.level.required_credits
        count = _count(entries, window, requirement, caps)
        cap_total = _submission_cap(requirement, window)
        counted, stopped_by = count_addition(
            credits, activity=activity_type.pk, used_by_activity=count.by_activity,
            used_total=count.total, caps=caps, submission_cap=cap_total,
        )
        cap = {StoppedBy.ACTIVITY_CAP: activity_type.annual_cap,
               StoppedBy.SUBMISSION_CAP: cap_total, None: None}[stopped_by]
        shares.append(Share(certification, window, counted, stopped_by, cap))
    if all(s.counted == ZERO for s in shares):
        return EntryAssessment(credits, tuple(shares), refusal=" ".join(
            _cap_message(activity_type, s) for s in shares
        ) + " " + _("This activity would not count for anything."))
    return EntryAssessment(credits, tuple(shares))


# --- Pages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartBar:
    label: str
    credits: Decimal
    percent: int


def credits_by_activity(*, holder: User, since: date, until: date) -> list[ChartBar]:
    """Claimed credits of the entries that count, by activity type, largest first. One query."""
    rows = (
        Entry.objects.filter(holder=holder, state__in=list(COUNTING_STATES),
                             activity_date__range=(since, until))
        .values("activity_type__name")
        .annotate(total=Sum(CREDITS))
        .order_by("-total", "activity_type__name")
    )
    rows = list(rows)
    top = max((r["total"] for r in rows), default=ZERO) or Decimal("1")
    return [ChartBar(r["activity_type__name"], r["total"], int(r["total"] * 100 / top))
            for r in rows]


def dashboard(*, holder: User, today: date) -> dict[str, object]:
    """Everything the dashboard shows, in a fixed number of queries."""
    standings = certification_standings(holder=holder, today=today)
    since = today - timedelta(days=364)
    return {
        "standings": standings,
        "can_log": any(s.years for s in standings),
        "recent_entries": list(holder_entries(holder=holder)[:5]),
        "chart": credits_by_activity(holder=holder, since=since, until=today),
        "chart_since": since,
        "today": today,
    }


def holder_entries(*, holder: User) -> QuerySet[Entry]:
    return (Entry.objects.filter(holder=holder).select_related("activity_type")
            .order_by("-activity_date", "-logged_at", "-pk"))


def year_filter_choices(*, holder: User,
                        today: date) -> list[tuple[str, str, YearWindow]]:
    """(key, label, window) for every certification year of the holder, newest first."""
    choices = []
    for certification in _holder_certifications(holder):
        for window in reversed(certification.years_through(today)):
            label = _("%(title)s, year %(number)d (%(start)s to %(end)s)") % {
                "title": certification.title.code, "number": window.number,
                "start": _date(window.starts_on), "end": _date(window.ends_on)}
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
