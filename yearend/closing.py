"""The year-end close: every certification year whose reporting deadline has passed is closed,
once, from the stored standings.

- met → closed as met, and the holder is told so (the next year is open already: the years of
  a certification are laid up to the one containing today before anything closes);
- short, but its best case could still make it met → held (`waiting`, since the day it was
  first held) and judged again on every later run. The best case is the year counted as if
  every decision still open went the holder's way: entries awaiting a decision approved as
  claimed, an appealed rejection at its claim, an appealed adjustment by the difference; only
  entries that belong to the year, under the activity caps and the submission cap;
- otherwise → closed as not met and the certification decertified: a denial with its reason
  (the holder may appeal it), the badge revoked at once, its later years count nothing, and a
  mail with the way to appeal;

A closed year keeps the counted credits it closed with (`counted_at_close`): it is a record.
- no CPE required (Foundation titles) → closed as exempt: never decertified.

It lives here, on top of the apps it reads (open appeals hold a close) and calls down into.

Set-based and resumable: one query lists the years due; they are closed in committed batches of
holders, each batch under its holders' locks (so that no review decision moves a standing the
batch is reading) with a handful of statements whatever its size. A year is claimed by the
UPDATE that closes it, in the transaction that writes its denial and its mail, so a run killed
at any point and run again ends in the same state, with nothing sent or changed twice. Two runs
take turns under an advisory lock.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.outbox import Mail, queue_mails
from accounts.services import records_changed
from activities.models import ActivityType
from appeals.enums import OPEN_APPEAL_STATES
from appeals.models import Appeal
from certifications.enums import UNCLOSED_YEAR_STATES, CertificationStatus, YearState
from certifications.models import CertificationYear
from certifications.rules import YearWindow, close_outcome, takes_entry
from certifications.services import decertify_certifications, ensure_certification_years
from common.jobs import batches_by_holder, job_lock
from common.mail import site_url
from submissions.counting import Countable, best_case, best_case_credits
from submissions.enums import COUNTING_STATES, UNDECIDED_STATES, DenialKind
from submissions.models import Denial, Entry, appeal_until
from submissions.services import record_denials
from submissions.standings.recount import lock_holders, recount_years, year_submission_cap

BATCH_HOLDERS = 1000


@dataclass
class CloseRun:
    met: int = 0
    exempt: int = 0
    held: int = 0
    decertified: int = 0
    messages: int = 0
    batches: int = 0

    def add(self, other: "CloseRun") -> None:
        for name in ("met", "exempt", "held", "decertified", "messages", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Batch:
    years: dict[str, list[int]] = field(default_factory=dict)
    newly_held: list[int] = field(default_factory=list)
    decertify: list[dict] = field(default_factory=list)
    met: list[dict] = field(default_factory=list)


def due_years(*, today: date):
    """Years of active certifications whose deadline passed before `today`, not closed yet
    (open, or held for decisions)."""
    return CertificationYear.objects.filter(
        state__in=sorted(UNCLOSED_YEAR_STATES), deadline__lt=today,
        certification__status=CertificationStatus.ACTIVE)


def _open_entry_appeal(holder_ref: str) -> Exists:
    """An open appeal of one of the holder's entry denials (a rejection or an adjustment)."""
    return Exists(Appeal.objects.filter(
        state__in=OPEN_APPEAL_STATES, denial__holder_id=OuterRef(holder_ref),
        denial__entry__isnull=False))


