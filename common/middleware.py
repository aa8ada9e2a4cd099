"""Middleware every page passes through."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import AutoField, Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import ResolverMatch, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from .observability import REQUEST_ID_HEADER, log_request, request_id_for, request_id_var


class RequestLogMiddleware:
    """First of all middleware: gives each request its id (`request.request_id`, echoed in the
    `X-Request-ID` response header and carried by every log record written meanwhile), and
    writes one line for it once answered (`common.observability.log_request`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        request.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            log_request(request, response, started=started)
        finally:
            request_id_var.reset(token)
        return response


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


class _AdminViewMiddleware:
    """A middleware that looks at the views of an admin site only, before they run:
    `process_admin_view` is called with the URL's resolver match for those, and its answer, if
    any, is the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or "admin" not in match.app_names:
            return None
        return self.process_admin_view(request, view_func, match)

    def process_admin_view(self, request: HttpRequest, view_func: Callable,
                           match: ResolverMatch) -> HttpResponse | None:
        raise NotImplementedError


# The admin page a staff member sent to set up two-factor authentication was going to.
ADMIN_DESTINATION_SESSION_KEY = "staff_admin_destination"


class StaffTwoFactorMiddleware(_AdminViewMiddleware):
    """The admin is for staff who signed in with two factors, through the portal's sign-in.

    Every URL of an admin site passes through here before its view: visitors are sent to the
    portal's sign-in, holders get a 403, staff without a TOTP authenticator are sent to set one
    up, and staff whose session did not pass it are asked for a code. A middleware rather than
    an admin-site permission check, because it covers every view under the admin alike (the
    login and logout pages, views a model admin adds, with or without `admin_view`) without
    replacing Django's admin site, and sends each person straight to the one page that helps.
    """

    def process_admin_view(self, request: HttpRequest, view_func: Callable,
                           match: ResolverMatch) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            # The admin's own login page sends visitors on to the sign-in with its `next`.
            return None if match.url_name == "login" else redirect_to_login(
                request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not _has_totp(user):
            # Where they were going: the page after the set-up (the recovery codes) leads on.
            if request.method == "GET":
                request.session[ADMIN_DESTINATION_SESSION_KEY] = request.get_full_path()
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


# What the admin's changelist script leaves in `select_across`: 0, or 1 once "select all" was
# chosen. Django's form would read any other text as "all rows".
SELECT_ACROSS_VALUES = frozenset({"", "0", "1"})


class AdminInputMiddleware(_AdminViewMiddleware):
    """A request the admin would otherwise answer with a server error is refused first, the way
    the admin refuses a filter it does not know.

    Checked before every view of an admin site, for every model admin alike (ours, those of
    the packages, and any registered tomorrow): a NUL character in a query parameter, which
    PostgreSQL refuses in any text it compares, and a date hierarchy's year, month and day
    that make no date, or none the admin can count a range from. On a changelist these show
    Django's invalid-filter page (`?e=1`), elsewhere they answer 400. A changelist's bulk
    action posted with a selection that is not the model's ids (text, NUL, numbers past the
    column's range) or a `select_across` that is neither 0 nor 1 changes nothing: the list
    comes back with a message.
    """

    def process_admin_view(self, request: HttpRequest, view_func: Callable,
                           match: ResolverMatch) -> HttpResponse | None:
        # Django's admin marks each of a model admin's views with the model admin.
        model_admin = getattr(view_func, "model_admin", None)
        # The admin's catch-all redirect (an old-style object URL) has no name.
        changelist = model_admin is not None and (match.url_name or "").endswith("_changelist")
        if _has_nul(request.GET) or (changelist and _no_date_range(request.GET, model_admin)):
            if changelist:
                return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            raise BadRequest("NUL in a query parameter")
        if changelist and request.method == "POST" and _unreadable_selection(
                request.POST, model_admin.model):
            messages.error(request, _("The selection was not understood: select the rows "
                                      "again and choose the action."))
            return HttpResponseRedirect(request.get_full_path())
        return None


def _has_nul(params: QueryDict) -> bool:
    return any("\x00" in name or any("\x00" in value for value in values)
               for name, values in params.lists())


def _no_date_range(params: QueryDict, model_admin: ModelAdmin) -> bool:
    """Whether the date hierarchy's parameters name a day, month or year the changelist
    cannot make a range of dates from (the admin parses them outside its own guard)."""
    field = model_admin.date_hierarchy
    if not field or f"{field}__year" not in params:
        return False
    # The last of each, as the changelist reads them.
    year, month, day = (params.getlist(f"{field}__{part}", ["1"])[-1]
                        for part in ("year", "month", "day"))
    try:
        start = datetime(int(year), int(month), int(day))
        # The end of the widest range the changelist takes: the next year.
        start.replace(year=start.year + 1)
        start + timedelta(days=32)
    except (ValueError, OverflowError):
        return True
    return False


def _unreadable_selection(params: QueryDict, model: type[Model]) -> bool:
    """Whether a bulk action's post selects something other than ids of `model`."""
    # The same test as the changelist's for an action to run (a list_editable save aside).
    if "_save" in params or ("index" not in params and ACTION_CHECKBOX_NAME not in params):
        return False
    if params.get("select_across") not in SELECT_ACROSS_VALUES | {None}:
        return True
    return not all(_is_pk(model, value) for value in params.getlist(ACTION_CHECKBOX_NAME))


def _is_pk(model: type[Model], value: str) -> bool:
    pk = model._meta.pk
    if not value or "\x00" in value:
        return False
    try:
        # The field's own reading and its range in this database (an integer column's bounds).
        id_ = pk.to_python(value)
        pk.run_validators(id_)
    except ValidationError:
        return False
    # The database numbers rows from 1.
    return not isinstance(pk, AutoField) or id_ >= 1
