"""Appeals: a holder files one against a denial within the window; it goes on the agenda of the
first Board meeting at least the preparation period after filing; the Board's decision is final.
Upheld reverses the denial through the services: the entry counts again at the credits the
Board sets, a decertification is undone (the certification active, the year closed as met by
decision). Every step mails the holder through the outbox.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.outbox import queue_mail
from accounts.services import records_changed
from activities.rules import credits_text
from certifications.services import reinstate_certification
from common.mail import site_url
from submissions.enums import DenialKind
from submissions.models import Denial
from submissions.proof import suffix_for
from submissions.review import reinstate_entry
from submissions.services import check_proof
from submissions.standings.recount import lock_holders, recount_years

from .enums import OPEN_APPEAL_STATES, AppealState
from .models import Appeal, AppealDocument, BoardMeeting
from .rules import earliest_meeting_day, pdf_pages, words

MAX_PDF_PAGES = 2


def _check_rationale(rationale: str, pdf: UploadedFile | None) -> bytes | None:
    if not rationale.strip() and pdf is None:
        raise ValidationError({"rationale": _(
            "Explain why the decision is wrong: write it here, or upload it as a PDF of at "
            "most two pages.")})
    limit = settings.CPE_APPEAL_MAX_WORDS
    counted = words(rationale)
    if rationale.strip() and not counted:
        # Punctuation alone says nothing; with a PDF beside it, it would still be kept as text.
        raise ValidationError({"rationale": _(
            "Your rationale has no words: explain in at least one word why the decision is "
            "wrong, or leave the box empty and upload your rationale as a PDF.")})
    if counted > limit:
        raise ValidationError({"rationale": _(
            "Your rationale has %(count)d words; the limit is %(limit)d (about two pages). "
            "Shorten it and file again: what you typed is kept.") % {
                "count": counted, "limit": limit}})
    if pdf is None:
        return None
    data = pdf.read(settings.CPE_PROOF_MAX_BYTES + 1)
    if len(data) > settings.CPE_PROOF_MAX_BYTES:
        raise ValidationError({"rationale_pdf": _("The PDF is larger than %(mb)d MB.") % {
            "mb": settings.CPE_PROOF_MAX_BYTES // (1024 * 1024)}})
    try:
        pages = pdf_pages(data)
    except ValueError as error:
        message = (_("The PDF is password-protected: upload it without a password.")
                   if str(error) == "encrypted" else
                   _("The file is not a PDF that can be read: save your rationale as PDF and "
                     "upload it again."))
        raise ValidationError({"rationale_pdf": message}) from error
    if pages > MAX_PDF_PAGES:
        raise ValidationError({"rationale_pdf": _(
            "The PDF has %(pages)d pages; a rationale is at most %(limit)d.") % {
                "pages": pages, "limit": MAX_PDF_PAGES}})
    pdf.seek(0)
    return data


def _schedule(appeal: Appeal, *, today: date) -> bool:
    """Put a filed appeal on the first meeting at least the preparation period after filing,
    and not before `today` (a meeting already held takes no new appeal)."""
    earliest = max(today, earliest_meeting_day(
        filed_on=timezone.localdate(appeal.filed_at),
        preparation_days=settings.CPE_APPEAL_PREPARATION_DAYS))
    meeting = BoardMeeting.objects.filter(meets_on__gte=earliest).order_by("meets_on").first()
    if meeting is None:
        return False
    appeal.meeting, appeal.state = meeting, AppealState.SCHEDULED
    appeal.save(update_fields=["meeting", "state"])
    queue_mail("appeal_scheduled", to=appeal.denial.holder, context={
        "appeal": appeal, "meeting": meeting, "dashboard_url": site_url("home")},
        dedupe_key=f"appeal-scheduled:{appeal.pk}")
    return True


@transaction.atomic
def file_appeal(*, denial: Denial, by: User, today: date, rationale: str = "",
                rationale_pdf: UploadedFile | None = None,
                documents: Sequence[UploadedFile] = ()) -> Appeal:
    """File the holder's appeal against `denial`.

    Side effects: the Appeal with its rationale (text or a PDF of at most two pages) and
    supporting documents (the proof rules), stored privately; it goes on the agenda of the first
    Board meeting at least `CPE_APPEAL_PREPARATION_DAYS` after today when there is one; the
    holder is mailed (filed, and scheduled). An open appeal holds the year-end close of the
    year it could make met. Raises ValidationError, storing nothing, for another holder's
    denial, a closed window, a second appeal, or a rationale or file outside the limits."""
    if denial.holder_id != by.pk:
        raise ValidationError(_("You can appeal only your own decisions."))
    if today > denial.appeal_until:
        raise ValidationError(_("The time to appeal this decision ended on %(date)s.") % {
            "date": date_format(denial.appeal_until)})
    Denial.objects.select_for_update().filter(pk=denial.pk).values_list("pk").get()
    if Appeal.objects.filter(denial=denial).exists():
        raise ValidationError(_("This decision has been appealed already: one appeal per "
                                "decision."))
    _check_rationale(rationale, rationale_pdf)
    try:
        types = [check_proof(document) for document in documents]
    except ValidationError as error:
        raise ValidationError({"documents": error.messages}) from error
    appeal = Appeal(denial=denial, rationale=rationale.strip())
    if rationale_pdf is not None:
        appeal.rationale_pdf.save("rationale.pdf", rationale_pdf, save=False)
    appeal.save()
    for document, content_type in zip(documents, types, strict=True):
        stored = AppealDocument(appeal=appeal, content_type=content_type,
                                original_name=(document.name or "document")[:255],
                                size=document.size or 0)
        stored.file.save(f"document{suffix_for(content_type)}", document, save=False)
        stored.save()
    queue_mail("appeal_filed", to=by, context={
        "appeal": appeal, "denial": denial, "dashboard_url": site_url("home")},
        dedupe_key=f"appeal-filed:{appeal.pk}")
    _schedule(appeal, today=today)
    records_changed(holder_ids=[by.pk])
    return appeal


@transaction.atomic
def schedule_waiting_appeals(*, today: date | None = None) -> int:
    """Put every filed appeal without a meeting on the first meeting it can go to (after an
    administrator adds a meeting), none before `today` (default: the local date). Returns how
    many were scheduled.

    Side effects: each appeal scheduled (meeting and state), its holder mailed through the
    outbox, and the records version of those holders moved, so their pages show the meeting
    at once."""
    waiting = (Appeal.objects.select_for_update(of=("self",)).filter(state=AppealState.FILED)
               .select_related("denial__holder").order_by("filed_at"))
    today = today or timezone.localdate()
    scheduled = [appeal for appeal in waiting if _schedule(appeal, today=today)]
    records_changed(holder_ids={appeal.denial.holder_id for appeal in scheduled})
    return len(scheduled)


def record_meeting_moved(*, meeting: BoardMeeting) -> None:
    """A Board meeting's date changed: the holders whose appeals are on its agenda read that
    date on their pages. Call it in the transaction of the change.

    Side effects: those holders' records version."""
    records_changed(holder_ids=meeting.appeals.values_list("denial__holder_id", flat=True))


