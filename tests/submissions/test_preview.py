"""The live preview's `entry_id`: an edit's preview leaves its own entry out of the counting;
any other value, however it is spelled, is a 404 that says nothing about other holders."""

import re
from datetime import date

import pytest
from django.urls import reverse

from submissions.models import Entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]




def webinar_post(**overrides: object) -> dict[str, object]:
    data = {
        "activity_type": activity("attend-webinar").pk, "activity_date": "2025-05-20",
        "title": "Ransomware response", "length_minutes": "120", "attended_minutes": "120",
        "relevance_confirmed": "on",
    }
    return data | overrides


def _ten_webinar_credits(holder) -> Entry:
    """Fill the webinar cap with one entry, which an edit's preview must leave out."""
    return EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                        activity_date=date(2025, 4, 1), hours=None, length_minutes=600,
                        attended_minutes=600, claimed_credits=10)


def test_preview_entry_id_of_the_holders_entry_leaves_it_out_of_the_cap(client, owner):
    full = _ten_webinar_credits(owner)
    url = reverse("submissions:entry_preview")

    as_new = client.post(url, webinar_post()).content.decode()
    as_edit = client.post(url, webinar_post(entry_id=str(full.pk))).content.decode()

    assert "annual cap of 10 credits" in as_new
    assert '<strong class="preview-credits">2.00</strong>' in as_edit
    assert "2.00 credits will count" in as_edit


@pytest.mark.parametrize("entry_id", [
    "²",  # str.isdigit() says yes, int() says no
    "9" * 5000,  # more digits than int() parses
    "9223372036854775808",  # one past the largest bigint
    "-1",
    "0",
    "1\x00",
    "1.5",
    " ",
])
def test_preview_entry_id_that_is_no_entry_is_404(client, owner, entry_id):
    response = client.post(reverse("submissions:entry_preview"), webinar_post(entry_id=entry_id))

    assert response.status_code == 404
    assert Entry.objects.count() == 0


def unmasked(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def test_preview_entry_id_of_another_holders_entry_is_404_like_a_missing_one(client, owner):
    other = UserFactory()
    CertificationFactory(holder=other)
    theirs = _ten_webinar_credits(other)
    url = reverse("submissions:entry_preview")

    foreign = client.post(url, webinar_post(entry_id=str(theirs.pk)))
    missing = client.post(url, webinar_post(entry_id=str(theirs.pk + 1000)))

    assert (foreign.status_code, missing.status_code) == (404, 404)
    # The same page, but for the sign-out form's CSRF token, masked anew on every response.
    assert unmasked(foreign.content) == unmasked(missing.content)
    assert theirs.title.encode() not in foreign.content


def test_preview_without_entry_id_or_empty_is_a_new_entry(client, owner):
    url = reverse("submissions:entry_preview")

    for data in (webinar_post(), webinar_post(entry_id="")):
        html = client.post(url, data).content.decode()
        assert '<strong class="preview-credits">2.00</strong>' in html
