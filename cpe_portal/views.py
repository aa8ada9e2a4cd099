from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
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
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers, bookmarks and feed readers ask for /favicon.ico whatever a page links to: send
    them to our icon (not permanently: its static URL changes with its content)."""
    return redirect(static("favicon.svg"))


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
