"""Writes for entries: logging, editing and withdrawing them, proof, denials, and the state
changes every later step records.

Every change that can move a count takes the holder's lock, makes the change and recounts the
stored standings of the certification years it touches (`standings.recount_years`), all in one
transaction: pages read those standings and never recount.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.pending import queue_job
from accounts.services import records_changed
from activities.models import ActivityType
from activities.rules import Inputs, InvalidInput, earned_credits
from certifications.models import Certification, CertificationLevel, CertificationYear

from .assessment import EntryAssessment, assess_entry
from .enums import EDITABLE_STATES, WITHDRAWABLE_STATES, DenialKind, EntryState
from .models import Denial, Entry, EntryStateChange, ProofFile
from .proof import HEAD_BYTES, detect_content_type, proof_problem, suffix_for
from .standings.recount import entry_years, lock_holders, recount_years

# The most one entry can claim: what the credits column holds.
MAX_ENTRY_CREDITS = Decimal("9999.99")
# simple_history's change reason column.
HISTORY_REASON_LENGTH = 100


@dataclass(frozen=True)
class EntryDetails:
    """What a holder says about an activity: the fields of the log form, as logging and editing
    take them."""

    activity_type: ActivityType
    activity_date: date
    title: str
    provider: str = ""
    description: str = ""
    inputs: Inputs = field(default_factory=Inputs)
    relevance_confirmed: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "EntryDetails":
        """From a form's cleaned data (or any mapping of the log form's field names)."""
        return cls(
            activity_type=data["activity_type"], activity_date=data["activity_date"],
            title=data.get("title") or "", provider=data.get("provider") or "",
            description=data.get("description") or "", inputs=Inputs.from_data(data),
            relevance_confirmed=bool(data.get("relevance_confirmed")),
        )


def record_state_change(*, entry: Entry, from_state: str, by: User | None,
                        reason: str = "") -> EntryStateChange:
    """Keep who moved the saved `entry` from `from_state` to its state now, when and why."""
    return EntryStateChange.objects.create(
        entry=entry, from_state=from_state, to_state=entry.state, changed_by=by, reason=reason
    )


def earn(activity_type: ActivityType, inputs: Inputs) -> tuple[Inputs, Decimal]:
    """The credits an entry earns, keeping only the inputs of the activity's rule kind.

    Raises ValidationError naming the field for nonsense, and for an entry that earns nothing
    (a webinar attended below the minimum) with the reason.
    """
    rule = activity_type.rule
    kept = inputs.kept_for(rule)
    try:
        earning = earned_credits(rule, kept)
    except InvalidInput as error:
        raise ValidationError({error.field: error.message}) from error
    if earning.credits > MAX_ENTRY_CREDITS:
        raise ValidationError({(rule.input_fields or (NON_FIELD_ERRORS,))[0]: _(
            "That is more than one activity can earn (%(max)s credits); log it as several "
            "entries.") % {"max": MAX_ENTRY_CREDITS}})
    if earning.credits <= 0:
        field_name = "attended_minutes" if rule.needs_attendance else NON_FIELD_ERRORS
        raise ValidationError({field_name: earning.reason})
    return kept, earning.credits


def assess_inputs(*, holder: User, activity_type: ActivityType, activity_date: date,
                  inputs: Inputs, today: date,
                  editing: Entry | None = None) -> tuple[Inputs, EntryAssessment]:
    """What an entry with these inputs earns and where it would count, without saving: the
    check behind the log form's preview, the admin and the save itself. Raises ValidationError
    for inputs that earn nothing; a refusal is in the assessment (see `refuse`)."""
    kept, credits = earn(activity_type, inputs)
    return kept, assess_entry(holder=holder, activity_type=activity_type,
                              activity_date=activity_date, credits=credits, today=today,
                              editing=editing)


def refuse(assessment: EntryAssessment) -> None:
    if assessment.refusal:
        raise ValidationError({assessment.refusal_field or NON_FIELD_ERRORS: assessment.refusal})


def check_entry(*, holder: User, details: EntryDetails, today: date,
                editing: Entry | None = None) -> tuple[dict[str, object], EntryAssessment]:
    """Validate what a holder says about an activity against the rules (the activity is
    offered, a title, relevance, what it earns, dates and caps, judged in its place in counting
    order) and return it as the Entry stores it, with the assessment. Raises ValidationError
    naming the field."""
    errors: dict[str, str] = {}
    if not details.activity_type.active:
        errors["activity_type"] = _("This activity type is no longer offered.")
    if not details.title.strip():
        errors["title"] = _("Give the activity a title, e.g. the course or book name.")
    if not details.relevance_confirmed:
        errors["relevance_confirmed"] = _(
            "Confirm that the activity is relevant to your field and not part of your "
            "regular job."
        )
    if errors:
        raise ValidationError(errors)
    kept, assessment = assess_inputs(
        holder=holder, activity_type=details.activity_type, activity_date=details.activity_date,
        inputs=details.inputs, today=today, editing=editing)
    refuse(assessment)
    return {
        "activity_type": details.activity_type, "activity_date": details.activity_date,
        **_described(details),
        "hours": kept.hours, "length_minutes": kept.length_minutes,
        "attended_minutes": kept.attended_minutes, "quantity": kept.quantity,
        "proposed_credits": kept.proposed_credits, "claimed_credits": assessment.credits,
        "relevance_confirmed": True,
    }, assessment


def _described(details: EntryDetails) -> dict[str, str]:
    """The words around an activity, which change nothing it counts."""
    return {"title": details.title.strip(), "provider": details.provider.strip(),
            "description": details.description.strip()}


def _state_for(activity_type: ActivityType) -> EntryState:
    return EntryState.PENDING_APPROVAL if activity_type.needs_approval else EntryState.SUBMITTED


def _keep_history(entry: Entry, *, by: User | None, reason: str) -> None:
    """Tell the entry's next save who makes the change and why, for its history. Inside a
    request simple_history's middleware knows the user; tasks and commands call services too."""
    entry._history_user = by
    # The history keeps a short reason; the state change keeps the whole of it. Cut by code
    # points, as the column counts them (combining marks included).
    entry._change_reason = reason[:HISTORY_REASON_LENGTH]


