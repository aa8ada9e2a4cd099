"""The dashboard and the entry list rendered whole, as on a holder's first view after a change of
their records (their cached copy is keyed by the records version): the queries each runs, and
nothing else read to render them."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.enums import CertificationStatus
from submissions.selectors.holder import holder_entries
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]


def main_table(sql: str) -> str:
    """The table a query's own FROM names first (not a subquery's)."""
    depth = 0
    for position, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(" FROM ", position):
            return sql[position + 6:].split()[0].strip('"')
    raise ValueError(sql)


def tables(client, url: str) -> list[str]:
    """The table each query of an uncached view of `url` reads first."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [main_table(q["sql"]) for q in captured]


@pytest.fixture
def holder(client):
    holder = UserFactory()
    for code, awarded in (("ISP", date(2022, 1, 1)), ("ISE", date(2024, 7, 1))):
        CertificationFactory(holder=holder, title=title(code), awarded_on=awarded)
    for i in range(30):
        EntryFactory(holder=holder, activity_type=activity("other-course"),
                     activity_date=date(2025, 1, 1) + timedelta(days=i))
    client.force_login(holder)
    return holder


DASHBOARD_TABLES = [
    "django_session", "accounts_user",
    "submissions_entry",  # the entries waiting for the holder's proof
    "submissions_denial",  # decertifications and the decisions and appeals still open
    "certifications_certification", "activities_activitytype",
    "certifications_certificationyear",  # every open year with what waits for proof, at once
    "submissions_entry",  # the recent activities
]


def test_dashboard_reads_the_years_once_and_each_table_for_one_purpose(client, holder):
    assert tables(client, reverse("home")) == DASHBOARD_TABLES


def test_dashboard_of_a_decertified_certification_reads_no_more(client, holder):
    holder.certifications.filter(title__code="ISE").update(
        status=CertificationStatus.DECERTIFIED, decertified_on=date(2025, 5, 1))

    assert tables(client, reverse("home")) == DASHBOARD_TABLES


def test_entry_list_counts_its_entries_once_and_reads_the_activities_once(client, holder):
    assert tables(client, reverse("submissions:entry_list")) == [
        "django_session", "accounts_user", "certifications_certification",
        "activities_activitytype",
        "submissions_holderentries",  # the stored count: one row, however many entries
        "submissions_entry"]


def test_entry_list_filtered_to_nothing_asks_whether_the_holder_has_entries(client, holder):
    url = reverse("submissions:entry_list") + "?state=rejected"

    assert tables(client, url)[-3:] == [
        "activities_activitytype", "submissions_entry", "submissions_entry"]
    html = client.get(url).content.decode()
    assert "No activity matches these filters." in html
    assert 'name="activity_type"' in html


def test_entry_list_pages_hold_the_entries_the_orm_lists_in_order(client, holder):
    expected = [row.title for row in holder_entries(holder=holder)]
    url = reverse("submissions:entry_list")

    first = client.get(url).content.decode()
    second = client.get(url + "?page=2").content.decode()

    assert "30 activities" in first
    for titles, html in ((expected[:25], first), (expected[25:], second)):
        positions = [html.index(f">{title}</a>") for title in titles]
        assert positions == sorted(positions)
        assert len(positions) == len(titles)
    assert f">{expected[25]}</a>" not in first
    assert "Page 2 of 2" in second


def test_entry_list_of_a_holder_without_entries_invites_a_first_one(client):
    client.force_login(UserFactory())

    html = client.get(reverse("submissions:entry_list")).content.decode()

    assert "Nothing logged yet" in html
