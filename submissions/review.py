"""Review decisions: approve, approve with an adjusted credit value, reject, request proof.

Each is a service that locks the holder and the entry, checks that the entry may still be
decided (and, when the reviewer says what they saw, that it has not changed since), records who,
when and why, recounts the stored standings of the years the entry counts toward, makes the
denial through `record_denial` where the holder may appeal, and writes the holder's mail to the
outbox: all in one transaction. An entry decided by one reviewer while another had it open is
not decided twice.
"""

import hashlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.outbox import queue_mail
from activities.enums import RuleKind
from activities.rules import credits_text, plain, round_down
from certifications.enums import CLOSED_YEAR_STATES
from certifications.models import CertificationYear
from common.mail import site_url

from .belonging import years_of_outer_entry
from .enums import (
    AUDITABLE_STATES,
    COUNTING_OR_UNDECIDED_STATES,
    DECIDABLE_STATES,
    PROOF_REQUESTABLE_STATES,
    REINSTATABLE_STATES,
    DenialKind,
    EntryState,
)
from .models import Audit, Denial, Entry, ProofFile, appeal_until
from .rejections import Rejection, reject_entries
from .services import certifications_of, record_denial, record_state_change, recount_change
from .standings.recount import entry_years, lock_holders


def state_phrase(state: str) -> str:
    """An entry's state as the end of “This entry is …”, in plain English (a state's label,
    “proof requested”, is a name, not a phrase)."""
    return {
        EntryState.SUBMITTED: _("submitted and counting"),
        EntryState.PENDING_APPROVAL: _("waiting for approval"),
        EntryState.APPROVED: _("approved"),
        EntryState.PROOF_REQUESTED: _("waiting for proof from the holder"),
        EntryState.REJECTED: _("rejected"),
        EntryState.WITHDRAWN: _("withdrawn by the holder"),
    }[EntryState(state)]


def _locked(entry: Entry, *, allowed: frozenset[str], seen_state: str | None) -> Entry:
    lock_holders([entry.holder_id])
    locked = (Entry.objects.select_for_update(of=("self",))
              .select_related("activity_type", "holder").get(pk=entry.pk))
    if seen_state is not None and locked.state != seen_state:
        last = locked.state_changes.select_related("changed_by").last()
        raise ValidationError(_(
            "This entry changed while you had it open: it is now %(state)s (%(who)s). Look at "
            "it again before deciding.") % {
                "state": state_phrase(locked.state),
                "who": last.changed_by if last and last.changed_by else _("unknown")})
    if locked.state not in allowed:
        raise ValidationError(_("This entry is %(state)s: that decision is no longer open for "
                                "it.") % {"state": state_phrase(locked.state)})
    return locked


def _entry_url(entry: Entry) -> str:
    return site_url("submissions:entry_detail", entry.pk)


def _decide(entry: Entry, *, by: User, allowed: frozenset[str], seen_state: str | None,
            reason: str, change: Callable[[Entry], None]) -> Entry:
    """Lock, check, `change` the entry, record the state change and recount its years."""
    locked = _locked(entry, allowed=allowed, seen_state=seen_state)
    from_state = locked.state
    change(locked)
    locked.full_clean(exclude=["holder", "activity_type"], validate_unique=False,
                      validate_constraints=False)
    locked.save()
    record_state_change(entry=locked, from_state=from_state, by=by, reason=reason)
    recount_change(locked, entry_years(locked, certifications_of(locked.holder_id)),
             since=locked.activity_date)
    return locked


@transaction.atomic
def approve_entry(*, entry: Entry, by: User, today: date, note: str = "",
                  seen_state: str | None = None) -> Entry:
    """Approve an entry at the credits it claims: it counts.

    Side effects: the state becomes `approved` (recorded with `note`), the years it counts
    toward are recounted, and the holder is mailed. Raises ValidationError for an entry that
    is decided already or changed since the reviewer saw it in `seen_state`."""
    def approve(locked: Entry) -> None:
        locked.state, locked.approved_credits = EntryState.APPROVED, None
        locked.proof_due_on = None

    approved = _decide(entry, by=by, allowed=DECIDABLE_STATES, seen_state=seen_state,
                       reason=note or _("Approved"), change=approve)
    queue_mail("entry_approved", to=approved.holder, context={
        "entry": approved, "entry_url": _entry_url(approved)})
    return approved


