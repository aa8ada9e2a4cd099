"""Writes for entries: logging, withdrawing and the state changes every later step records."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import ActivityType
from activities.rules import Inputs, InvalidInput, earned_credits

from .enums import WITHDRAWABLE_STATES, EntryState
from .models import Entry, EntryStateChange, ProofFile
from .proof import HEAD_BYTES, detect_content_type, proof_problem, suffix_for
from .selectors import EntryAssessment, assess_entry

# The most one entry can claim: what the credits column holds.
MAX_ENTRY_CREDITS = Decimal("9999.99")


def _lock_holder(holder: User) -> None:
    """Serialise everything that reads a holder's caps and then writes an entry: two entries
    logged at the same moment are counted one after the other, never both against the same
    room under a cap."""
    User.objects.select_for_update().filter(pk=holder.pk).values_list("pk", flat=True).get()


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
    kept = Inputs(**{name: getattr(inputs, name) for name in rule.input_fields})
    try:
        earning = earned_credits(rule, kept)
    except InvalidInput as error:
        raise ValidationError({error.field: error.message}) from error
    if earning.credits > MAX_ENTRY_CREDITS:
        raise ValidationError({(rule.input_fields or (NON_FIELD_ERRORS,))[0]: _(
            "That is more than one activity can earn (%(max)s credits); log it as several "
            "entries.") % {"max": MAX_ENTRY_CREDITS}})
    if earning.credits <= 0:
        field = "attended_minutes" if rule.needs_attendance else NON_FIELD_ERRORS
        raise ValidationError({field: earning.reason})
    return kept, earning.credits


def assess_inputs(
    *,
    holder: User,
    activity_type: ActivityType,
    activity_date: date,
    inputs: Inputs,
    today: date,
    exclude_entry_ids: Sequence[int] = (),
) -> tuple[Inputs, EntryAssessment]:
    """What an entry with these inputs earns and where it would count, without saving: the
    check behind the log form's preview, the admin and the save itself. Raises ValidationError
    for inputs that earn nothing; a refusal is in the assessment (see `refuse`)."""
    kept, credits = earn(activity_type, inputs)
    return kept, assess_entry(holder=holder, activity_type=activity_type,
                              activity_date=activity_date, credits=credits, today=today,
                              exclude_entry_ids=exclude_entry_ids)


def refuse(assessment: EntryAssessment) -> None:
    if assessment.refusal:
        raise ValidationError({assessment.refusal_field or NON_FIELD_ERRORS: assessment.refusal})


def _checked_fields(
    *,
    holder: User,
    activity_type: ActivityType,
    activity_date: date,
    title: str,
    provider: str,
    description: str,
    relevance_confirmed: bool,
    inputs: Inputs,
    today: date,
    exclude_entry_ids: list[int],
) -> dict[str, object]:
    """Validate an entry's fields against the rules and return them as the Entry stores them.
    The caller holds the holder's lock. Raises ValidationError naming the field."""
    errors: dict[str, str] = {}
    if not activity_type.active:
        errors["activity_type"] = _("This activity type is no longer offered.")
    if not title.strip():
        errors["title"] = _("Give the activity a title, e.g. the course or book name.")
    if not relevance_confirmed:
        errors["relevance_confirmed"] = _(
            "Confirm that the activity is relevant to your field and not part of your "
            "regular job."
        )
    if errors:
        raise ValidationError(errors)
    kept, assessment = assess_inputs(
        holder=holder, activity_type=activity_type, activity_date=activity_date, inputs=inputs,
        today=today, exclude_entry_ids=exclude_entry_ids)
    refuse(assessment)
    return {
        "activity_type": activity_type, "activity_date": activity_date, "title": title.strip(),
        "provider": provider.strip(), "description": description.strip(),
        "hours": kept.hours, "length_minutes": kept.length_minutes,
        "attended_minutes": kept.attended_minutes, "quantity": kept.quantity,
        "proposed_credits": kept.proposed_credits, "claimed_credits": assessment.credits,
        "relevance_confirmed": True,
    }


def _save(entry: Entry) -> None:
    # The check constraints hold by construction (earn() produced the inputs) and the
    # database enforces them on write; validating them here would cost a round trip each.
    entry.full_clean(validate_constraints=False)
    entry.save()