def _best_cases(rows: Sequence[dict]) -> dict[int, Decimal]:
    """The best case (`counting.best_case`) of each year that is short and has something still
    open that could add to it: entries awaiting a decision, or an open appeal of an entry denial
    of its holder. Only entries that belong to the year (`belonging`) count, each at its
    best-case credits, under the caps. Two queries, none when no year qualifies."""
    candidates = [row for row in rows
                  if 0 < row["required_credits"]  # noqa: SIM300 (a range: 0 < required)
                  and row["counted_credits"] < row["required_credits"]
                  and (row["undecided_credits"] > 0 or row["entry_appealed"])]
    if not candidates:
        return {}
    entries = list(
        Entry.objects.filter(
            holder_id__in={row["certification__holder_id"] for row in candidates},
            activity_date__gte=min(row["starts_on"] for row in candidates),
            activity_date__lte=max(row["ends_on"] for row in candidates))
        .annotate(appealed=Exists(Appeal.objects.filter(
            state__in=OPEN_APPEAL_STATES, denial__entry_id=OuterRef("pk"))))
        .filter(Q(state__in=sorted(COUNTING_STATES | UNDECIDED_STATES)) | Q(appealed=True))
        .values("pk", "holder_id", "activity_type_id", "activity_date", "logged_at",
                "reported_on", "state", "claimed_credits", "approved_credits", "appealed"))
    caps = dict(ActivityType.objects.values_list("pk", "annual_cap"))
    best = {}
    for row in candidates:
        window = YearWindow(row["number"], row["starts_on"], row["ends_on"], row["deadline"])
        countable = []
        for entry in entries:
            if entry["holder_id"] != row["certification__holder_id"] or not takes_entry(
                    window, activity_date=entry["activity_date"],
                    reported_on=entry["reported_on"]):
                continue
            credits = best_case_credits(
                counts=entry["state"] in COUNTING_STATES,
                undecided=entry["state"] in UNDECIDED_STATES, appealed=entry["appealed"],
                claimed=entry["claimed_credits"], approved=entry["approved_credits"])
            if credits is not None:
                countable.append(Countable(key=entry["pk"], activity=entry["activity_type_id"],
                                           activity_date=entry["activity_date"],
                                           logged_at=entry["logged_at"], credits=credits))
        best[row["pk"]] = best_case(countable, caps=caps, submission_cap=year_submission_cap(
            row["required_credits"], row["starts_on"]))
    return best


def _holder_batches(today: date, size: int) -> Iterator[tuple[list[int], list[int]]]:
    """The holders with years due, `size` at a time, each batch with the ids of those years.
    One query, read at once (as a server-side cursor, PostgreSQL would plan it for its first
    rows: a walk of every holder). A batch then reads its years by their ids, so that what it
    reads grows with the batch, not with the table: by holder, PostgreSQL scanned every due
    year of the table for each batch."""
    rows = (due_years(today=today).order_by("certification__holder_id", "pk")
            .values_list("certification__holder_id", "pk"))
    for batch in batches_by_holder(rows, itemgetter(0), size):
        yield ([years[0][0] for years in batch],
               [year_id for years in batch for _holder, year_id in years])


def _plan(rows: Sequence[dict], best: dict[int, Decimal]) -> _Batch:
    """Each year's outcome, in the order of its certification's years, from its stored
    standing and its best case (`best`, by year id): once a year decertifies the certification,
    its later years stay as they are (the certification no longer collects CPE)."""
    plan = _Batch()
    decertified: set[int] = set()
    for row in rows:
        if row["certification_id"] in decertified:
            continue
        outcome = close_outcome(required=row["required_credits"], counted=row["counted_credits"],
                                best_case=best.get(row["pk"]))
        if outcome == YearState.WAITING:
            if row["state"] == YearState.OPEN:
                plan.newly_held.append(row["pk"])
            continue
        plan.years.setdefault(outcome, []).append(row["pk"])
        if outcome == YearState.NOT_MET:
            decertified.add(row["certification_id"])
            plan.decertify.append(row)
        elif outcome == YearState.MET:
            plan.met.append(row)
    return plan


def _reason(row: dict) -> str:
    return _(
        "Year %(number)d of %(title)s (%(starts)s to %(ends)s) ended with %(counted)s of the "
        "%(required)s CPE credits it requires, and nothing left to decide could make up the "
        "rest by the reporting deadline of %(deadline)s.") % {
            "number": row["number"], "title": row["certification__title__name"],
            "starts": date_format(row["starts_on"]), "ends": date_format(row["ends_on"]),
            "counted": row["counted_credits"], "required": row["required_credits"],
            "deadline": date_format(row["deadline"])}


def _year_context(row: dict) -> dict[str, object]:
    return {"title": row["certification__title__name"], "number": row["number"],
            "starts_on": row["starts_on"], "ends_on": row["ends_on"],
            "deadline": row["deadline"], "counted": row["counted_credits"],
            "required": row["required_credits"],
            "url": site_url("submissions:year_detail", row["certification_id"], row["number"])}