def _check_adjusted(entry: Entry, credits: Decimal) -> Decimal:
    credits = Decimal(credits)
    if credits != round_down(credits) or credits < 0:
        raise ValidationError({"credits": _(
            "Give the credits as a number of at least 0 with at most two decimals.")})
    if credits >= entry.claimed_credits:
        raise ValidationError({"credits": _(
            "An adjusted value must be lower than the %(claimed)s credits claimed; to keep "
            "them, approve the entry.") % {
                "claimed": credits_text(entry.claimed_credits, always_places=True)}})
    rule = entry.activity_type.rule
    if rule.kind == RuleKind.RANGE and rule.range_min is not None and credits < rule.range_min:
        raise ValidationError({"credits": _(
            "This activity earns %(low)s to %(high)s credits; adjust within that range.") % {
                "low": plain(rule.range_min), "high": plain(rule.range_max or rule.range_min)}})
    return credits


@transaction.atomic
def adjust_entry(*, entry: Entry, by: User, credits: Decimal, reason: str, today: date,
                 seen_state: str | None = None) -> Entry:
    """Approve an entry at a lower credit value than it claims: a denial of the difference,
    which the holder may appeal.

    Side effects: the state becomes `approved` with `approved_credits`, the change is recorded
    with `reason`, a denial (credit value adjusted) is made, the years it counts toward are
    recounted, and the holder is mailed. Raises ValidationError for a missing reason, a value
    that is not lower than claimed (or outside a range activity's range), or an entry that
    cannot be decided."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the value is adjusted: the holder reads "
                                           "it and may appeal it.")})

    def adjust(locked: Entry) -> None:
        locked.approved_credits = _check_adjusted(locked, credits)
        locked.state = EntryState.APPROVED
        locked.proof_due_on = None

    adjusted = _decide(entry, by=by, allowed=DECIDABLE_STATES, seen_state=seen_state,
                       reason=reason.strip(), change=adjust)
    denial = record_denial(holder=adjusted.holder, kind=DenialKind.CREDITS_ADJUSTED,
                           entry=adjusted, denied_on=today, reason=reason.strip())
    queue_mail("entry_adjusted", to=adjusted.holder, context={
        "entry": adjusted, "entry_url": _entry_url(adjusted), "reason": denial.reason,
        "appeal_until": appeal_until(today)})
    return adjusted


@transaction.atomic
def reject_entry(*, entry: Entry, by: User, reason: str, today: date,
                 seen_state: str | None = None) -> Entry:
    """Reject an entry: it does not count. A denial the holder may appeal.

    Side effects: those of `rejections.reject_entries`, the one path of every rejection: the
    state becomes `rejected` (recorded with `reason`), a denial (entry rejected) is made, the
    years it counted toward are recounted, and the holder is mailed. Raises ValidationError
    for a missing reason or an entry that cannot be decided."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is rejected: the holder reads it "
                                           "and may appeal it.")})

    locked = _locked(entry, allowed=DECIDABLE_STATES, seen_state=seen_state)
    return reject_entries(rejections=[Rejection(locked, reason.strip())], by=by, today=today,
                          summary=_("Rejected"))[0]


@transaction.atomic
def reinstate_entry(*, entry: Entry, by: User, reason: str,
                    credits: Decimal | None = None) -> Entry:
    """The Board upheld an appeal against the entry's rejection or adjustment: it counts again,
    at `credits` when the Board sets a value (more than 0, at most the credits claimed),
    otherwise at the credits claimed.

    Side effects: the state becomes `approved`, the change is recorded with `reason`, and the
    years it counts toward are recounted. Raises ValidationError for a value out of range or
    an entry that is neither rejected nor approved."""
    def reinstate(locked: Entry) -> None:
        if credits is not None and not (0 < credits <= locked.claimed_credits):
            raise ValidationError({"credits": _(
                "The Board's value is more than 0 and at most the %(claimed)s credits "
                "claimed.") % {"claimed": plain(locked.claimed_credits)}})
        locked.state = EntryState.APPROVED
        locked.approved_credits = None if credits in (None, locked.claimed_credits) else credits

    return _decide(entry, by=by, allowed=REINSTATABLE_STATES, seen_state=None, reason=reason,
                   change=reinstate)