def _save(entry: Entry, *, by: User | None, reason: str) -> None:
    _keep_history(entry, by=by, reason=reason)
    # The check constraints hold by construction (earn() produced the inputs), the holder and
    # activity type are rows in hand, and the database enforces all of them on write:
    # validating them here would cost a round trip each.
    entry.full_clean(exclude=["holder", "activity_type"], validate_unique=False,
                     validate_constraints=False)
    entry.save()


def certifications_of(holder_id: int) -> list[Certification]:
    """Every certification of a holder, with its title and level."""
    return list(Certification.objects.filter(holder_id=holder_id).select_related("title__level"))


def recount_change(entry: Entry, *year_lists: Sequence[CertificationYear], since: date,
                   new: bool = False) -> None:
    """Recount the years a change to `entry` touched, from `since`, its earliest date, and move
    the holder's records version. A new entry has no rows yet that could stop belonging to a
    year."""
    recount_years((year.pk for years in year_lists for year in years), since=since,
                  changed_entries=[] if new else [entry.pk])
    # The holder's cached pages list the entry itself (its state, title, credits), which
    # changed even when it belongs to no year that the recount would touch.
    records_changed(holder_ids=[entry.holder_id])


def log_entry(*, holder: User, details: EntryDetails, today: date, by: User | None = None,
              form_token: uuid.UUID | None = None) -> Entry:
    """Log a CPE activity for a holder (`by` staff logging it for them; default the holder).

    Validates the activity against the rules (dates, inputs, caps), computes and stores the
    claimed credits and sets the state: `pending approval` for activity types that need it,
    `submitted` otherwise. Records the first state change and recounts the stored standings of
    the open years it counts toward. Raises ValidationError, storing nothing, when the entry is
    refused.

    `form_token` makes a posted form count once: the same form posted again (a double click, a
    retry) returns the entry the first post logged, whatever the caps say by then.
    """
    with transaction.atomic():
        lock_holders([holder.pk])
        if form_token is not None:
            earlier = Entry.objects.filter(holder=holder, form_token=form_token).first()
            if earlier is not None and _same_activity(earlier, details):
                return earlier
            if earlier is not None:
                # The token came back with another activity (a form restored by the browser's
                # back button and changed): a new entry, logged without the spent token.
                form_token = None
        fields, assessment = check_entry(holder=holder, details=details, today=today)
        entry = Entry(holder=holder, state=_state_for(details.activity_type),
                      reported_on=today, form_token=form_token, **fields)
        _save(entry, by=by or holder, reason=_("Logged"))
        record_state_change(entry=entry, from_state="", by=by or holder, reason=_("Logged"))
        recount_change(entry, entry_years(entry, assessment.certifications),
                 since=entry.activity_date, new=True)
    return entry


