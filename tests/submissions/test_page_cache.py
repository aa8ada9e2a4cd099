"""The dashboard and the entry list are cached under the holder's records version: a hit reads
nothing but the session and the user, and every change to the holder's records shows at once."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import REVIEWER
from certifications.services import award_certification
from submissions.enums import EntryState
from submissions.review import approve_entry
from submissions.services import EntryDetails, log_entry, withdraw_entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]
TODAY = date(2025, 6, 1)



def log(holder, hours: str = "3", title_: str = "Incident response course"):
    return log_entry(holder=holder, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": date(2025, 5, 1),
        "title": title_, "hours": Decimal(hours), "relevance_confirmed": True}))


def main(response) -> str:
    """The page's main content (the sign-out form around it carries a fresh CSRF token)."""
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def counted(client) -> list[str]:
    html = client.get(reverse("home")).content.decode()
    return [part.split("<", 1)[0] for part in html.split('<strong class="counted">')[1:]]


@pytest.mark.parametrize("url_name", ["home", "submissions:entry_list"])
def test_a_second_view_reads_only_the_session_and_the_user(client, practitioner, url_name):
    client.force_login(practitioner.holder)
    log(practitioner.holder)
    first = main(client.get(reverse(url_name)))

    with CaptureQueriesContext(connection) as captured:
        again = main(client.get(reverse(url_name)))

    assert again == first
    assert [q["sql"].split(" FROM ")[1].split()[0] for q in captured] == [
        '"django_session"', '"accounts_user"']


def test_dashboard_shows_a_logged_and_a_withdrawn_entry_at_once(client, practitioner):
    holder = practitioner.holder
    client.force_login(holder)
    assert counted(client) == ["0.00"]

    entry = log(holder)
    assert counted(client) == ["3.00"]

    withdraw_entry(entry=entry, by=holder, reason="Logged twice", today=TODAY)
    assert counted(client) == ["0.00"]


def test_dashboard_shows_a_new_certification_at_once(client, practitioner):
    holder = practitioner.holder
    client.force_login(holder)
    assert "Information Security Expert" not in client.get(reverse("home")).content.decode()

    award_certification(holder=holder, title=title("ISE"), awarded_on=date(2025, 1, 1),
                        today=TODAY)

    assert "Information Security Expert" in client.get(reverse("home")).content.decode()


def test_entry_list_shows_a_new_entry_at_once_and_keeps_filters_apart(client, practitioner):
    holder = practitioner.holder
    client.force_login(holder)
    url = reverse("submissions:entry_list")
    log(holder, title_="First course")
    assert "First course" in client.get(url).content.decode()
    assert "First course" not in client.get(url, {"state": "rejected"}).content.decode()

    log(holder, title_="Second course")

    assert "Second course" in client.get(url).content.decode()


def test_cached_pages_are_each_holders_own(client, practitioner):
    other = UserFactory()
    CertificationFactory(holder=other)
    log(practitioner.holder)
    client.force_login(practitioner.holder)
    assert counted(client) == ["3.00"]

    client.force_login(other)

    assert counted(client) == ["0.00"]


def test_entry_list_shows_a_decision_on_an_entry_of_no_year_at_once(client, practitioner):
    # Dated before the award (as a corrected award date leaves an entry): it counts toward
    # no year, so no year's recount moves the holder's records version for it.
    holder = practitioner.holder
    entry = EntryFactory(holder=holder, activity_date=date(2023, 12, 1),
                         state=EntryState.PENDING_APPROVAL, title="Old course")
    client.force_login(holder)
    url = reverse("submissions:entry_list")
    assert 'class="state state-pending_approval"' in client.get(url).content.decode()

    approve_entry(entry=entry, by=make_staff(REVIEWER), today=TODAY)

    page = client.get(url).content.decode()
    assert 'class="state state-approved"' in page
    assert "state-pending_approval" not in page
