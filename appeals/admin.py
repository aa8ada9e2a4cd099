from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyInline, message_form_errors
from submissions.models import Denial

from .enums import DECIDED_APPEAL_STATES
from .models import Appeal, AppealDocument, BoardMeeting
from .services import decide_appeal, record_meeting_moved, schedule_waiting_appeals

# Scheduling and the Board's decision are workflow steps with mail and consequences (an entry
# counts again, a badge is restored): the services write them, not a field edit.
WORKFLOW_FIELDS = ("meeting", "state", "decision_reason", "decided_at", "decided_by")


@admin.register(Denial)
class DenialAdmin(admin.ModelAdmin):
    list_display = ("holder", "kind", "entry", "certification", "denied_on", "appeal_state")
    list_filter = ("kind",)
    list_select_related = ("holder", "entry", "certification__title", "certification__holder",
                           "appeal")
    search_fields = ("holder__email", "holder__full_name", "entry__title",
                     "certification__title__name")
    date_hierarchy = "denied_on"
    fields = ("holder", "kind", "entry", "certification", "denied_on", "reason", "created_at")

    # A denial is a record: the review, the close and the Board make it, nobody edits it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Denial | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Denial | None = None) -> bool:
        return False

    @admin.display(description=_("appeal"))
    def appeal_state(self, obj: Denial) -> str:
        appeal = getattr(obj, "appeal", None)
        return appeal.get_state_display() if appeal else "—"


class AgendaInline(ReadOnlyInline):
    """The appeals on a meeting's agenda, as the scheduling put them there."""

    model = Appeal
    verbose_name = _("appeal on the agenda")
    verbose_name_plural = _("agenda")
    select_related = ("denial__holder",)
    fields = ("denial", "filed_at", "state", "decided_at")
    show_change_link = True


@admin.register(BoardMeeting)
class BoardMeetingAdmin(admin.ModelAdmin):
    list_display = ("meets_on", "location", "appeal_count")
    search_fields = ("location", "notes")
    date_hierarchy = "meets_on"
    inlines = (AgendaInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BoardMeeting]:
        return super().get_queryset(request).annotate(appeal_count=Count("appeals"))

    def save_model(self, request: HttpRequest, obj: BoardMeeting, form: forms.Form,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "meets_on" in form.changed_data:
            record_meeting_moved(meeting=obj)
        # Appeals that had no meeting to go to go on the first one they can, now.
        scheduled = schedule_waiting_appeals()
        if scheduled:
            self.message_user(request, _("%(count)d waiting appeal(s) scheduled.")
                              % {"count": scheduled})

    @admin.display(description=_("appeals"), ordering="appeal_count")
    def appeal_count(self, obj: BoardMeeting) -> int:
        return obj.appeal_count


class AppealDocumentInline(ReadOnlyInline):
    """Supporting documents are private: opened through the view that checks who asks (staff
    allowed to view appeal documents, signed in with two-factor authentication)."""

    model = AppealDocument
    fields = ("download", "content_type", "size", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("document"))
    def download(self, obj: AppealDocument) -> str:
        if obj.pk is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("appeals:document_download",
                                                          args=[obj.pk]), obj.original_name)


class BoardDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=(
        ("upheld", _("Upheld: reverse the decision")),
        ("dismissed", _("Dismissed: the decision stands"))), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("the Board's reasons"), max_length=10_000,
                             widget=forms.Textarea(attrs={"rows": 4}))
    credits = forms.DecimalField(
        label=_("credits to count (an entry upheld; default: the credits claimed)"),
        required=False, max_digits=6, decimal_places=2, min_value=Decimal("0.01"))


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    """An appeal as the holder filed it and as the Board decides it. Holders file appeals (with
    the filing's checks, the meeting and the mail); the Board's decision form, posted to
    `decide_view`, is the page's only submit. Nothing here is typed over: the rationale and the
    documents are the holder's, the rest is written by the services."""

    change_form_template = "admin/appeals/appeal/change_form.html"
    list_display = ("holder", "denial_kind", "filed_at", "meeting", "state", "decided_at")
    list_filter = ("state", "denial__kind", "meeting")
    list_select_related = ("denial__holder", "meeting")
    search_fields = ("denial__holder__email", "denial__holder__full_name", "rationale")
    date_hierarchy = "filed_at"
    fields = ("denial", "filed_at", "rationale", "rationale_pdf_attached", *WORKFLOW_FIELDS)
    readonly_fields = fields
    inlines = (AppealDocumentInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Without change permission the page is shown read-only, with no generic Save, and a posted
    # change form is refused: the Board decides through the decision form.
    def has_change_permission(self, request: HttpRequest, obj: Appeal | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Appeal | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appeal]:
        return super().get_queryset(request).select_related("denial__holder")

    def get_urls(self):
        return [
            path("<int:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name="appeals_appeal_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        appeal = self.get_object(request, object_id)
        may_decide = (appeal is not None and appeal.state not in DECIDED_APPEAL_STATES
                      and request.user.has_perm("appeals.decide_appeal"))
        return super().change_view(request, object_id, form_url, {
            **(extra_context or {}), "may_decide": may_decide,
            "decision_form": BoardDecisionForm() if may_decide else None})

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The Board's decision, recorded through the service: final once taken."""
        if not request.user.has_perm("appeals.decide_appeal"):
            raise PermissionDenied
        back = reverse("admin:appeals_appeal_change", args=[object_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        appeal = get_object_or_404(Appeal, pk=object_id)
        form = BoardDecisionForm(request.POST)
        if not form.is_valid():
            message_form_errors(request, form)
            return HttpResponseRedirect(back)
        try:
            decided = decide_appeal(appeal=appeal, by=request.user,
                                    upheld=form.cleaned_data["decision"] == "upheld",
                                    reason=form.cleaned_data["reason"],
                                    credits=form.cleaned_data["credits"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(back)
        messages.success(request, _("The appeal is %(state)s; the holder is told by mail.")
                         % {"state": decided.get_state_display()})
        return HttpResponseRedirect(back)

    @admin.display(description=_("holder"), ordering="denial__holder__full_name")
    def holder(self, obj: Appeal) -> str:
        return str(obj.denial.holder)

    @admin.display(description=_("denial"), ordering="denial__kind")
    def denial_kind(self, obj: Appeal) -> str:
        return obj.denial.get_kind_display()

    @admin.display(description=_("rationale (PDF)"))
    def rationale_pdf_attached(self, obj: Appeal) -> str:
        if not obj.rationale_pdf:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("appeals:rationale_download",
                                                          args=[obj.pk]), _("rationale.pdf"))
