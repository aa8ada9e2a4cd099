import secrets
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OrderBy, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.admin import ActivityTypeAdmin
from activities.models import ActivityType
from activities.rules import INPUT_FIELDS
from certifications.admin import CertificationLevelAdmin
from certifications.models import CertificationLevel
from common.admin import EstimatedCountPaginator, HistoryAdmin, ReadOnlyInline

from ..enums import EntryState
from ..models import Audit, Entry, EntryStateChange, ProofFile
from ..review import check_proof_deadline, draw_audit_sample, proof_deadline
from ..selectors.audit import audit_entries, audit_preview
from ..selectors.overview import held_since_of_entry
from ..selectors.review import entry_review
from ..services import EntryDetails, check_entry, log_entry, recount_after_catalogue_change
from .holders import deadline_text
from .review import DecisionFilter, DecisionForm, ReviewAdminMixin


class EntryStateChangeInline(ReadOnlyInline):
    """The audit trail of an entry: read-only, written only by the services."""

    model = EntryStateChange
    select_related = ("changed_by",)
    fields = ("changed_at", "from_state", "to_state", "changed_by", "reason")


class ProofFileInline(ReadOnlyInline):
    """What proof an entry has. The files open through the holder pages' authorising view,
    linked from the review panel above the form."""

    model = ProofFile
    select_related = ("uploaded_by",)
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")


class EntryAddForm(forms.ModelForm):
    """Staff log an activity for a holder. The checks are the service's own (what it earns,
    dates, caps); saving goes through the same service, which computes the claimed credits."""

    class Meta:
        model = Entry
        fields = ("holder", "activity_type", "activity_date", "title", "provider",
                  "description", *INPUT_FIELDS, "relevance_confirmed")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = ActivityType.objects.filter(active=True)
        self.fields["relevance_confirmed"].required = True

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        check_entry(holder=cleaned["holder"], details=EntryDetails.from_data(cleaned),
                    today=timezone.localdate())
        return cleaned


def queue_ordering(params: Mapping[str, object]) -> tuple[str, ...]:
    """The queue is worked oldest first; the whole list shows the newest first. (Entry choices
    on other admin pages are ordered so too.)"""
    if params.get(DecisionFilter.parameter_name, "waiting") in DecisionFilter.QUEUES:
        return ("logged_at", "pk")
    return ("-logged_at", "-pk")


def changelist_ordering(params: Mapping[str, object]) -> tuple[str | OrderBy, ...]:
    """In the queue, the entries of years held for decisions come before the rest, the longest
    held first: those years wait for nothing else. Needs the changelist's `held_since`."""
    ordering = queue_ordering(params)
    if params.get(DecisionFilter.parameter_name, "waiting") in DecisionFilter.QUEUES:
        # Written for SQLite (`make run`) too, which sorts NULL first.
        return (F("held_since").asc(nulls_last=True), *ordering)
    return ordering


class QueueChangeList(ChangeList):
    """Sorts as `changelist_ordering` unless a column is chosen, and marks the columns the list
    is sorted by so (Django reads the arrows from a fixed ordering otherwise)."""

    # Query parameters that choose how the list is shown, not which entries it holds.
    PRESENTATION = frozenset({ORDER_VAR, PAGE_VAR, ALL_VAR, DecisionFilter.parameter_name})

    @property
    def decision(self) -> str:
        """Which of the lists (DecisionFilter) this is: its empty page says what it means."""
        value = self.params.get(DecisionFilter.parameter_name) or "waiting"
        # Anything else lists every entry, as DecisionFilter reads it.
        return value if value in DecisionFilter.QUEUES else "all"

    @property
    def narrowed(self) -> bool:
        """Whether a search or a filter besides the decision narrows the list."""
        return bool(self.query) or any(name not in self.PRESENTATION for name in self.params)

    def _get_default_ordering(self) -> tuple[str | OrderBy, ...]:
        return changelist_ordering(self.params)

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Entry]) -> list:
        if self.params.get(ORDER_VAR):
            return super().get_ordering(request, queryset)
        return self._get_deterministic_ordering(list(changelist_ordering(self.params)))


