"""The rows the holder's pages write in Python (the entry list, the dashboard's proof owed,
recent activities and capped activities): a title with markup characters shows as typed, each
row links its own entry, and the words are those of the rest of the page."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import REVIEWER
from submissions.review import request_proof
from submissions.services import EntryDetails, log_entry
from tests.factories import activity
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]
TODAY = date(2025, 6, 1)
TITLE = '<b>Tips & "tricks"</b>'
ESCAPED = "&lt;b&gt;Tips &amp; &quot;tricks&quot;&lt;/b&gt;"


@pytest.fixture
def course(practitioner):
    """A 3-credit course with markup in its title, its proof asked for by 16 June 2025."""
    entry = log_entry(holder=practitioner.holder, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": date(2025, 5, 1),
        "title": TITLE, "hours": Decimal("3"), "relevance_confirmed": True}))
    return request_proof(entry=entry, by=make_staff(REVIEWER), today=TODAY,
                         due_on=date(2025, 6, 16))


def test_entry_list_row_shows_the_title_as_typed_and_links_its_entry(client, course):
    client.force_login(course.holder)

    html = client.get(reverse("submissions:entry_list")).content.decode()

    detail = reverse("submissions:entry_detail", args=[course.pk])
    assert (f'<tr>\n            <td>1 May 2025</td>\n            <td><a href="{detail}">'
            f'{ESCAPED}</a></td>\n            <td>{course.activity_type.name}</td>') in html
    assert '<td class="text-end">3.00</td>' in html
    assert TITLE not in html


def test_dashboard_proof_owed_and_recent_activity_show_the_title_as_typed(client, course):
    client.force_login(course.holder)

    html = client.get(reverse("home")).content.decode()

    detail = reverse("submissions:entry_detail", args=[course.pk])
    assert (f"<span>“{ESCAPED}”: <strong>3.00 credits</strong> wait for your proof, due by "
            "16 June 2025.</span>") in html
    assert (f'<a class="btn btn-warning btn-sm" href="{detail}#upload-proof">Upload proof'
            f'<span class="visually-hidden"> for “{ESCAPED}”</span></a>') in html
    assert (f'<span><a href="{detail}">{ESCAPED}</a><br><small class="text-body-secondary">'
            f"1 May 2025 · {course.activity_type.name}</small></span>") in html
    assert TITLE not in html


def test_dashboard_labels_each_capped_activity_with_its_bar(client, practitioner):
    client.force_login(practitioner.holder)

    html = client.get(reverse("home")).content.decode()

    certification = practitioner.pk
    webinar = activity("attend-webinar")
    bar = f"cap-{certification}-{webinar.pk}"
    assert f'<label for="{bar}">{webinar.name}: used 0.00 of ' in html
    assert f'<progress class="cap-progress" id="{bar}" max="100" value="0"></progress>' in html
