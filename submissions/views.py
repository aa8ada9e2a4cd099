"""The holder's pages: dashboard, logging with a preview, entries, proof, years and transcripts.

Every object is looked up through the signed-in holder: another holder's entry, proof file or
certification is a 404, never a 403 that would say it exists. What changes an entry (edit,
withdraw, proof) finds it with `own_for_write_or_404`: an entry that cannot take the change
now sends the holder back to its page, saying why.
"""

from collections.abc import Callable
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certifications.models import Certification
from common.shortcuts import (
    computed_on_use,
    own_for_write_or_404,
    own_or_404,
    private_download,
)

from . import services
from .enums import EDITABLE_STATES, WITHDRAWABLE_STATES, EntryState
from .forms import EntryFilterForm, EntryForm, PreviewedEntryForm, ProofForm, WithdrawForm
from .models import Entry, ProofFile
from .selectors import holder as holder_pages
from .transcripts import transcript_csv, transcript_pdf

ENTRIES_PER_PAGE = 25


def _today() -> date:
    return timezone.localdate()


def _page_cache(today: date) -> dict[str, object]:
    """What a page cached per holder (its `{% cache %}` fragment) is kept by: the day, and for
    how long (CPE_PAGE_CACHE_SECONDS)."""
    return {"today": today, "page_cache_seconds": settings.CPE_PAGE_CACHE_SECONDS}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    holder, today = request.user, _today()
    # The page is cached under the holder's records version: read only on a miss.
    return render(request, "submissions/dashboard.html", {**_page_cache(today), **computed_on_use(
        lambda: holder_pages.dashboard(holder=holder, today=today), holder_pages.DASHBOARD_PARTS)})


def _save_entry(form: EntryForm, request: HttpRequest, entry: Entry | None) -> Entry:
    """Log or update the entry and attach its proof in one transaction: all or nothing."""
    token = form.cleaned_data.get("form_token")
    with transaction.atomic():
        if entry is None:
            entry = services.log_entry(holder=request.user, details=form.details(),
                                       today=_today(), form_token=token)
        else:
            entry = services.update_entry(entry=entry, by=request.user, details=form.details(),
                                          today=_today())
        services.attach_proofs(entry=entry, uploads=form.cleaned_data.get("proof") or [],
                               by=request.user, form_token=token)
    return entry


def _confirmed(request: HttpRequest) -> bool:
    """Whether the holder has seen what the entry earns (the live preview, or the confirm
    step without JavaScript)."""
    return bool(forms.BooleanField(required=False).to_python(request.POST.get("confirmed")))


def _entry_form_view(request: HttpRequest, entry: Entry | None) -> HttpResponse:
    initial = None
    if entry is not None:
        initial = {name: getattr(entry, name) for name in (
            "activity_type", "activity_date", "title", "provider", "description", "hours",
            "length_minutes", "attended_minutes", "quantity", "proposed_credits")}
        initial["relevance_confirmed"] = True
    # The final save of a checked form: the service checks what it counts, once.
    saving = request.method == "POST" and _confirmed(request) and not request.POST.get("edit")
    form = EntryForm(request.POST or None, request.FILES or None, initial=initial,
                     holder=request.user, today=_today(), editing=entry, assess=not saving)

    def page(template: str) -> HttpResponse:
        return render(request, template, {"form": form, "entry": entry,
                                          **holder_pages.log_form_context()})

    if request.method == "POST" and form.is_valid() and not request.POST.get("edit"):
        # Without JavaScript there is no live preview: show it on a confirm step first.
        if not form.cleaned_data["confirmed"]:
            return page("submissions/entry_confirm.html")
        try:
            saved = _save_entry(form, request, entry)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Saved: %(title)s, %(credits)s credits claimed.") % {
                "title": saved.title, "credits": saved.claimed_credits})
            return redirect("submissions:entry_detail", pk=saved.pk)
    return page("submissions/entry_form.html")


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest) -> HttpResponse:
    return _entry_form_view(request, None)


def _not_editable(entry: Entry) -> str | None:
    if entry.state not in EDITABLE_STATES:
        return _("This entry can no longer be changed.")
    return None


def _not_withdrawable(entry: Entry) -> str | None:
    if entry.state not in WITHDRAWABLE_STATES:
        return _("This entry can no longer be withdrawn: it is %(state)s.") % {
            "state": entry.get_state_display()}
    return None


def _takes_no_proof(entry: Entry) -> str | None:
    if entry.state not in WITHDRAWABLE_STATES:
        return _("Proof can no longer be added to this entry.")
    return None


