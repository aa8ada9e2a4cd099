from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from certifications.models import CertificationLevel, CertificationTitle
from submissions.views import dashboard


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The holder's dashboard once signed in; otherwise what the portal is."""
    if request.user.is_authenticated:
        return dashboard(request)
    # Lazy: only the anonymous landing page reads it (two queries).
    levels = CertificationLevel.objects.prefetch_related(
        Prefetch("titles", queryset=CertificationTitle.objects.filter(active=True))
    )
    return render(request, "home.html", {
        "levels": levels,
        "grace_days": settings.CPE_REPORTING_GRACE_DAYS,
    })


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