def log_entry(
    *,
    holder: User,
    activity_type: ActivityType,
    activity_date: date,
    title: str,
    provider: str = "",
    description: str = "",
    hours: Decimal | None = None,
    length_minutes: int | None = None,
    attended_minutes: int | None = None,
    quantity: Decimal | None = None,
    proposed_credits: Decimal | None = None,
    relevance_confirmed: bool,
    today: date,
    by: User | None = None,
) -> Entry:
    """Log a CPE activity for a holder (`by` staff logging it for them; default the holder).

    Validates the activity against the rules (dates, inputs, caps), computes and stores the
    claimed credits and sets the state: `pending approval` for activity types that need it,
    `submitted` otherwise. Records the first state change. Raises ValidationError, storing
    nothing, when the entry is refused.
    """
    inputs = Inputs(hours=hours, length_minutes=length_minutes,
                    attended_minutes=attended_minutes, quantity=quantity,
                    proposed_credits=proposed_credits)
    with transaction.atomic():
        _lock_holder(holder)
        fields = _checked_fields(
            holder=holder, activity_type=activity_type, activity_date=activity_date,
            title=title, provider=provider, description=description,
            relevance_confirmed=relevance_confirmed, inputs=inputs, today=today,
            exclude_entry_ids=[],
        )
        state = (EntryState.PENDING_APPROVAL if activity_type.needs_approval
                 else EntryState.SUBMITTED)
        entry = Entry(holder=holder, state=state, **fields)
        _save(entry)
        record_state_change(entry=entry, from_state="", by=by or holder, reason=_("Logged"))
    return entry


EDITABLE_STATES = frozenset({EntryState.SUBMITTED, EntryState.PENDING_APPROVAL})


def update_entry(
    *,
    entry: Entry,
    by: User,
    activity_type: ActivityType,
    activity_date: date,
    title: str,
    provider: str = "",
    description: str = "",
    hours: Decimal | None = None,
    length_minutes: int | None = None,
    attended_minutes: int | None = None,
    quantity: Decimal | None = None,
    proposed_credits: Decimal | None = None,
    relevance_confirmed: bool,
    today: date,
) -> Entry:
    """Change an entry that no reviewer has decided on yet, under the same rules as logging.

    Side effects: recomputes the claimed credits; the state becomes `pending approval` when the
    new activity type needs approval and `submitted` otherwise; the edit is recorded with the
    state changes. Raises ValidationError, changing nothing, when the edit is refused.
    """
    inputs = Inputs(hours=hours, length_minutes=length_minutes,
                    attended_minutes=attended_minutes, quantity=quantity,
                    proposed_credits=proposed_credits)
    with transaction.atomic():
        _lock_holder(entry.holder)
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        if locked.state not in EDITABLE_STATES:
            raise ValidationError(_("This entry can no longer be changed: it is %(state)s.")
                                  % {"state": locked.get_state_display()})
        fields = _checked_fields(
            holder=locked.holder, activity_type=activity_type, activity_date=activity_date,
            title=title, provider=provider, description=description,
            relevance_confirmed=relevance_confirmed, inputs=inputs, today=today,
            exclude_entry_ids=[locked.pk],
        )
        from_state = locked.state
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.state = (EntryState.PENDING_APPROVAL if activity_type.needs_approval
                        else EntryState.SUBMITTED)
        _save(locked)
        record_state_change(entry=locked, from_state=from_state, by=by, reason=_("Edited"))
    return locked


@transaction.atomic
def withdraw_entry(*, entry: Entry, by: User, reason: str = "", today: date) -> Entry:
    """Withdraw an entry that no reviewer has decided on yet.

    Side effects: the entry's state becomes `withdrawn` (it no longer counts) and the change is
    recorded. Raises ValidationError for an entry already decided or in a closed year.
    """
    locked = Entry.objects.select_for_update().select_related("activity_type").get(pk=entry.pk)
    if locked.state not in WITHDRAWABLE_STATES:
        raise ValidationError(_("This entry can no longer be withdrawn: it is %(state)s.")
                              % {"state": locked.get_state_display()})
    assessment = assess_entry(holder=locked.holder, activity_type=locked.activity_type,
                              activity_date=locked.activity_date, credits=locked.credits,
                              today=today, exclude_entry_ids=[locked.pk])
    if assessment.refusal_field == "activity_date":
        raise ValidationError(_("This entry's certification year is closed; it can no longer "
                                "be withdrawn."))
    from_state, locked.state = locked.state, EntryState.WITHDRAWN
    locked.save(update_fields=["state", "updated_at"])
    record_state_change(entry=locked, from_state=from_state, by=by, reason=reason)
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


def attach_proof(*, entry: Entry, upload: UploadedFile, by: User) -> ProofFile:
    """Store a proof file with an entry.

    Checks the file by its content (PDF, PNG or JPEG) and size, stores it privately under a
    generated name and records it. Raises ValidationError, storing nothing, for a wrong file.
    """
    content_type = check_proof(upload)
    original = (upload.name or "proof").rsplit("/", 1)[-1][:255]
    proof = ProofFile(entry=entry, original_name=original, content_type=content_type,
                      size=upload.size or 0, uploaded_by=by)
    proof.file.save(f"proof{suffix_for(content_type)}", upload, save=False)
    try:
        with transaction.atomic():
            proof.save()
    except Exception:
        proof.file.delete(save=False)
        raise
    return proof
