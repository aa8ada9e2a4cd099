"""The review queue in the entry admin: what needs a decision first, the decisions as buttons
on an entry's page and as bulk actions, each through its service in `submissions.review`."""

import copy
from collections.abc import Callable
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.rules import credits_text

from ..enums import DECIDABLE_STATES, PROOF_REQUESTABLE_STATES, EntryState
from ..models import Entry, appeal_until
from ..review import (
    BulkOutcome,
    adjust_entry,
    approve_entry,
    decide_each,
    proof_deadline,
    reject_entry,
    request_proof,
    state_phrase,
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


class ConfirmForm(forms.Form):
    """A bulk decision that needs nothing more than the reviewer's confirmation."""


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: beside the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def decided_message(entry: Entry, action: str, *, today: date) -> str:
    """What a decision did, in plain English, and what the holder may do next."""
    names = {"title": entry.title,
             "credits": credits_text(entry.credits, always_places=True),
             "claimed": credits_text(entry.claimed_credits, always_places=True),
             "until": date_format(appeal_until(today))}
    if action == "adjust":
        return _("“%(title)s” approved at %(credits)s of %(claimed)s credits; the holder may "
                 "appeal the difference until %(until)s. The holder is told by mail.") % names
    if action == "reject":
        return _("“%(title)s” rejected; the holder may appeal until %(until)s. The holder is "
                 "told by mail.") % names
    if action == "request_proof":
        return _("Proof of “%(title)s” requested, due on %(date)s; the entry counts once the "
                 "proof is accepted. The holder is told by mail.") % {
            **names, "date": date_format(entry.proof_due_on)}
    return _("“%(title)s” approved at %(credits)s credits. The holder is told by mail.") % names


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
        if not form.is_valid():
            return self._decision_refused(request, entry, form)
        today = timezone.localdate()
        try:
            decided = _decide_one(form, entry, request.user, today)
        except ValidationError as error:
            add_service_error(form, error)
            return self._decision_refused(request, entry, form)
        messages.success(request, decided_message(decided, form.cleaned_data["action"],
                                                  today=today))
        return HttpResponseRedirect(reverse("admin:submissions_entry_changelist"))

    def _decision_refused(self, request: HttpRequest, entry: Entry,
                          form: DecisionForm) -> HttpResponse:
        """The entry's page again, nothing decided, with the decision as it was typed (the
        credits, the reason, the date) and what it lacks beside the field."""
        page = copy.copy(request)
        page.method, page.POST = "GET", QueryDict()
        return self.change_view(page, str(entry.pk), extra_context={  # type: ignore[attr-defined]
            "decision_form": form, "decision_refused": True})

    def _report(self, request: HttpRequest, outcome: BulkOutcome,
                done: Callable[[int], str]) -> None:
        if outcome.decided:
            self.message_user(request, done(len(outcome.decided)), messages.SUCCESS)
        for entry, why in outcome.refused:
            self.message_user(request, _("“%(title)s” was left as it is: %(why)s")
                              % {"title": entry.title, "why": why}, messages.WARNING)

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Entry],
              decide: Callable[[Entry], Entry], done: Callable[[int], str]) -> None:
        if not self.has_review_permission(request):
            raise PermissionDenied
        self._report(request, decide_each(list(queryset.order_by("logged_at", "pk")), decide),
                     done)

    @admin.action(description=_("Approve the selected entries…"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Entry]):
        form = self._with_form(request, queryset, ConfirmForm, str(_("Approve entries")),
                               allowed=DECIDABLE_STATES)
        if not isinstance(form, ConfirmForm):
            return form
        today = timezone.localdate()
        self._bulk(request, queryset,
                   lambda entry: approve_entry(entry=entry, by=request.user, today=today),
                   lambda count: ngettext("%(count)d entry approved at the credits claimed; "
                                          "the holder is told by mail.",
                                          "%(count)d entries approved at the credits claimed; "
                                          "each holder is told by mail.", count)
                   % {"count": count})
        return None

    def _with_form(self, request: HttpRequest, queryset: QuerySet[Entry], form_class: type,
                   title: str, *, allowed: frozenset[str], initial: dict | None = None):
        """The intermediate page a bulk decision is confirmed on, with its reason (or
        deadline) where it needs one: the entries it applies to, and those it will leave as
        they are. The cleaned form once it is sent, else None after rendering the page."""
        form = form_class(request.POST if "decide" in request.POST else None, initial=initial)
        if form.is_bound and form.is_valid():
            return form
        entries = list(queryset.select_related("holder", "activity_type")
                       .order_by("logged_at", "pk"))
        return render(request, "admin/submissions/entry/bulk_decision.html", {
            **self.admin_site.each_context(request), "title": title, "form": form,
            "entries": [entry for entry in entries if entry.state in allowed],
            "left": [(entry, state_phrase(entry.state)) for entry in entries
                     if entry.state not in allowed],
            "action": request.POST["action"], "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=_("Reject the selected entries…"), permissions=["review"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Entry]):
        form = self._with_form(request, queryset, ReasonForm, str(_("Reject entries")),
                               allowed=DECIDABLE_STATES)
        if not isinstance(form, ReasonForm):
            return form
        today, reason = timezone.localdate(), form.cleaned_data["reason"]
        self._bulk(request, queryset, lambda entry: reject_entry(
            entry=entry, by=request.user, reason=reason, today=today),
            lambda count: ngettext(
                "%(count)d entry rejected; the holder is told by mail and may appeal until "
                "%(until)s.",
                "%(count)d entries rejected; each holder is told by mail and may appeal until "
                "%(until)s.", count) % {"count": count,
                                         "until": date_format(appeal_until(today))})
        return None

    @admin.action(description=_("Request proof for the selected entries…"), permissions=["review"])
    def request_proof_selected(self, request: HttpRequest, queryset: QuerySet[Entry]):
        today = timezone.localdate()
        form = self._with_form(request, queryset, ProofRequestForm, str(_("Request proof")),
                               allowed=PROOF_REQUESTABLE_STATES,
                               initial={"due_on": proof_deadline(today)})
        if not isinstance(form, ProofRequestForm):
            return form
        data = form.cleaned_data
        self._bulk(request, queryset, lambda entry: request_proof(
            entry=entry, by=request.user, today=today, due_on=data["due_on"],
            reason=data["reason"]),
            lambda count: ngettext(
                "Proof requested for %(count)d entry, due on %(date)s; the holder is told by "
                "mail.",
                "Proof requested for %(count)d entries, due on %(date)s; each holder is told "
                "by mail.", count) % {"count": count, "date": date_format(data["due_on"])})
        return None