@admin.register(Entry)
class EntryAdmin(ReviewAdminMixin, HistoryAdmin):
    # Short columns: a reviewer sees every one of them at 1,280 px.
    # The held column next to the title: it says why an entry leads the queue, on a phone too.
    list_display = ("short_title", "held", "holder_name", "activity", "day", "credits", "state",
                    "proof", "waiting")
    list_display_links = ("short_title",)
    list_filter = (DecisionFilter, "state", "activity_type", "relevance_confirmed")
    list_select_related = ("holder", "activity_type")
    search_fields = ("title", "provider", "holder__email", "holder__full_name")
    autocomplete_fields = ("holder", "activity_type")
    # A million entries: no exact count of the whole table on every page, no per-option counts
    # and no date drill-down (it reads every entry's year).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    add_form = EntryAddForm
    fieldsets = (
        (None, {"fields": ("holder", "activity_type", "activity_date", "title", "provider",
                           "description")}),
        (_("What the holder did"), {"fields": INPUT_FIELDS}),
        (_("Credits and state"), {"fields": ("claimed_credits", "approved_credits", "state",
                                             "relevance_confirmed", "logged_at", "logged_by",
                                             "updated_at")}),
    )
    # Computed when logged, or changed only by the review workflow, which records who, when and
    # why: never typed into this form.
    readonly_fields = ("claimed_credits", "approved_credits", "state", "logged_at", "logged_by",
                       "updated_at")
    inlines = (EntryStateChangeInline, ProofFileInline)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        # The list opens on the review queue: the admin's front page offers it to those who
        # review. Others who may read entries (the Board) open them from an appeal.
        if not request.user.has_perm("submissions.review_entry"):
            return {}
        return super().get_model_perms(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Entry | None = None):
        # What the holder wrote is theirs: staff decide on it (the decision buttons), they never
        # type over it. The holder edits it through the rules, before a review decision.
        if obj is None:
            return self.readonly_fields
        return tuple(field for fieldset in self.fieldsets for field in fieldset[1]["fields"])

    # An entry's page is read-only, with no generic Save: a posted change form is refused, and
    # every change goes through a service (the holder's edit, a review decision). Staff logging
    # an activity for a holder add it through `log_entry`.
    def has_change_permission(self, request: HttpRequest, obj: Entry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Entry | None = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Entry | None = None):
        if obj is None:
            return ((None, {"fields": EntryAddForm.Meta.fields}),)
        return super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj: Entry | None = None, **kwargs: object):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Entry | None):
        return self.inlines if obj else ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entry]:
        return super().get_queryset(request).annotate(
            has_proof=Exists(ProofFile.objects.filter(entry=OuterRef("pk"))),
            held_since=held_since_of_entry())

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return queue_ordering(request.GET)

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return QueueChangeList

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict | None = None) -> HttpResponse:
        if request.method != "GET" or connection.vendor != "postgresql":
            return super().changelist_view(request, extra_context)
        # Sorting the queue by held years reads every waiting entry, and the planner's cost
        # for it turns on PostgreSQL's JIT, which compiles for longer (about a second over a
        # million entries) than the query runs. The page is rendered inside, where it is read.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            response = super().changelist_view(request, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    @admin.display(description=_("logged by"))
    def logged_by(self, obj: Entry) -> str:
        """Who logged the entry: the holder, staff for them, or staff from an attendance
        import (with the import's date)."""
        first = (obj.state_changes.filter(from_state="").select_related("changed_by")
                 .order_by("changed_at", "pk").first())
        by = first.changed_by if first is not None else None
        name = (by.full_name or by.email) if by is not None else _("staff")
        when = date_format(timezone.localtime(obj.logged_at), "DATETIME_FORMAT")
        if obj.imported:
            return _("%(staff)s (staff), from a webinar attendance import on %(when)s") % {
                "staff": name, "when": when}
        if by is not None and by.pk != obj.holder_id:
            return _("%(staff)s (staff), for the holder") % {"staff": name}
        return _("the holder")

    @admin.display(description=_("entry"), ordering="title")
    def short_title(self, obj: Entry) -> str:
        return Truncator(obj.title).chars(40)

    @admin.display(description=_("holder"), ordering="holder__full_name")
    def holder_name(self, obj: Entry) -> str:
        return Truncator(obj.holder.full_name or obj.holder.email).chars(28)

    @admin.display(description=_("date"), ordering="activity_date")
    def day(self, obj: Entry) -> str:
        return date_format(obj.activity_date)

    @admin.display(description=_("logged"), ordering="logged_at")
    def waiting(self, obj: Entry) -> str:
        return _("%(time)s ago") % {"time": timesince(obj.logged_at, depth=1)}

    @admin.display(description=_("year held"), ordering="held_since")
    def held(self, obj: Entry) -> str | None:
        """How long the year this entry could still make met has waited for decisions."""
        if obj.held_since is None:
            return None
        days = (timezone.localdate() - obj.held_since).days
        return ngettext("held %(days)d day", "held %(days)d days", days) % {"days": days}

    @admin.display(description=_("activity"), ordering="activity_type__position")
    def activity(self, obj: Entry) -> str:
        return Truncator(obj.activity_type.name).chars(28)

    @admin.display(description=_("credits"), ordering="claimed_credits")
    def credits(self, obj: Entry) -> str:
        if obj.approved_credits is not None:
            return f"{obj.approved_credits} / {obj.claimed_credits}"
        return str(obj.claimed_credits)

    @admin.display(description=_("proof"))
    def proof(self, obj: Entry) -> str:
        """Proof is optional unless a reviewer asks for it: an entry without any and not asked
        for shows nothing, not a mark that reads as a fault."""
        if obj.has_proof:
            return _("attached")
        if obj.state == EntryState.PROOF_REQUESTED:
            return _("requested")
        return ""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        entry = self.get_object(request, object_id)
        if entry is not None:
            today = timezone.localdate()
            extra_context = {
                "review": [(year, deadline_text(year.row, today=today))
                           for year in entry_review(entry=entry, today=today)],
                "proof_files": list(entry.proof_files.all()),
                "can_decide": self.has_review_permission(request),
                # A decision refused for what it lacks comes back with what was typed.
                "decision_form": DecisionForm(initial={
                    "seen_state": entry.state, "due_on": proof_deadline(today),
                    "credits": entry.credits}),
                # A browser shows a date field in its own format: the usual day in words.
                "proof_due": proof_deadline(today),
                "decision_url": reverse("admin:submissions_entry_decide", args=[entry.pk]),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Entry, form: forms.ModelForm,
                   change: bool) -> None:
        data = form.cleaned_data
        # The service checks again under the holder's lock; what the form saw may have changed
        # in between only if the holder logged something in the same instant.
        logged = log_entry(holder=data["holder"], details=EntryDetails.from_data(data),
                           today=timezone.localdate(), by=request.user)
        # The admin goes on with the form's instance (history, redirect): make it the saved row.
        vars(obj).update(vars(logged))


