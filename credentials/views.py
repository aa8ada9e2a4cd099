"""The holder's calendar: the Account page that shows, creates and resets the private address,
and the feed itself, read by calendar apps without a session.

The badges, for anyone who verifies one (public, read without a session, from any origin): the
issuer's DID document, the revocation list, and a certification's credential by its badge id."""

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from certifications.models import Certification
from common.shortcuts import download_name

from . import services
from .baking import baked_png, baked_svg
from .calendar import calendar_file
from .forms import ResetFeedForm
from .models import CalendarFeed
from .openbadges import STATUS_LIST_ID
from .selectors import (
    badge_certification,
    badge_text,
    calendar_dates,
    feed_for_token,
    signed_status_list,
)
from .signing import did_document


def feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("credentials:calendar_feed", args=[feed.token]))


@login_required
@require_GET
def calendar_settings(request: HttpRequest) -> HttpResponse:
    feed = CalendarFeed.objects.filter(holder=request.user).first()
    return render(request, "credentials/calendar.html", {
        "feed": feed, "feed_url": feed_url(request, feed) if feed else "",
        "reset_form": ResetFeedForm(initial={"generation": feed.generation}) if feed else None})


@login_required
@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    services.create_calendar_feed(holder=request.user)
    messages.success(request, _("Your calendar address is ready: add it to your calendar app."))
    return redirect("credentials:calendar")


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    form = ResetFeedForm(request.POST)
    if form.is_valid() and services.reset_calendar_feed(
            holder=request.user, generation=form.cleaned_data["generation"]):
        messages.success(request, _("Your calendar has a new address; the old one no longer "
                                    "works. Subscribe again with the new one."))
    return redirect("credentials:calendar")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The holder's CPE dates as iCalendar, for whoever has the address: an unknown or replaced
    token is a 404."""
    feed = feed_for_token(token)
    if feed is None:
        raise Http404
    body = calendar_file(calendar_dates(holder=feed.holder, today=timezone.localdate()),
                         now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cpe-dates.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _public(response: HttpResponse) -> HttpResponse:
    """For verifiers anywhere, a browser's included: no cookie is read, nothing private is
    said."""
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Robots-Tag"] = "noindex"
    return response


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


@require_safe
def issuer_did_document(request: HttpRequest) -> HttpResponse:
    """did:web's DID document of the portal's domain: the keys credentials are signed with."""
    response = HttpResponse(_json(did_document()), content_type="application/did+json")
    # Asked for again each time: after a key rotation no verifier holds a document without
    # the key that signs.
    patch_cache_control(response, public=True, no_cache=True)
    return _public(response)


@require_safe
def status_list(request: HttpRequest, list_id: int) -> HttpResponse:
    """The signed revocation list. Verifiers may keep it, but ask again each time (its ETag
    answers 304 while it has not changed): a decertification shows on the next request."""
    if list_id != STATUS_LIST_ID:
        raise Http404
    signed = signed_status_list()
    response = HttpResponse(signed.jwt, content_type="application/jwt")
    response["ETag"] = f'"{signed.digest}"'
    patch_cache_control(response, public=True, no_cache=True)
    # 304 Not Modified, with the same headers, to a verifier that has this list already.
    return _public(get_conditional_response(request, etag=response["ETag"], response=response))


@require_safe
def badge_credential(request: HttpRequest, badge_id: uuid.UUID, as_json: bool) -> HttpResponse:
    """A certification's Open Badges credential, signed (`.jwt`) or as JSON data (`.json`),
    for whoever has its badge id, as the public verification page is; a decertified
    certification's too (its status says revoked)."""
    certification = badge_certification(badge_id)
    if certification is None:
        raise Http404
    issued = services.issue_badge_credential(certification=certification)
    if as_json:
        response = HttpResponse(_json(issued.credential), content_type="application/json")
    else:
        response = HttpResponse(issued.jwt, content_type="application/jwt")
    # Opened in the browser from a link; saved under the title's name.
    response["Content-Disposition"] = content_disposition_header(
        False, _file_name(certification, "json" if as_json else "jwt"))
    return _credential(response)


# The badge image's formats: how each is drawn, and its media type.
IMAGES = {"svg": (baked_svg, "image/svg+xml"), "png": (baked_png, "image/png")}


@require_safe
def badge_image(request: HttpRequest, badge_id: uuid.UUID, kind: str) -> HttpResponse:
    """The badge as an image (SVG or PNG) with the signed credential baked in, for whoever has
    its badge id (it says what the credential and the verification page say), as a
    download."""
    certification = badge_certification(badge_id)
    if certification is None:
        raise Http404
    issued = services.issue_badge_credential(certification=certification)
    draw, media_type = IMAGES[kind]
    response = HttpResponse(draw(badge_text(certification), jwt=issued.jwt),
                            content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(
        True, _file_name(certification, kind))
    # An image opened on its own runs nothing, whatever it holds.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return _credential(response)


def _file_name(certification: Certification, extension: str) -> str:
    return download_name(f"{certification.title.name} badge.{extension}",
                         default=f"badge.{extension}")


def _credential(response: HttpResponse) -> HttpResponse:
    # What it says changes seldom (a name, a title); whether it is revoked is not in it.
    patch_cache_control(response, public=True, max_age=300)
    return _public(response)
