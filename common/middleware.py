"""Middleware every page passes through."""

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _


class Refused(Exception):
    """A holder asked to change their own object, and it cannot be changed now (an entry a
    reviewer decided, a decision whose appeal window closed): `RefusalMiddleware` says why on
    the object's page, `url`."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.message, self.url = message, url


class RefusalMiddleware:
    """A `Refused` write (see `common.shortcuts.own_for_write_or_404`) becomes a message on the
    object's page, not a server error: the one place such a refusal is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest,
                          exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Refused):
            return None
        messages.error(request, exception.message)
        return redirect(exception.url)


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


def passed_two_factor(request: HttpRequest) -> bool:
    """Whether the signed-in user has a TOTP authenticator and this session passed a second
    factor with it."""
    return (request.user.is_authenticated and _second_factor_in_session(request)
            and _has_totp(request.user))


def _has_totp(user: object) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def _second_factor_in_session(request: HttpRequest) -> bool:
    # allauth records each step of a sign-in in the session: a code entered at sign-in (TOTP or
    # a recovery code) or when asked again, and (accounts.receivers) when setting TOTP up.
    return any(record.get("method") == "mfa"
               for record in get_authentication_records(request, request.user))


class StaffTwoFactorMiddleware:
    """The admin is for staff who signed in with two factors, through the portal's sign-in.

    Every URL of an admin site passes through here before its view: visitors are sent to the
    portal's sign-in, holders get a 403, staff without a TOTP authenticator are sent to set one
    up, and staff whose session did not pass it are asked for a code. A middleware rather than
    an admin-site permission check, because it covers every view under the admin alike (the
    login and logout pages, views a model admin adds, with or without `admin_view`) without
    replacing Django's admin site, and sends each person straight to the one page that helps.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or "admin" not in match.app_names:
            return None
        user = request.user
        if not user.is_authenticated:
            # The admin's own login page sends visitors on to the sign-in with its `next`.
            return None if match.url_name == "login" else redirect_to_login(
                request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not _has_totp(user):
            messages.warning(request, _(
                "Staff need two-factor authentication to use the admin. Set up an "
                "authenticator app; the admin opens as soon as it is active."))
            return redirect("mfa_activate_totp")
        if not _second_factor_in_session(request):
            messages.info(request, _("Enter a code from your authenticator app to open the "
                                     "admin."))
            return redirect_to_login(request.get_full_path(),
                                     login_url=reverse("mfa_reauthenticate"))
        return None