# A change of an annual cap or of a level's requirement changes what open years count. The
# stored standings live here, so the catalogue's and the levels' admins are registered again
# here, with the recount, rather than calling up from the apps below.
admin.site.unregister(ActivityType)
admin.site.unregister(CertificationLevel)


class RecountOnChange:
    """Saving a change of `recount_field` recounts the open years it affects, and says so."""

    recount_field: str
    recount_message: str

    def save_model(self, request: HttpRequest, obj: ActivityType | CertificationLevel,
                   form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change and self.recount_field in form.changed_data:
            if isinstance(obj, ActivityType):
                recount_after_catalogue_change(activity_type=obj)
            else:
                recount_after_catalogue_change(level=obj)
            self.message_user(request, self.recount_message, messages.INFO)  # type: ignore[attr-defined]


@admin.register(ActivityType)
class CatalogueAdmin(RecountOnChange, ActivityTypeAdmin):
    recount_field = "annual_cap"
    recount_message = _("The open certification years where this activity counts are being "
                        "recounted with the new cap.")


@admin.register(CertificationLevel)
class LevelAdmin(RecountOnChange, CertificationLevelAdmin):
    recount_field = "required_credits"
    recount_message = _("The open certification years of this level's titles take the new "
                        "requirement and are being recounted.")


class AuditForm(forms.ModelForm):
    """Draw a sample: the period, the share of holders and the seed; the deadline defaults to
    the settings' proof deadline."""

    class Meta:
        model = Audit
        fields = ("period_start", "period_end", "percent", "seed", "due_on")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if "due_on" in self.fields:  # a drawn sample's page shows it read-only
            self.fields["due_on"].required = False
            self.fields["due_on"].help_text = _("Empty: the proof deadline the settings give.")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The period ends after it starts."))
        percent = data.get("percent")
        if percent is not None and not 0 < percent <= 100:
            self.add_error("percent", _("Give a share between 0 and 100 %."))
        due_on = data.get("due_on")
        if due_on is not None:
            try:
                check_proof_deadline(due_on, today=timezone.localdate())
            except ValidationError as error:
                self.add_error(None, error)
        return data


class AuditDrawForm(AuditForm):
    """The sample's settings, with what the preview adds: its key (a confirmation posted
    twice draws once) and what it showed (a confirmation of another draw is refused)."""

    draw_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    fingerprint = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seed"].help_text = _(
            "Any word or number. Keep it with the sample: the same seed, period and share "
            "draw the same holders again.")
        self.fields["percent"].help_text = _(
            "Rounded up to whole holders: 10 % of 25 holders draws 3.")


