"""What a new entry (or a changed one) would count for, judged before it is saved: the write
path's assessment, which logging, editing and the live preview share. It reads the room the
entries ahead of it left under each cap in one query."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import ActivityType
from activities.rules import plain
from certifications.models import Certification
from certifications.rules import YearWindow
from common.markup import date_text

from .belonging import belonging_windows, entries_in
from .counting import ZERO, StoppedBy, count_addition
from .enums import COUNTING_OR_UNDECIDED_STATES, COUNTING_STATES
from .models import CREDITS, Entry
from .selectors.holder import _holder_certifications
from .standings.recount import year_submission_cap


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
    # Every certification of the holder, as the assessment read them.
    certifications: tuple[Certification, ...] = ()

    @property
    def counted(self) -> Decimal:
        """The most the entry counts toward any one certification."""
        return max((s.counted for s in self.shares), default=ZERO)




def _cap_message(activity_type: ActivityType, share: Share) -> str:
    window = share.window
    names = {"title": share.certification.title.name, "start": date_text(window.starts_on),
             "end": date_text(window.ends_on), "cap": plain(share.cap or ZERO),
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


def _before(activity_date: date, editing: Entry | None) -> Q:
    """Entries ahead of the new (or edited) entry in counting order. A new entry is logged now,
    after every entry of its date; an edited one keeps its logging time."""
    if editing is None:
        return Q(activity_date__lte=activity_date)
    return (Q(activity_date__lt=activity_date)
            | Q(activity_date=activity_date, logged_at__lt=editing.logged_at)
            | Q(activity_date=activity_date, logged_at=editing.logged_at, pk__lt=editing.pk))


def _room_ahead(holder: User, activity_date: date, windows: list[YearWindow],
                editing: Entry | None, holding: frozenset[str] = COUNTING_OR_UNDECIDED_STATES,
                ) -> list[tuple[dict[int, Decimal], Decimal]]:
    """For each window, what the entries ahead of the new one in counting order, in the
    `holding` states (by default waiting ones included: they hold their place), have used of
    each activity's cap, and of the year's total before the submission cap. One query:
    credits by activity and window."""
    rows = (
        Entry.objects.filter(holder=holder, state__in=sorted(holding),
                             activity_date__gte=min(w.starts_on for w in windows))
        .filter(_before(activity_date, editing))
        .exclude(pk=editing.pk if editing else None)
        .values("activity_type_id", "activity_type__annual_cap")
        .annotate(**{f"w{i}": Sum(CREDITS, filter=entries_in(w))
                     for i, w in enumerate(windows)})
        .order_by()
    )
    rows = list(rows)
    used = []
    for i in range(len(windows)):
        by_activity: dict[int, Decimal] = {}
        for row in rows:
            claimed, cap = row[f"w{i}"] or ZERO, row["activity_type__annual_cap"]
            # Under a cap, entries in order use it up to the cap; the rest does not count.
            by_activity[row["activity_type_id"]] = claimed if cap is None else min(claimed, cap)
        used.append((by_activity, sum(by_activity.values(), ZERO)))
    return used


def _shares_in_place(*, holder: User, activity_type: ActivityType, activity_date: date,
                     credits: Decimal, years: list[tuple[Certification, YearWindow]],
                     editing: Entry | None,
                     holding: frozenset[str] = COUNTING_OR_UNDECIDED_STATES) -> list[Share]:
    """How much of `credits` counts toward each of `years`, in its place in counting order
    after the entries ahead of it in the `holding` states. One query."""
    used = _room_ahead(holder, activity_date, [w for _c, w in years], editing, holding)
    caps = {activity_type.pk: activity_type.annual_cap}
    shares = []
    for (certification, window), (by_activity, total) in zip(years, used, strict=True):
        cap_total = year_submission_cap(certification.title.level.required_credits,
                                        window.starts_on)
        counted, stopped_by = count_addition(
            credits, activity=activity_type.pk, used_by_activity=by_activity,
            used_total=total if cap_total is None else min(total, cap_total), caps=caps,
            submission_cap=cap_total,
        )
        cap = {StoppedBy.ACTIVITY_CAP: activity_type.annual_cap,
               StoppedBy.SUBMISSION_CAP: cap_total, None: None}[stopped_by]
        shares.append(Share(certification, window, counted, stopped_by, cap))
    return shares


def shares_once_approved(*, entry: Entry, years: list[tuple[Certification, YearWindow]]
                         ) -> dict[int, Share]:
    """What an entry awaiting a decision would count toward each of `years` (by
    certification id) if it were approved now at its claim: the entries ahead of it in
    counting order that count use their room under the caps first; those still awaiting a
    decision take none until they are approved. The review panel's answer. One query; none
    without years."""
    if not years:
        return {}
    shares = _shares_in_place(holder=entry.holder, activity_type=entry.activity_type,
                              activity_date=entry.activity_date, credits=entry.credits,
                              years=years, editing=entry, holding=COUNTING_STATES)
    return {share.certification.pk: share for share in shares}


def assess_entry(
    *,
    holder: User,
    activity_type: ActivityType,
    activity_date: date,
    credits: Decimal,
    today: date,
    editing: Entry | None = None,
) -> EntryAssessment:
    """Whether an entry of `credits` may be logged (or an entry changed to it), and how much of
    it would count toward each of the holder's certifications.

    It is judged in its place in counting order: entries dated before it, waiting ones
    included, use their room under the caps first; entries after it do not change what it
    counts. Two queries, whatever the number of entries.
    """
    held = tuple(_holder_certifications(holder))
    refused = partial(EntryAssessment, credits, certifications=held)
    if not any(c.is_active for c in held):
        return refused(refusal=_("You have no active certification to log CPE for."))
    counting = [c for c in held if c.collects_cpe]
    if not counting:
        return refused(refusal=_(
            "Your certifications require no CPE, so there is nothing to log."))
    if activity_date > today:
        return refused(refusal=_("The activity date is in the future."),
                       refusal_field="activity_date")
    first_award = min(c.awarded_on for c in counting)
    if activity_date < first_award:
        return refused(refusal_field="activity_date", refusal=_(
            "The activity took place before your first certification was awarded "
            "(%(date)s).") % {"date": date_text(first_award)})

    # Reported today: the years it would belong to.
    open_years = belonging_windows(counting, activity_date=activity_date, reported_on=today)
    if not open_years:
        deadline = max(w.deadline for c in counting if (w := c.year_containing(activity_date)))
        return refused(refusal_field="activity_date", refusal=_(
            "The certification year that contains this date closed on %(deadline)s; "
            "activities can no longer be logged for it.") % {"deadline": date_text(deadline)})

    shares = _shares_in_place(holder=holder, activity_type=activity_type,
                              activity_date=activity_date, credits=credits, years=open_years,
                              editing=editing)
    if all(s.counted == ZERO for s in shares):
        return refused(shares=tuple(shares), refusal=" ".join(
            _cap_message(activity_type, s) for s in shares
        ) + " " + _("This activity would not count for anything."))
    return EntryAssessment(credits, tuple(shares), certifications=held)

