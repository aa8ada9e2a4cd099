from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activities.rules import credits_text
from certifications.enums import YearState
from common.admin import ReadOnlyInline
from submissions.enums import DenialKind
from submissions.models import Denial

from .enums import DECIDED_APPEAL_STATES
from .models import Appeal, AppealDocument, BoardMeeting
from .selectors import Case, Waiting, appeal_case, waiting_for_a_meeting
from .services import decide_appeal, record_meeting_moved, schedule_waiting_appeals


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
    fields = ("appeal", "filed_at", "state", "decided_at")
    show_change_link = True

    @admin.display(description=_("appeal"))
    def appeal(self, obj: Appeal) -> str:
        return str(obj)


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
        today = timezone.localdate()
        on_agenda = obj.appeals.count()
        scheduled = schedule_waiting_appeals(today=today)
        taken = obj.appeals.count() - on_agenda
        level, text = agenda_message(meeting=obj, taken=taken, elsewhere=scheduled - taken,
                                     waiting=waiting_for_a_meeting(today=today), today=today)
        self.message_user(request, text, level)

    @admin.display(description=_("appeals"), ordering="appeal_count")
    def appeal_count(self, obj: BoardMeeting) -> int:
        return obj.appeal_count


def agenda_message(*, meeting: BoardMeeting, taken: int, elsewhere: int, waiting: Waiting,
                   today: date) -> tuple[int, str]:
    """What saving a meeting did to the appeals waiting for one, in the administrator's words:
    how many it took, and why the others still wait (the preparation period)."""
    days = settings.CPE_APPEAL_PREPARATION_DAYS
    on = date_format(meeting.meets_on)
    parts = []
    if taken:
        parts.append(ngettext(
            "The meeting of %(date)s took %(count)d waiting appeal onto its agenda; its holder "
            "is told by mail.",
            "The meeting of %(date)s took %(count)d waiting appeals onto its agenda; their "
            "holders are told by mail.", taken) % {"date": on, "count": taken})
    elif meeting.meets_on < today:
        parts.append(gettext("The meeting of %(date)s took no appeal: its date has passed.")
                     % {"date": on})
    elif waiting.count:
        parts.append(ngettext(
            "The meeting of %(date)s took no appeal: an appeal goes to a meeting at least "
            "%(days)d days after it was filed (the preparation period), and the appeal "
            "waiting was filed too close to this date.",
            "The meeting of %(date)s took no appeal: an appeal goes to a meeting at least "
            "%(days)d days after it was filed (the preparation period), and the appeals "
            "waiting were all filed too close to this date.", waiting.count)
            % {"date": on, "days": days})
    else:
        parts.append(gettext("The meeting of %(date)s took no appeal: none is waiting for a "
                             "meeting.") % {"date": on})
    if elsewhere:
        parts.append(ngettext("%(count)d other waiting appeal went onto another meeting.",
                              "%(count)d other waiting appeals went onto another meeting.",
                              elsewhere) % {"count": elsewhere})
    if waiting.count:
        parts.append(ngettext(
            "%(count)d appeal still waits for a meeting; the earliest filed can go to a "
            "meeting on or after %(first)s.",
            "%(count)d appeals still wait for a meeting; the earliest filed can go to a "
            "meeting on or after %(first)s.", waiting.count)
            % {"count": waiting.count, "first": date_format(waiting.first_meeting_day)})
    elif taken:
        parts.append(gettext("No appeal is left waiting for a meeting."))
    level = messages.SUCCESS if taken else messages.WARNING if waiting.count else messages.INFO
    return level, " ".join(parts)


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
    """The Board's decision on one appeal. "Credits to count" is offered only where it means
    something: an upheld appeal of a rejected or adjusted entry."""

    decision = forms.ChoiceField(label=_("decision"), choices=(
        ("upheld", _("Upheld: reverse the decision")),
        ("dismissed", _("Dismissed: the decision stands"))), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("the Board's reasons"), max_length=10_000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("The holder reads them in the decision's mail."))
    credits = forms.DecimalField(
        label=_("credits to count"), required=False, max_digits=6, decimal_places=2,
        min_value=Decimal("0.01"))

    def __init__(self, *args: object, case: Case, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        if case.entry is None:
            del self.fields["credits"]
            return
        claimed = credits_text(case.entry.entry.claimed_credits, always_places=True)
        field = self.fields["credits"]
        field.max_value = case.entry.entry.claimed_credits
        if case.credits_floor:
            field.help_text = _(
                "If upheld: more than the %(floor)s credits approved, at most the %(claimed)s "
                "claimed. Empty: the %(claimed)s credits claimed.") % {
                    "floor": credits_text(case.credits_floor, always_places=True),
                    "claimed": claimed}
        else:
            field.help_text = _(
                "If upheld: more than 0, at most the %(claimed)s credits claimed. Empty: the "
                "%(claimed)s credits claimed.") % {"claimed": claimed}

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the Board's reasons: the holder reads them."))
        return reason

    def clean(self) -> dict:
        data = super().clean()
        credits = data.get("credits")
        if credits is None or self.case.entry is None:
            return data
        if data.get("decision") != "upheld":
            # A dismissed appeal counts nothing new: a value typed for it is not kept.
            data["credits"] = None
            return data
        entry = self.case.entry.entry
        floor = self.case.credits_floor or Decimal("0")
        if not floor < credits <= entry.claimed_credits:
            self.add_error("credits", self.fields["credits"].help_text)
        return data

    @property
    def upheld(self) -> bool:
        return self.cleaned_data["decision"] == "upheld"


DRAFT_KEY = "appeal-decision-draft:%s"


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    """An appeal as the holder filed it and as the Board decides it. Holders file appeals (with
    the filing's checks, the meeting and the mail); the Board's decision form, posted to
    `decide_view`, is the page's only submit, and a final decision passes a confirmation page
    that says what will happen. Nothing here is typed over: the rationale and the documents
    are the holder's, the rest is written by the services."""

    change_form_template = "admin/appeals/appeal/change_form.html"
    list_display = ("holder", "denial_kind", "filed_at", "meeting", "state", "decided_at")
    list_filter = ("state", "denial__kind", "meeting")
    list_select_related = ("denial__holder", "meeting")
    search_fields = ("denial__holder__email", "denial__holder__full_name", "rationale")
    date_hierarchy = "filed_at"
    # The denial, the meeting and the decision are shown above the fields, in words; scheduling
    # and the Board's decision are workflow steps with mail and consequences (an entry counts
    # again, a badge is restored), written by the services, never a field edit.
    fields = ("rationale", "rationale_pdf_attached")
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
        return super().get_queryset(request).select_related(
            "denial__holder", "denial__certification__title", "meeting", "decided_by")

    def get_urls(self):
        return [
            path("<int:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name="appeals_appeal_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        appeal = self.get_object(request, object_id)
        if appeal is None:
            return super().change_view(request, object_id, form_url, extra_context)
        may_decide = (appeal.state not in DECIDED_APPEAL_STATES
                      and request.user.has_perm("appeals.decide_appeal"))
        case = appeal_case(appeal)
        form = None
        if may_decide:
            # What the Board typed comes back after a refusal or "change it": never lost.
            draft = request.session.pop(DRAFT_KEY % appeal.pk, None)
            form = BoardDecisionForm(draft, case=case) if draft else BoardDecisionForm(case=case)
            if draft:
                form.is_valid()
        today = timezone.localdate()
        return super().change_view(request, object_id, form_url, {
            **(extra_context or {}), "may_decide": may_decide, "decision_form": form,
            "case": case, "today": today,
            "meeting_in_days": (appeal.meeting.meets_on - today).days if appeal.meeting else None})

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The Board's decision: checked, then confirmed on a page that says what will happen
        (and that the meeting has not been held yet, when so), then recorded through the
        service: final once taken."""
        if not request.user.has_perm("appeals.decide_appeal"):
            raise PermissionDenied
        back = reverse("admin:appeals_appeal_change", args=[object_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        appeal = get_object_or_404(self.get_queryset(request), pk=object_id)
        if appeal.state in DECIDED_APPEAL_STATES:
            messages.error(request, _("This appeal was decided on %(date)s; the Board's decision "
                                      "is final.") % {
                "date": date_format(timezone.localdate(appeal.decided_at))})
            return HttpResponseRedirect(back)
        case = appeal_case(appeal)
        form = BoardDecisionForm(request.POST, case=case)
        draft = {name: request.POST.get(name, "") for name in form.fields}
        if "change" in request.POST or not form.is_valid():
            request.session[DRAFT_KEY % appeal.pk] = draft
            if "change" not in request.POST:
                messages.error(request, _("The decision is not recorded yet: see below."))
            return HttpResponseRedirect(back + "#board-decision-heading")
        if "confirm" not in request.POST:
            return self._confirm(request, appeal, case, form)
        try:
            decided = decide_appeal(appeal=appeal, by=request.user, upheld=form.upheld,
                                    reason=form.cleaned_data["reason"],
                                    credits=form.cleaned_data.get("credits"))
        except ValidationError as error:
            request.session[DRAFT_KEY % appeal.pk] = draft
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(back)
        text = _("The appeal is %(state)s; the holder is told by mail.") % {
            "state": decided.get_state_display()}
        if decided.decided_before_meeting:
            text += " " + (_("Recorded as decided before its Board meeting of %(date)s.") % {
                "date": date_format(decided.meeting.meets_on)} if decided.meeting else
                _("Recorded as decided before any Board meeting."))
        messages.success(request, text)
        return HttpResponseRedirect(back)

    def _confirm(self, request: HttpRequest, appeal: Appeal, case: Case,
                 form: BoardDecisionForm) -> HttpResponse:
        today = timezone.localdate()
        meeting = appeal.meeting
        return TemplateResponse(request, "admin/appeals/appeal/decide_confirm.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": appeal, "case": case, "form": form,
            "title": _("Confirm the Board's decision"),
            "effects": decision_effects(case, upheld=form.upheld,
                                        credits=form.cleaned_data.get("credits"), today=today),
            "before_meeting": meeting is None or today < meeting.meets_on,
            "meeting_in_days": (meeting.meets_on - today).days if meeting else None,
            "hidden": [(name, form.cleaned_data.get(name)) for name in form.fields
                       if form.cleaned_data.get(name) is not None],
        })

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


def decision_effects(case: Case, *, upheld: bool, credits: Decimal | None,
                     today: date) -> list[str]:
    """What recording the decision will do, in the Board's words, for its confirmation."""
    if not upheld:
        return [_("Nothing changes for the holder's record: the decision under appeal stands.")]
    if case.is_decertification:
        certification = case.appeal.denial.certification
        effects = [_("The holder's %(title)s certification is reinstated at once: active "
                     "again, its badge restored.") % {"title": certification.title.name}]
        effects += [_("Year %(number)d, closed as not met with %(counted)s of %(required)s "
                      "credits, becomes met by the Board's decision of %(date)s; its counted "
                      "credits stay what the close recorded.") % {
            "number": year.number, "date": date_format(today),
            "counted": credits_text(year.counted_at_close if year.counted_at_close is not None
                                    else year.counted_credits, always_places=True),
            "required": credits_text(year.required_credits, always_places=True)}
            for year in case.years if year.state == YearState.NOT_MET]
        effects.append(_("Its open years count again every entry that belongs to them."))
        return effects
    entry = case.entry.entry
    counted = credits if credits is not None else entry.claimed_credits
    if case.kind == DenialKind.CREDITS_ADJUSTED:
        first = _("The entry “%(title)s” counts at %(credits)s credits instead of the "
                  "%(adjusted)s approved (%(claimed)s claimed).") % {
            "title": entry.title, "credits": credits_text(counted, always_places=True),
            "adjusted": credits_text(case.credits_floor, always_places=True),
            "claimed": credits_text(entry.claimed_credits, always_places=True)}
    else:
        first = _("The rejection is reversed: the entry “%(title)s” is approved and counts at "
                  "%(credits)s credits (%(claimed)s claimed).") % {
            "title": entry.title, "credits": credits_text(counted, always_places=True),
            "claimed": credits_text(entry.claimed_credits, always_places=True)}
    return [first, _("The holder's years it belongs to are recounted under their caps; a year "
                     "already closed stays as it closed.")]