def _same_activity(entry: Entry, details: EntryDetails) -> bool:
    return (entry.activity_type_id, entry.activity_date, entry.title) == (
        details.activity_type.pk, details.activity_date, details.title.strip())


def _changes_what_counts(entry: Entry, details: EntryDetails) -> bool:
    kept = details.inputs.kept_for(details.activity_type.rule)
    return (entry.activity_type_id != details.activity_type.pk
            or entry.activity_date != details.activity_date
            or any(getattr(entry, name) != getattr(kept, name)
                   for name in details.activity_type.rule.input_fields))


def update_entry(*, entry: Entry, by: User, details: EntryDetails, today: date) -> Entry:
    """Change an entry that no reviewer has decided on yet, under the same rules as logging.

    While every year the entry counts toward is open for reporting, anything may change: the
    claimed credits are computed again, the entry is reported anew today, the state becomes
    `pending approval` when the new activity type needs approval and `submitted` otherwise,
    and the years it left or joined are recounted. Once one of those years is past its
    deadline, only the title, provider and description may change: that year never changes
    because of a later report. Records the edit with the state changes. Raises
    ValidationError, changing nothing, when the edit is refused.
    """
    with transaction.atomic():
        lock_holders([entry.holder_id])
        locked = Entry.objects.select_for_update().select_related("activity_type").get(
            pk=entry.pk)
        if locked.state not in EDITABLE_STATES:
            raise ValidationError(_("This entry can no longer be changed: it is %(state)s.")
                                  % {"state": locked.get_state_display()})
        certifications = certifications_of(locked.holder_id)
        before = entry_years(locked, certifications)
        from_state, since = locked.state, locked.activity_date
        if _changes_what_counts(locked, details):
            _refuse_if_reported_year_closed(before, today, _(
                "This entry counts toward a certification year whose reporting deadline has "
                "passed, so its activity, date and amounts can no longer be changed. You can "
                "still change its title, provider and description."))
            fields, _assessment = check_entry(holder=locked.holder, details=details,
                                              today=today, editing=locked)
            locked.reported_on = today
            locked.state = _state_for(details.activity_type)
        else:
            _check_words(details)
            fields = _described(details)
        for name, value in fields.items():
            setattr(locked, name, value)
        _save(locked, by=by, reason=_("Edited"))
        record_state_change(entry=locked, from_state=from_state, by=by, reason=_("Edited"))
        recount_change(locked, before, entry_years(locked, certifications),
                 since=min(since, locked.activity_date))
    return locked


def _check_words(details: EntryDetails) -> None:
    if not details.title.strip():
        raise ValidationError({"title": _(
            "Give the activity a title, e.g. the course or book name.")})


def _refuse_if_reported_year_closed(years: Sequence[CertificationYear], today: date,
                                    message: str) -> None:
    if any(year.deadline < today for year in years):
        raise ValidationError(message)


def withdraw_entry(*, entry: Entry, by: User, reason: str = "", today: date) -> Entry:
    """Withdraw an entry that no reviewer has decided on yet.

    Side effects: the entry's state becomes `withdrawn` (it no longer counts), the change is
    recorded with its reason, and the years it counted toward are recounted. Raises
    ValidationError for an entry already decided, or one that counts toward a year whose
    reporting deadline has passed.
    """
    with transaction.atomic():
        lock_holders([entry.holder_id])
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        if locked.state not in WITHDRAWABLE_STATES:
            raise ValidationError(_("This entry can no longer be withdrawn: it is %(state)s.")
                                  % {"state": locked.get_state_display()})
        years = entry_years(locked, certifications_of(locked.holder_id))
        _refuse_if_reported_year_closed(years, today, _(
            "This entry's certification year is closed; it can no longer be withdrawn."))
        from_state, locked.state = locked.state, EntryState.WITHDRAWN
        _keep_history(locked, by=by, reason=reason or _("Withdrawn"))
        locked.save(update_fields=["state", "updated_at"])
        record_state_change(entry=locked, from_state=from_state, by=by, reason=reason)
        recount_change(locked, years, since=locked.activity_date)
    return locked


