"""The project's URLs, plus the baseline the benchmark compares every page with: a signed-in
request that reads the session and the user and renders nothing."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@login_required
@require_GET
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/signed-in/", signed_in, name="bench_signed_in"),
    path("", include("cpe_portal.urls")),
]