def proof_deadline(today: date) -> date:
    """The day requested proof is due, as the settings give."""
    return today + timedelta(days=settings.CPE_PROOF_DEADLINE_DAYS)


def check_proof_deadline(due_on: date, *, today: date) -> None:
    """Raises ValidationError for a proof deadline a holder cannot be given: not after `today`,
    or more than CPE_PROOF_DEADLINE_MAX_DAYS days after it."""
    if due_on <= today:
        raise ValidationError({"due_on": _("Give the holder a deadline after today.")})
    latest = today + timedelta(days=settings.CPE_PROOF_DEADLINE_MAX_DAYS)
    if due_on > latest:
        raise ValidationError({"due_on": _(
            "Give the holder a deadline at most %(days)d days ahead, on %(latest)s or "
            "earlier.") % {"days": settings.CPE_PROOF_DEADLINE_MAX_DAYS,
                          "latest": date_format(latest)}})


@transaction.atomic
def request_proof(*, entry: Entry, by: User, today: date, due_on: date | None = None,
                  reason: str = "", seen_state: str | None = None,
                  notify: bool = True) -> Entry:
    """Ask the holder for proof of an entry: it stops counting until the proof is accepted.

    Side effects: the state becomes `proof requested` with its deadline (default: the settings'
    proof deadline), the change is recorded, the years it counted toward are recounted, and the
    holder is mailed (unless `notify` is off: an audit mails each holder once for all their
    entries). Raises ValidationError for a deadline not after today or past the longest
    allowed (CPE_PROOF_DEADLINE_MAX_DAYS), or an entry already decided or already waiting for
    proof."""
    return _request_proof(entry=entry, by=by, today=today, due_on=due_on, reason=reason,
                          seen_state=seen_state, notify=notify,
                          allowed=PROOF_REQUESTABLE_STATES)


def _request_proof(*, entry: Entry, by: User, today: date, due_on: date | None, reason: str,
                   seen_state: str | None, notify: bool, allowed: frozenset[str]) -> Entry:
    due_on = due_on or proof_deadline(today)
    check_proof_deadline(due_on, today=today)

    def ask(locked: Entry) -> None:
        years = entry_years(locked, certifications_of(locked.holder_id))
        if all(year.is_closed for year in years):
            # A closed year is a record: what it counted stays, so there is nothing to prove.
            raise ValidationError(_(
                "Proof can no longer be requested for this entry: every certification year it "
                "belongs to is closed, and a closed year stays as its close left it."))
        locked.state, locked.proof_due_on = EntryState.PROOF_REQUESTED, due_on
        locked.proof_submitted_at = None

    asked = _decide(entry, by=by, allowed=allowed, seen_state=seen_state,
                    reason=reason.strip() or _("Proof requested"), change=ask)
    if notify:
        queue_mail("proof_requested", to=asked.holder, context={
            "entry": asked, "entry_url": _entry_url(asked), "due_on": due_on,
            "reason": reason.strip()})
    return asked


@dataclass(frozen=True)
class BulkOutcome:
    decided: list[Entry]
    refused: list[tuple[Entry, str]]


def decide_each(entries: list[Entry], decide: Callable[[Entry], Entry]) -> BulkOutcome:
    """Apply one decision to several entries, each in its own transaction: one that cannot be
    decided is reported, the others go ahead."""
    decided, refused = [], []
    for entry in entries:
        try:
            decided.append(decide(entry))
        except ValidationError as error:
            refused.append((entry, " ".join(error.messages)))
    return BulkOutcome(decided, refused)


# --- Audit samples ---------------------------------------------------------------------------

def _draw_order(seed: str, holder_id: int) -> str:
    return hashlib.sha256(f"{seed}:{holder_id}".encode()).hexdigest()


def audit_population(*, period_start: date, period_end: date) -> list[int]:
    """The holders with entries in a period that count or wait for a decision, by id."""
    return sorted(set(
        Entry.objects.filter(activity_date__range=(period_start, period_end),
                             state__in=sorted(COUNTING_OR_UNDECIDED_STATES))
        .values_list("holder_id", flat=True).distinct()))