def _check_board_credits(denial: Denial, credits: Decimal) -> None:
    if denial.kind == DenialKind.DECERTIFIED:
        raise ValidationError({"credits": _(
            "A decertification appeal sets no credits: upheld, the certification is "
            "reinstated.")})
    adjusted = denial.entry.approved_credits
    if (denial.kind == DenialKind.CREDITS_ADJUSTED and adjusted is not None
            and credits <= adjusted):
        raise ValidationError({"credits": _(
            "Upholding the appeal counts more than the %(adjusted)s credits the review "
            "approved: give more than that, at most the %(claimed)s claimed, or leave it empty "
            "to count the credits claimed.") % {
                "adjusted": credits_text(adjusted, always_places=True),
                "claimed": credits_text(denial.entry.claimed_credits, always_places=True)}})


@transaction.atomic
def decide_appeal(*, appeal: Appeal, by: User, upheld: bool, reason: str,
                  credits: Decimal | None = None) -> Appeal:
    """Record the Board's final decision on an appeal.

    Upheld reverses the denial: a rejected or adjusted entry counts again, at `credits` when
    the Board sets a value (at most the credits claimed), and the stored standings follow; a
    decertification is undone (the certification active and its badge restored at once, the
    year that was closed as not met closed as met by decision). Dismissed changes nothing but
    the appeal. Either way the holder is mailed. A decision taken before the date of the
    appeal's Board meeting (or with no meeting yet) is allowed and recorded as such
    (`decided_before_meeting`). Raises ValidationError for a decision already recorded, one
    without reasons, credits set on a decertification, or, for an adjusted entry, credits
    that do not exceed the adjusted value."""
    if not reason.strip():
        raise ValidationError({"decision_reason": _("Give the Board's reasons: the holder "
                                                    "reads them.")})
    locked = Appeal.objects.select_for_update(of=("self",)).select_related(
        "denial__holder", "denial__entry", "denial__certification", "meeting").get(pk=appeal.pk)
    if locked.state not in OPEN_APPEAL_STATES:
        raise ValidationError(_("This appeal was decided on %(date)s; the Board's decision is "
                                "final.") % {
            "date": date_format(timezone.localdate(locked.decided_at))})
    denial = locked.denial
    if credits is not None and upheld:
        _check_board_credits(denial, credits)
    if upheld:
        why = _("Appeal upheld by the Board: %(reason)s") % {"reason": reason.strip()}
        if denial.kind == DenialKind.DECERTIFIED:
            reinstate_certification(certification=denial.certification, reason=why,
                                    decided_on=timezone.localdate())
            # Reinstated as if never decertified: its open years count again every entry
            # that belongs to them (the closed ones stay as they closed).
            lock_holders([denial.holder_id])
            recount_years(denial.certification.years.values_list("pk", flat=True))
        else:
            reinstate_entry(entry=denial.entry, by=by, reason=why, credits=credits)
    locked.state = AppealState.UPHELD if upheld else AppealState.DISMISSED
    locked.decision_reason, locked.decided_at, locked.decided_by = (
        reason.strip(), timezone.now(), by)
    locked.decided_before_meeting = (
        locked.meeting is None or timezone.localdate(locked.decided_at) < locked.meeting.meets_on)
    locked.save()
    queue_mail("appeal_decided", to=denial.holder, context={
        "appeal": locked, "denial": denial, "upheld": upheld,
        "dashboard_url": site_url("home")}, dedupe_key=f"appeal-decided:{locked.pk}")
    records_changed(holder_ids=[denial.holder_id])
    return locked
