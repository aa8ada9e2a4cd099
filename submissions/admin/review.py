"""The review queue in the entry admin: what needs a decision first, the decisions as buttons
on an entry's page and as bulk actions, each through its service in `submissions.review`."""

from collections.abc import Callable
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import message_form_errors

from ..enums import EntryState
from ..models import Entry
from ..review import (
    BulkOutcome,
    adjust_entry,
    approve_entry,
    decide_each,
    proof_deadline,
    reject_entry,
    request_proof,
)
from ..selectors.overview import holders_with_held_years
from ..selectors.review import WAITING
from .attendance import attendance_import_urls


class DecisionFilter(admin.SimpleListFilter):
    """The entries list opens on the review queue; “Of a held year” shows only the entries of
    years held for decisions (the admin index links to it); “All entries” shows the rest. The
    queryset carries `held_since` (`overview.held_since_of_entry`)."""

    title = _("decision")
    parameter_name = "decision"
    QUEUES = ("waiting", "held")

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return (("waiting", _("Needs a decision")), ("held", _("Of a held year")),
                ("all", _("All entries")))

    def value(self) -> str:
        return super().value() or "waiting"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request: HttpRequest, queryset: QuerySet[Entry]) -> QuerySet[Entry]:
        if self.value() == "held":
            # The holders first: PostgreSQL then reads only their entries.
            return queryset.filter(WAITING, holder_id__in=holders_with_held_years(),
                                   held_since__isnull=False)
        return queryset.filter(WAITING) if self.value() == "waiting" else queryset


class DecisionForm(forms.Form):
    """One decision on one entry, as the buttons on its page send it."""

    ACTIONS = (("approve", _("Approve")), ("adjust", _("Approve with fewer credits")),
               ("reject", _("Reject")), ("request_proof", _("Request proof")))

    action = forms.ChoiceField(choices=ACTIONS)
    credits = forms.DecimalField(label=_("Credits to approve"), required=False, min_value=0,
                                 max_digits=6, decimal_places=2)
    reason = forms.CharField(label=_("Reason (the holder reads it)"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=_("Proof due on"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))
    # The state the reviewer saw: a decision on an entry that changed since is refused.
    seen_state = forms.ChoiceField(choices=EntryState.choices, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "adjust" and data.get("credits") is None:
            self.add_error("credits", _("Give the credits to approve."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (each holder reads it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ProofRequestForm(forms.Form):
    due_on = forms.DateField(label=_("Proof due on"),
                             widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Message to the holders (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _decide_one(form: DecisionForm, entry: Entry, by, today: date) -> Entry:
    data = form.cleaned_data
    common = {"entry": entry, "by": by, "today": today, "seen_state": data["seen_state"]}
    return {
        "approve": lambda: approve_entry(note=data["reason"], **common),
        "adjust": lambda: adjust_entry(credits=data["credits"], reason=data["reason"],
                                       **common),
        "reject": lambda: reject_entry(reason=data["reason"], **common),
        "request_proof": lambda: request_proof(due_on=data["due_on"], reason=data["reason"],
                                               **common),
    }[data["action"]]()


class ReviewAdminMixin:
    """Review for the entry admin: the queue first, decisions on the entry page and in bulk.
    Deciding needs the `submissions.review_entry` permission."""

    actions = ("approve_selected", "reject_selected", "request_proof_selected")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("submissions.review_entry")

    def get_urls(self):
        opts = self.model._meta
        return [
            path("<int:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name=f"{opts.app_label}_{opts.model_name}_decide"),
            *attendance_import_urls(self),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:submissions_entry_change",
                                                args=[object_id]))
        entry = get_object_or_404(Entry, pk=object_id)
        form = DecisionForm(request.POST)
        back = reverse("admin:submissions_entry_change", args=[entry.pk])
        if not form.is_valid():
            message_form_errors(request, form)
            return HttpResponseRedirect(back)
        try:
            decided = _decide_one(form, entry, request.user, timezone.localdate())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(back)
        messages.success(request, _("“%(title)s” is now %(state)s; the holder is told by "
                                    "mail.") % {"title": decided.title,
                                                "state": decided.get_state_display()})
        return HttpResponseRedirect(reverse("admin:submissions_entry_changelist"))

    def _report(self, request: HttpRequest, outcome: BulkOutcome, done: str) -> None:
        if outcome.decided:
            self.message_user(request, ngettext("%(count)d entry %(done)s.",
                                                "%(count)d entries %(done)s.",
                                                len(outcome.decided))
                              % {"count": len(outcome.decided), "done": done}, messages.SUCCESS)
        for entry, why in outcome.refused:
            self.message_user(request, _("“%(title)s” was left as it is: %(why)s")
                              % {"title": entry.title, "why": why}, messages.WARNING)

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Entry],
              decide: Callable[[Entry], Entry], done: str) -> None:
        if not self.has_review_permission(request):
            raise PermissionDenied
        self._report(request, decide_each(list(queryset.order_by("logged_at", "pk")), decide),
                     done)

    @admin.action(description=_("Approve the selected entries"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        today = timezone.localdate()
        self._bulk(request, queryset,
                   lambda entry: approve_entry(entry=entry, by=request.user, today=today),
                   str(_("approved")))

    def _with_form(self, request: HttpRequest, queryset: QuerySet[Entry], form_class: type,
                   title: str, initial: dict | None = None):
        """The intermediate page a bulk decision asks its reason (or deadline) on; the cleaned
        form once it is sent, else None after rendering the page."""
        form = form_class(request.POST if "decide" in request.POST else None, initial=initial)
        if form.is_bound and form.is_valid():
            return form
        return render(request, "admin/submissions/entry/bulk_decision.html", {
            **self.admin_site.each_context(request), "title": title, "form": form,
            "entries": queryset, "action": request.POST["action"], "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=_("Reject the selected entries…"), permissions=["review"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Entry]):
        form = self._with_form(request, queryset, ReasonForm, str(_("Reject entries")))
        if not isinstance(form, ReasonForm):
            return form
        today, reason = timezone.localdate(), form.cleaned_data["reason"]
        self._bulk(request, queryset, lambda entry: reject_entry(
            entry=entry, by=request.user, reason=reason, today=today), str(_("rejected")))
        return None

    @admin.action(description=_("Request proof for the selected entries…"), permissions=["review"])
    def request_proof_selected(self, request: HttpRequest, queryset: QuerySet[Entry]):
        today = timezone.localdate()
        form = self._with_form(request, queryset, ProofRequestForm, str(_("Request proof")),
                               initial={"due_on": proof_deadline(today)})
        if not isinstance(form, ProofRequestForm):
            return form
        data = form.cleaned_data
        self._bulk(request, queryset, lambda entry: request_proof(
            entry=entry, by=request.user, today=today, due_on=data["due_on"],
            reason=data["reason"]), str(_("asked for proof")))
        return None