def draw_holders(population: list[int], *, percent: Decimal, seed: str) -> list[int]:
    """`percent` % of the population (rounded up), chosen by the seed: the same seed and
    population always draw the same holders, and a larger share draws a superset."""
    count = math.ceil(len(population) * Decimal(percent) / 100)
    return sorted(sorted(population, key=lambda holder_id: _draw_order(seed, holder_id))[:count])


def auditable_entries(*, holder_ids: list[int], period_start: date,
                      period_end: date) -> QuerySet[Entry]:
    """The entries of these holders in the period that an audit asks proof of: any that counts
    or waits for a decision (approved ones included), that has no proof yet, that no denial
    settled (an adjusted value, or the Board's reinstatement), and that belongs to a
    certification year not yet closed. The preview and the draw both read this."""
    open_year = CertificationYear.objects.filter(years_of_outer_entry()).exclude(
        state__in=sorted(CLOSED_YEAR_STATES))
    return (Entry.objects.filter(holder_id__in=holder_ids,
                                 activity_date__range=(period_start, period_end),
                                 state__in=sorted(AUDITABLE_STATES))
            .filter(~Exists(ProofFile.objects.filter(entry=OuterRef("pk"))),
                    ~Exists(Denial.objects.filter(entry=OuterRef("pk"))),
                    Exists(open_year))
            .order_by("holder_id", "activity_date", "logged_at", "pk"))


@transaction.atomic
def draw_audit_sample(*, period_start: date, period_end: date, percent: Decimal, seed: str,
                      by: User, today: date, due_on: date | None = None,
                      key: uuid.UUID | None = None) -> Audit:
    """Draw an audit sample and ask the drawn holders for proof of their entries in the period
    (`auditable_entries`: approved ones included, which stop counting until the proof is
    accepted).

    Side effects: one Audit row naming the holders drawn and the entries asked; per entry, the
    proof request (state `proof requested` with the deadline, recorded, recounted); one mail per
    holder asked, listing their entries. All in one transaction: nothing is half asked. Drawing
    the same sample again asks nothing twice: entries already waiting for proof, or with proof,
    are left as they are. With `key` (the preview the reviewer confirmed), a key already drawn
    returns that sample and asks nothing: a confirmation posted twice draws once. Raises
    ValidationError, before asking anyone, for a deadline `request_proof` would refuse."""
    due_on = due_on or proof_deadline(today)
    check_proof_deadline(due_on, today=today)
    if key is not None and (earlier := Audit.objects.filter(draw_key=key).first()):
        return earlier
    population = audit_population(period_start=period_start, period_end=period_end)
    drawn = draw_holders(population, percent=percent, seed=seed)
    try:
        # Claimed first: a second confirmation waits here for the first, then finds it.
        with transaction.atomic():
            audit = Audit.objects.create(
                period_start=period_start, period_end=period_end, percent=percent, seed=seed,
                due_on=due_on, drawn_by=by, population=len(population), requests=0,
                draw_key=key)
    except IntegrityError:
        return Audit.objects.get(draw_key=key)
    entries = auditable_entries(holder_ids=drawn, period_start=period_start,
                                period_end=period_end).select_related("holder")
    by_holder: dict[int, list[Entry]] = {}
    for entry in entries:
        by_holder.setdefault(entry.holder_id, []).append(entry)
    asked: list[Entry] = []
    for holder_id in drawn:
        asked += _ask_holder(by_holder.get(holder_id, []), by=by, today=today, due_on=due_on)
    audit.requests = len(asked)
    audit.save(update_fields=["requests"])
    audit.holders.set(drawn)
    audit.entries.set(asked)
    return audit


def _ask_holder(entries: list[Entry], *, by: User, today: date, due_on: date) -> list[Entry]:
    asked = []
    for entry in entries:
        try:
            asked.append(_request_proof(
                entry=entry, by=by, today=today, due_on=due_on, seen_state=entry.state,
                notify=False, reason=_("Selected for a random audit"),
                allowed=AUDITABLE_STATES))
        except ValidationError:
            # Decided in the meantime, or its years all closed: an audit asks only for what
            # can still change a year.
            continue
    if asked:
        holder = asked[0].holder
        queue_mail("audit_proof_requested", to=holder, context={
            "entries": [(entry, _entry_url(entry)) for entry in asked], "due_on": due_on})
    return asked