def _entry_to_change(request: HttpRequest, pk: int,
                     refuse: Callable[[Entry], str | None]) -> Entry:
    return own_for_write_or_404(Entry.objects.select_related("activity_type", "holder"),
                                request, page="submissions:entry_detail", refuse=refuse, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form_view(request, _entry_to_change(request, pk, _not_editable))


@login_required
@require_POST
def entry_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: the form's verdict rendered as a fragment (no save). An edit names its
    entry; an `entry_id` that is not one of the holder's entries is a 404, as it is in a URL."""
    edited = PreviewedEntryForm(request.POST, holder=request.user)
    if not edited.is_valid():
        raise Http404
    entry = edited.cleaned_data["entry_id"]
    form = EntryForm(request.POST, holder=request.user, today=_today(),
                     editing=entry)
    form.is_valid()
    activity_type = form.cleaned_data.get("activity_type")
    return render(request, "submissions/_preview.html", {
        "assessment": form.assessment,
        "preview_errors": form.preview_errors(),
        "needs_approval": activity_type.needs_approval if activity_type else False,
    })


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    holder, today = request.user, _today()

    def listing() -> dict[str, object]:
        years = holder_pages.year_filter_choices(holder=holder, today=today)
        form = EntryFilterForm(request.GET or None,
                               year_choices=[(key, label) for key, label, _w in years])
        # Every entry, counted and paged by `EntryPages`; a queryset only for a filter.
        every_entry = entries = None
        if form.is_valid():
            every_entry = holder_pages.holder_entries(holder=holder)
            entries = holder_pages.filter_entries(every_entry, years=years, **form.cleaned_data)
        filtered = entries is not every_entry
        listed = entries if filtered else holder_pages.EntryPages(holder)
        page = Paginator(listed, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        # Entries on the list say the holder has some: only a filter that matched none asks.
        has_entries = bool(page.paginator.count) or (filtered and every_entry.exists())
        return {"form": form, "page": page, "query": query.urlencode(),
                "selected": {name: str(form[name].value() or "") for name in form.fields},
                "has_entries": has_entries}

    # The page is cached under the holder's records version: read only on a miss.
    return render(request, "submissions/entry_list.html", {**_page_cache(today), **computed_on_use(
        listing, ("form", "page", "query", "selected", "has_entries"))})


@login_required
@require_GET
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = own_or_404(
        Entry.objects.select_related("activity_type", "holder")
        .prefetch_related("proof_files", "state_changes__changed_by"),
        request, pk=pk)
    owner = entry.holder == request.user
    return render(request, "submissions/entry_detail.html", {
        "entry": entry,
        "shares": holder_pages.entry_shares(entry=entry),
        "can_edit": owner and not _not_editable(entry),
        "can_withdraw": owner and not _not_withdrawable(entry),
        "can_upload": owner and not _takes_no_proof(entry),
        "proof_requested": entry.state == EntryState.PROOF_REQUESTED,
        "proof_form": ProofForm(),
        # The latest decision against the entry (rejected, or its value adjusted), to appeal.
        "denial": entry.denials.order_by("-denied_on", "-pk").first() if owner else None,
    })


@login_required
@require_http_methods(["GET", "POST"])
def entry_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a reason, then withdraw: the holder sees what stops counting before it does."""
    entry = _entry_to_change(request, pk, _not_withdrawable)
    form = WithdrawForm(request.POST or None)
    if form.is_valid():
        try:
            services.withdraw_entry(entry=entry, by=request.user,
                                    reason=form.cleaned_data["reason"], today=_today())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The entry was withdrawn; it no longer counts."))
        return redirect("submissions:entry_detail", pk=entry.pk)
    return render(request, "submissions/entry_withdraw.html", {"entry": entry, "form": form})


@login_required
@require_POST
def proof_upload(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_to_change(request, pk, _takes_no_proof)
    form = ProofForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_proofs(entry=entry, uploads=form.cleaned_data["proof"],
                                   by=request.user, form_token=form.cleaned_data["form_token"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Proof uploaded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("submissions:entry_detail", pk=entry.pk)


@login_required
@require_GET
def proof_download(request: HttpRequest, pk: int) -> FileResponse:
    proof = own_or_404(ProofFile.objects.select_related("entry"), request,
                       holder_field="entry__holder", pk=pk)
    return private_download(proof.file, filename=proof.original_name,
                            content_type=proof.content_type)


def _certification(request: HttpRequest, pk: int) -> Certification:
    return own_or_404(Certification.objects.select_related("title__level", "holder"), request,
                      pk=pk)


@login_required
@require_GET
def year_list(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification(request, pk)
    return render(request, "submissions/year_list.html", {
        "certification": certification,
        "history": holder_pages.certification_history(certification=certification,
                                                   today=_today()),
    })


def _year_detail(request: HttpRequest, pk: int, number: int) -> holder_pages.YearDetail:
    certification = _certification(request, pk)
    detail = holder_pages.year_detail(certification=certification, number=number, today=_today())
    if detail is None:
        raise Http404
    return detail


@login_required
@require_GET
def year_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    detail = _year_detail(request, pk, number)
    rows = [(entry, detail.counted(entry)) for entry in detail.entries]
    return render(request, "submissions/year_detail.html", {"detail": detail, "rows": rows})


TRANSCRIPTS = {
    "csv": ("text/csv; charset=utf-8", transcript_csv),
    "pdf": ("application/pdf", transcript_pdf),
}


@login_required
@require_GET
def transcript(request: HttpRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    detail = _year_detail(request, pk, number)
    content_type, render_transcript = TRANSCRIPTS[fmt]
    window = detail.standing.window
    name = (f"cpe-transcript-{detail.standing.certification.title.code.lower()}-"
            f"{window.starts_on:%Y%m%d}-{window.ends_on:%Y%m%d}.{fmt}")
    response = HttpResponse(render_transcript(detail), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
