"""Middleware every page passes through."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateCacheControlMiddleware:
    """What a signed-in user is shown (their entries, proof, transcripts) stays out of shared
    and browser caches: `Cache-Control: private, no-store`, added to whatever the view set, so
    a view's own stricter directives stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
