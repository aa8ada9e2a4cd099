from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from common.storage import GeneratedName, private_storage
from submissions.models import Denial

from .enums import DECIDED_APPEAL_STATES, OPEN_APPEAL_STATES, AppealState


class BoardMeeting(models.Model):
    meets_on = models.DateField(_("date"), unique=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["meets_on"]
        verbose_name = _("Board meeting")
        verbose_name_plural = _("Board meetings")

    def __str__(self) -> str:
        return date_format(self.meets_on)


class Appeal(models.Model):
    denial = models.OneToOneField(Denial, on_delete=models.PROTECT, related_name="appeal",
                                  verbose_name=_("denial"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    rationale = models.TextField(_("rationale"), blank=True)
    rationale_pdf = models.FileField(_("rationale (PDF)"), storage=private_storage,
                                     upload_to=GeneratedName("appeals"), blank=True, max_length=200)
    meeting = models.ForeignKey(BoardMeeting, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="appeals", verbose_name=_("Board meeting"))
    state = models.CharField(_("state"), max_length=10, choices=AppealState.choices,
                             default=AppealState.FILED)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("recorded by"))
    # The Board may decide before the meeting the appeal is on (or with no meeting yet); the
    # record says so, as the confirmation did.
    decided_before_meeting = models.BooleanField(_("decided before its Board meeting"),
                                                 default=False)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        # Beyond viewing an appeal: recording the Board's decision (accounts.roles).
        permissions = [("decide_appeal", "Can record the Board's decision on an appeal")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(rationale="") | ~Q(rationale_pdf=""),
                name="appeal_has_rationale",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state__in=sorted(DECIDED_APPEAL_STATES),
                      decided_at__isnull=False)
                    & ~Q(decision_reason="")
                )
                | (Q(state__in=sorted(OPEN_APPEAL_STATES),
                     decided_at__isnull=True)),
                name="appeal_decision_with_reasons",
            ),
            models.CheckConstraint(
                condition=~Q(state=AppealState.SCHEDULED) | Q(meeting__isnull=False),
                name="appeal_scheduled_has_meeting",
            ),
        ]
        indexes = [
            # The Board's agenda: appeals of a meeting by state.
            models.Index(fields=["meeting", "state"], name="appeal_meeting_state"),
        ]

    def __str__(self) -> str:
        denial = self.denial
        return _("Appeal of %(holder)s against “%(kind)s” of %(date)s") % {
            "holder": denial.holder, "kind": denial.get_kind_display(),
            "date": date_format(denial.denied_on)}


class AppealDocument(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="documents",
                               verbose_name=_("appeal"))
    file = models.FileField(_("file"), storage=private_storage, upload_to=GeneratedName("appeals"),
                            max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="appeal_document_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name