@transaction.atomic
def _close_batch(holder_ids: list[int], year_ids: list[int], *, today: date) -> CloseRun:
    lock_holders(holder_ids)
    # Read again under the holders' locks: the years still due, as they stand now.
    rows = list(
        due_years(today=today).filter(pk__in=year_ids)
        .select_for_update(of=("self",))
        .annotate(entry_appealed=_open_entry_appeal("certification__holder_id"))
        .order_by("certification_id", "number")
        .values("pk", "number", "state", "starts_on", "ends_on", "deadline",
                "required_credits", "counted_credits", "undecided_credits", "entry_appealed",
                "certification_id", "certification__title__name",
                "certification__holder_id", "certification__holder__email"))
    plan = _plan(rows, _best_cases(rows))
    now = timezone.now()
    for state, ids in plan.years.items():
        # The close's record: what the year counted when it closed stays so.
        CertificationYear.objects.filter(pk__in=ids).update(
            state=state, closed_at=now, counted_at_close=F("counted_credits"))
    if plan.newly_held:
        CertificationYear.objects.filter(pk__in=plan.newly_held).update(
            state=YearState.WAITING, held_since=today)

    mails = []
    dashboard_url = site_url("home")
    if plan.decertify:
        reasons = {row["pk"]: _reason(row) for row in plan.decertify}
        certifications = decertify_certifications(
            [row["certification_id"] for row in plan.decertify], on=today, now=now,
            reason=_("Decertified at the year-end close"))
        # A decertified certification collects nothing: its years still open count nothing.
        recount_years(CertificationYear.objects.filter(
            certification_id__in=list(certifications)).values_list("pk", flat=True))
        record_denials([
            Denial(holder_id=row["certification__holder_id"], kind=DenialKind.DECERTIFIED,
                   certification=certifications[row["certification_id"]], denied_on=today,
                   reason=reasons[row["pk"]], created_at=now)
            for row in plan.decertify])
        mails += [Mail(name="decertified", recipient_id=row["certification__holder_id"],
                       to=row["certification__holder__email"],
                       dedupe_key=f"year-closed:{row['pk']}", context={
                           "year": _year_context(row), "reason": reasons[row["pk"]],
                           "decertified_on": today, "appeal_until": appeal_until(today),
                           "dashboard_url": dashboard_url})
                  for row in plan.decertify]
    mails += [Mail(name="year_met", recipient_id=row["certification__holder_id"],
                   to=row["certification__holder__email"],
                   dedupe_key=f"year-closed:{row['pk']}",
                   context={"year": _year_context(row), "dashboard_url": dashboard_url})
              for row in plan.met]
    queue_mails(mails)
    moved = {year_id for year_ids in plan.years.values() for year_id in year_ids}
    moved.update(plan.newly_held)
    changed = {row["certification__holder_id"] for row in rows if row["pk"] in moved}
    if changed:
        records_changed(holder_ids=changed)
    return CloseRun(met=len(plan.met), exempt=len(plan.years.get(YearState.EXEMPT, [])),
                    held=len(plan.newly_held), decertified=len(plan.decertify),
                    messages=len(mails), batches=1)


def close_certification_years(*, today: date,
                              batch_holders: int = BATCH_HOLDERS) -> CloseRun:
    """Close every certification year whose reporting deadline passed before `today` (see the
    module docstring). Returns what it did: years closed as met and as exempt, years newly held,
    certifications decertified, messages written, batches committed.

    Side effects: lays missing certification years first; then, per batch of holders, in one
    transaction: the years' states, decertifications (with their history), denials, outbox
    messages, and the holders' records version. Mail is delivered after each commit."""
    run = CloseRun()
    with job_lock("close_certification_years"):
        # From the certifications themselves, whether or not the daily opening job ran.
        ensure_certification_years(today=today)
        for holder_ids, year_ids in _holder_batches(today, batch_holders):
            run.add(_close_batch(holder_ids, year_ids, today=today))
        if run.batches and connection.vendor == "postgresql":
            # A close moves many years' states at once, fewer than autovacuum waits for: the
            # planner learns of them now, or it takes the held years for none and the review
            # queue, which sorts their entries first, walks every held year for each entry.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {CertificationYear._meta.db_table}")
    return run
