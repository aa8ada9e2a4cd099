from django.conf import settings
from django.contrib import admin
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from certifications.models import CertificationLevel, CertificationTitle
from common.observability import readiness
from submissions.views import dashboard

from .metrics import exposition, may_scrape


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
    """Liveness: the process answers. Touches nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, Redis (cache and broker) and the private storage can be
    used, else 503. The answer names each check, never a host or an error."""
    checks = readiness()
    return JsonResponse({name: "ok" if passed else "failing" for name, passed in checks.items()},
                        status=200 if all(checks.values()) else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the allowed networks or the token; a 404 for anyone else."""
    if not may_scrape(request):
        raise Http404
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


# --- Error pages ---------------------------------------------------------------------------
# Each in the look of where it happened, with a way back: staff inside the admin get the
# admin's header and a link to its front page, everyone else the portal's.


def _in_admin(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (request.path.startswith(reverse("admin:index")) and user is not None
            and user.is_authenticated and user.is_staff)


def _error_page(request: HttpRequest, name: str, status: int) -> HttpResponse:
    if _in_admin(request):
        return render(request, f"admin/{name}", {**admin.site.each_context(request),
                                                 "title": None}, status=status)
    return render(request, name, status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, "404.html", 404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its valid security token (open too long, signed out in another
    tab, cookies off): say what to do instead of Django's technical page."""
    return _error_page(request, "403_csrf.html", 403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered with nothing that could fail again (no database, no context processors): the
    site's look, and the way back to where the person was."""
    in_admin = request.path.startswith(reverse("admin:index"))
    try:
        body = loader.get_template("500.html").render(
            {"back_url": reverse("admin:index") if in_admin else reverse("home"),
             "in_admin": in_admin})
    except Exception:  # The last resort answers whatever broke.
        body = "<h1>Server error (500)</h1>"
    return HttpResponseServerError(body)