def check_proof(upload: UploadedFile) -> str:
    """Validate an upload for proof; returns its content type or raises ValidationError."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    problem = proof_problem(head, upload.size or 0, max_bytes=settings.CPE_PROOF_MAX_BYTES)
    content_type = detect_content_type(head)
    if problem or content_type is None:
        raise ValidationError(problem)
    return content_type


def attach_proof(*, entry: Entry, upload: UploadedFile, by: User,
                 form_token: uuid.UUID | None = None) -> ProofFile:
    """Store a proof file with an entry that still awaits a decision or may change.

    Checks the file by its content (PDF, PNG or JPEG) and size, stores it privately under a
    generated name and records it; proof for an entry whose proof was requested puts the entry
    in the review queue, and moves the holder's records version (the dashboard stops saying
    the proof is owed). Raises ValidationError, storing nothing, for a wrong file or an entry
    that takes no more proof.
    """
    content_type = check_proof(upload)
    with transaction.atomic():
        state = Entry.objects.select_for_update().values_list("state", flat=True).get(
            pk=entry.pk)
        if state not in WITHDRAWABLE_STATES:
            raise ValidationError(_("Proof can no longer be added to this entry."))
        if state == EntryState.PROOF_REQUESTED:
            # Requested proof has arrived: the entry joins the review queue.
            Entry.objects.filter(pk=entry.pk).update(proof_submitted_at=timezone.now())
            records_changed(holder_ids=[entry.holder_id])
        original = (upload.name or "proof").rsplit("/", 1)[-1][:255]
        proof = ProofFile(entry=entry, original_name=original, content_type=content_type,
                          size=upload.size or 0, uploaded_by=by, form_token=form_token)
        proof.file.save(f"proof{suffix_for(content_type)}", upload, save=False)
        try:
            with transaction.atomic():
                proof.save()
        except Exception:
            proof.file.delete(save=False)
            raise
    return proof


def attach_proofs(*, entry: Entry, uploads: Sequence[UploadedFile], by: User,
                  form_token: uuid.UUID | None = None) -> list[ProofFile]:
    """Store the files of one upload form together: all or nothing. The same form posted
    again (same `form_token`) stores nothing more and returns what the first post stored."""
    if not uploads:
        return []
    with transaction.atomic():
        Entry.objects.select_for_update().filter(pk=entry.pk).values_list("pk").get()
        if form_token is not None:
            earlier = list(ProofFile.objects.filter(entry=entry, form_token=form_token))
            if earlier:
                return earlier
        return [attach_proof(entry=entry, upload=upload, by=by, form_token=form_token)
                for upload in uploads]


def record_denial(*, holder: User, kind: DenialKind, denied_on: date, reason: str,
                  entry: Entry | None = None,
                  certification: Certification | None = None) -> Denial:
    """Record a decision against a holder that they may appeal: a rejected entry, an adjusted
    credit value (`entry`) or a decertification (`certification`). The one place a denial is
    made: review, the year-end close and the Board's decisions all call it (the close, for a
    batch at once, through `record_denials`).

    Side effects: one Denial row; its date starts the appeal window. Raises ValidationError for
    a denial that names nothing, or names another holder's entry or certification.
    """
    denial = Denial(holder=holder, kind=kind, denied_on=denied_on, reason=reason, entry=entry,
                    certification=certification)
    denial.full_clean()
    return record_denials([denial])[0]


def record_denials(denials: Sequence[Denial]) -> list[Denial]:
    """Record unsaved denials in one statement (see `record_denial`), each checked to name what
    it denies and to concern its own holder's entry or certification, by the ids it holds.

    Side effects: one INSERT. Raises ValidationError, writing nothing, when one is wrong."""
    for denial in denials:
        owner = (denial.entry.holder_id if denial.entry_id is not None
                 else denial.certification.holder_id if denial.certification_id is not None
                 else None)
        if owner is None:
            raise ValidationError(_("A denial names the entry or certification it concerns."))
        if owner != denial.holder_id:
            raise ValidationError(_("A denial concerns the holder's own entry or "
                                    "certification."))
    return Denial.objects.bulk_create(denials)


# The task that recounts after a catalogue change, by the name `submissions.tasks` registers:
# a pending job names its task, and the services need not import the tasks that call them.
RECOUNT_OPEN_YEARS = "submissions.recount_open_years"


def recount_after_catalogue_change(*, activity_type: ActivityType | None = None,
                                   level: CertificationLevel | None = None) -> None:
    """An administrator changed an activity type's annual cap or a level's requirement: the
    open years it affects are recounted in the background, in batches, once the change commits.
    Call it in the change's transaction.

    Side effects: one pending job (`accounts.pending`) in the caller's transaction, which a
    worker runs after commit, or the sweep when the broker did not take it; the recount moves
    the holders' records version. Nothing is done for a change that is rolled back."""
    queue_job(task=RECOUNT_OPEN_YEARS, kwargs={
        "activity_type_id": activity_type.pk if activity_type else None,
        "level_id": level.pk if level else None})