def default_seed(today: date) -> str:
    """A new seed, shown in the form so that the draw can be repeated."""
    return f"{today.isoformat()}-{secrets.token_hex(3)}"


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    """Drawing a sample is adding one, in two steps: the settings and a preview of who would be
    drawn and which entries asked (and what that does to their years), then the confirmation,
    which alone writes. What it did is read-only afterwards, with the entries it asked."""

    form = AuditForm
    list_display = ("__str__", "population", "drawn_count", "requests", "drawn_by", "drawn_at")
    list_select_related = ("drawn_by",)
    readonly_fields = ("drawn_by", "drawn_at", "population", "requests", "drawn_holders")
    date_hierarchy = "drawn_at"
    change_form_template = "admin/submissions/audit/change_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Audit | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Audit | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Audit]:
        return super().get_queryset(request).annotate(drawn=Count("holders"))

    def get_fields(self, request: HttpRequest, obj: Audit | None = None):
        if obj is None:
            return AuditForm.Meta.fields
        return (*AuditForm.Meta.fields, *self.readonly_fields)

    @admin.display(description=_("holders drawn"), ordering="drawn")
    def drawn_count(self, obj: Audit) -> int:
        return obj.drawn

    @admin.display(description=_("holders drawn"))
    def drawn_holders(self, obj: Audit) -> str:
        return format_html_join(", ", '<a href="{}">{}</a>', (
            (reverse("admin:accounts_user_change", args=[holder.pk]), holder)
            for holder in obj.holders.order_by("full_name")))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        audit = self.get_object(request, object_id)
        if audit is not None:
            extra_context = {**(extra_context or {}), "asked": list(audit_entries(audit)),
                             "entry_opts": Entry._meta}
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        preview, changed = None, False
        if request.method == "POST":
            form = AuditDrawForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                key = data["draw_key"] if "_confirm" in request.POST else None
                if key and (earlier := Audit.objects.filter(draw_key=key).first()):
                    return self._drawn_already(request, earlier)
                preview = audit_preview(
                    period_start=data["period_start"], period_end=data["period_end"],
                    percent=data["percent"], seed=data["seed"],
                    due_on=data.get("due_on") or proof_deadline(today), today=today)
                if "_confirm" in request.POST:
                    if data["draw_key"] and data["fingerprint"] == preview.fingerprint:
                        return self._confirm(request, data, today=today)
                    changed = True
                # Each preview gets a key of its own, and the confirmation names what it saw.
                form = AuditDrawForm(data={**request.POST.dict(), "draw_key": uuid.uuid4(),
                                           "fingerprint": preview.fingerprint})
                form.is_valid()
        else:
            form = AuditDrawForm(initial={
                "period_start": today.replace(month=1, day=1), "period_end": today,
                "percent": Decimal("10"), "seed": default_seed(today),
                "due_on": proof_deadline(today)})
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Draw an audit sample"),
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "form": form,
            "preview": preview,
            "changed": changed,
            "today": today,
            "due_on": preview and (form.cleaned_data.get("due_on") or proof_deadline(today)),
            "entry_opts": Entry._meta,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/submissions/audit/draw.html", context)

    def _confirm(self, request: HttpRequest, data: dict, *, today: date) -> HttpResponse:
        started = timezone.now()
        audit = draw_audit_sample(
            period_start=data["period_start"], period_end=data["period_end"],
            percent=data["percent"], seed=data["seed"], due_on=data.get("due_on"),
            by=request.user, today=today, key=data["draw_key"])
        if audit.drawn_at < started:
            # Another post of the same preview drew it while this one waited.
            return self._drawn_already(request, audit)
        drawn = audit.holders.count()
        self.message_user(request, ngettext(
            "%(drawn)d holder of %(population)d drawn; %(requests)d proof request sent.",
            "%(drawn)d holders of %(population)d drawn; %(requests)d proof requests sent.",
            drawn) % {"drawn": drawn, "population": audit.population,
                      "requests": audit.requests}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:submissions_audit_change", args=[audit.pk]))

    def _drawn_already(self, request: HttpRequest, audit: Audit) -> HttpResponse:
        self.message_user(request, _(
            "This sample was drawn already, on %(when)s: nothing was asked twice.") % {
                "when": date_format(timezone.localtime(audit.drawn_at), "DATETIME_FORMAT")},
            messages.WARNING)
        return HttpResponseRedirect(reverse("admin:submissions_audit_change", args=[audit.pk]))
