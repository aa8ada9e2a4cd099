"""Whatever a holder types into the log form or its preview, the answer is a page, never a
server error, and a refused entry stores nothing."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from submissions.models import Entry

pytestmark = pytest.mark.django_db

text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "\x00", "1\x00", "²", "0", "-1", "1e9", "NaN", "Infinity", "0.25",
                     "1.3", "99999999999", "2025-02-30", "2025-13-01", "0001-01-01",
                     "9999-12-31", "<script>"]),
)
numbers = st.one_of(text, st.integers(min_value=-10**12, max_value=10**12).map(str),
                    st.decimals(allow_nan=True, allow_infinity=True).map(str))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.fixed_dictionaries({
    # Catalogue ids run from 1 to 15: real activity types as well as nonsense.
    "activity_type": st.one_of(text, st.integers(min_value=0, max_value=16).map(str)),
    "activity_date": st.one_of(text, st.dates().map(date.isoformat)),
    "title": text, "provider": text, "description": text,
    "hours": numbers, "length_minutes": numbers, "attended_minutes": numbers,
    "quantity": numbers, "proposed_credits": numbers,
    "relevance_confirmed": st.sampled_from(["", "on", "off", "x"]),
    "confirmed": st.sampled_from(["", "on"]),
}))
def test_log_form_and_preview_never_fail_on_nonsense(practitioner, data):
    client = Client()
    client.force_login(practitioner.holder)
    before = Entry.objects.count()
    preview = client.post(reverse("submissions:entry_preview"), data)
    saved = client.post(reverse("submissions:entry_create"), data)
    assert preview.status_code == 200
    assert saved.status_code in (200, 302)
    if saved.status_code == 200:
        assert Entry.objects.count() == before


@pytest.mark.parametrize("number", [0, 99, 99999])
def test_year_pages_outside_the_certification_are_404(client, practitioner, number):
    client.force_login(practitioner.holder)
    for name in ("year_detail", "transcript_csv", "transcript_pdf"):
        url = reverse(f"submissions:{name}", args=[practitioner.pk, number])
        assert client.get(url).status_code == 404, url



@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.fixed_dictionaries({"year": text, "state": text, "activity_type": text,
                                     "page": text}))
def test_entry_list_never_fails_on_nonsense_filters(practitioner, params):
    client = Client()
    client.force_login(practitioner.holder)
    assert client.get(reverse("submissions:entry_list"), params).status_code == 200
