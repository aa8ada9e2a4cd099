"""Pages for a signed-in user are never kept by a browser or proxy cache."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from common.middleware import PrivateCacheControlMiddleware
from submissions.services import attach_proof
from tests.factories import EntryFactory, UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directives(response: HttpResponse) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def test_private_pages_signed_in_are_private_and_not_stored(client, practitioner):
    holder = practitioner.holder
    entry = EntryFactory(holder=holder, activity_date=date(2025, 3, 1))
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF), by=holder)
    client.force_login(holder)
    urls = [
        reverse("home"),
        reverse("submissions:entry_detail", args=[entry.pk]),
        reverse("submissions:transcript_csv", args=[practitioner.pk, 1]),
        reverse("submissions:transcript_pdf", args=[practitioner.pk, 1]),
        reverse("submissions:proof_download", args=[proof.pk]),
    ]

    seen = {url: directives(client.get(url)) for url in urls}

    assert seen == {url: {"private", "no-store"} for url in urls}


def test_private_pages_anonymous_landing_page_may_be_stored(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "no-store" not in directives(response)


def test_private_pages_a_views_own_stricter_header_stays(rf: RequestFactory):
    request = rf.get("/")
    request.user = UserFactory()

    def view(request):
        response = HttpResponse("ok")
        response["Cache-Control"] = "no-cache, no-store, must-revalidate, max-age=0"
        return response

    response = PrivateCacheControlMiddleware(view)(request)

    assert directives(response) == {"no-cache", "no-store", "must-revalidate", "max-age=0",
                                    "private"}
