from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.shortcuts import own_for_write_or_404, own_or_404, private_download
from submissions.models import Denial

from . import services
from .forms import AppealForm
from .models import Appeal, AppealDocument


def _denials(request: HttpRequest):
    return (Denial.objects.filter(holder=request.user)
            .select_related("entry", "certification__title", "appeal__meeting")
            .order_by("-denied_on", "-pk"))


@login_required
@require_GET
def denial_list(request: HttpRequest) -> HttpResponse:
    rows = [(denial, getattr(denial, "appeal", None)) for denial in _denials(request)]
    return render(request, "appeals/denial_list.html", {"rows": rows,
                                                        "today": timezone.localdate()})


def _not_appealable(denial: Denial, *, today: date) -> str | None:
    """Why the holder cannot appeal the decision now: appealed already, or the window closed."""
    if hasattr(denial, "appeal") or today > denial.appeal_until:
        return _("This decision can no longer be appealed here.")
    return None


@login_required
@require_http_methods(["GET", "POST"])
def denial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    denials = Denial.objects.select_related("entry", "certification__title", "appeal")
    if request.method == "POST":
        # Filing an appeal: the holder's own decision, open to appeal.
        denial = own_for_write_or_404(denials, request, page="appeals:denial_detail",
                                      refuse=lambda d: _not_appealable(d, today=today), pk=pk)
    else:
        denial = own_or_404(denials, request, pk=pk)
    appeal = (Appeal.objects.filter(denial=denial).select_related("meeting")
              .prefetch_related("documents").first())
    may_file = (denial.holder_id == request.user.pk
                and not _not_appealable(denial, today=today))
    form = AppealForm()
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.file_appeal(
                    denial=denial, by=request.user, today=today,
                    rationale=form.cleaned_data["rationale"],
                    rationale_pdf=form.cleaned_data["rationale_pdf"],
                    documents=form.cleaned_data["documents"])
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, _("Your appeal is filed."))
                return redirect("appeals:denial_detail", pk=denial.pk)
    return render(request, "appeals/denial_detail.html", {
        "denial": denial, "appeal": appeal, "may_file": may_file, "form": form,
        "today": today})


@login_required
@require_GET
def rationale_download(request: HttpRequest, pk: int) -> FileResponse:
    appeal = own_or_404(Appeal.objects.all(), request, holder_field="denial__holder", pk=pk)
    if not appeal.rationale_pdf:
        raise Http404
    return private_download(appeal.rationale_pdf, filename="rationale.pdf",
                            content_type="application/pdf")


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = own_or_404(AppealDocument.objects.all(), request,
                          holder_field="appeal__denial__holder", pk=pk)
    return private_download(document.file, filename=document.original_name,
                            content_type=document.content_type)
