"""The holder's calendar feed: what it holds, that its UIDs stay while the record changes,
that it holds nothing of another holder, its address (create, reset, 404) and its query
count."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from appeals.models import BoardMeeting
from appeals.services import file_appeal, schedule_waiting_appeals
from credentials.models import CalendarFeed
from credentials.selectors import calendar_dates
from credentials.services import create_calendar_feed, reset_calendar_feed
from submissions.models import Denial
from submissions.review import reject_entry, request_proof
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


def by_uid(holder, today) -> dict[str, tuple[date, str]]:
    return {event.uid: (event.day, event.summary)
            for event in calendar_dates(holder=holder, today=today)}


def feed_events(client, feed) -> dict[str, dict]:
    """The feed as served, parsed back: by UID (without the domain), its start and summary."""
    response = client.get(reverse("credentials:calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]).split("@")[0]: {
        "start": event.decoded("dtstart"), "summary": str(event["summary"]),
        "url": str(event["url"]), "domain": str(event["uid"]).split("@")[1]}
        for event in calendar.walk("VEVENT")}


def test_calendar_holds_each_open_years_end_deadline_and_reminder_days(certification, today):
    key = certification.pk
    assert by_uid(certification.holder, today) == {
        # Year 1 ended short, past its deadline and not closed yet: held for the close.
        f"year-end-{key}-1": (date(2025, 2, 28), "Last day of certification year 1: "
                                                 "Information Security Practitioner"),
        f"year-deadline-{key}-1": (date(2025, 3, 30), "CPE reporting deadline: Information "
                                                      "Security Practitioner, year 1"),
        f"year-end-{key}-2": (date(2026, 2, 28), "Last day of certification year 2: "
                                                 "Information Security Practitioner"),
        f"year-deadline-{key}-2": (date(2026, 3, 30), "CPE reporting deadline: Information "
                                                      "Security Practitioner, year 2"),
        f"year-reminder-{key}-2-90": (date(2025, 12, 30), "CPE reminder: 20.00 credits missing "
                                                          "for Information Security "
                                                          "Practitioner"),
        f"year-reminder-{key}-2-30": (date(2026, 2, 28), "CPE reminder: 20.00 credits missing "
                                                         "for Information Security "
                                                         "Practitioner"),
        f"year-reminder-{key}-2-7": (date(2026, 3, 23), "CPE reminder: 20.00 credits missing "
                                                        "for Information Security "
                                                        "Practitioner"),
    }


def test_reminders_follow_the_credits_and_leave_once_the_year_is_met(certification, today):
    holder, key = certification.holder, certification.pk
    EntryFactory(holder=holder, activity_date=date(2025, 3, 20), hours=D("12"),
                 claimed_credits=D("12"))
    before = by_uid(holder, today)
    assert before[f"year-reminder-{key}-2-30"][1] == ("CPE reminder: 8.00 credits missing for "
                                                      "Information Security Practitioner")

    EntryFactory(holder=holder, activity_date=date(2025, 3, 21), hours=D("8"),
                 claimed_credits=D("8"))
    after = by_uid(holder, today)

    assert [uid for uid in after if "reminder" in uid] == []
    assert {uid: day for uid, (day, _s) in after.items()} == {
        uid: day for uid, (day, _s) in before.items() if "reminder" not in uid}


def test_foundation_and_decertified_certifications_have_no_year_dates(db, today):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISF"), awarded_on=date(2024, 3, 1))
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2020, 3, 1),
                         status="decertified", decertified_on=date(2024, 5, 1))

    assert calendar_dates(holder=holder, today=today) == []


def test_proof_request_and_scheduled_appeal_join_with_unchanged_uids(certification, today):
    holder = certification.holder
    reviewer = make_staff("Reviewer")
    course = EntryFactory(holder=holder, activity_date=date(2025, 3, 10), title="Cloud course",
                          hours=D("6"), claimed_credits=D("6"))
    first = by_uid(holder, today)

    request_proof(entry=course, by=reviewer, today=today, due_on=date(2025, 4, 20))
    second = by_uid(holder, today)
    assert second.pop(f"proof-due-{course.pk}") == (date(2025, 4, 20),
                                                     "Proof due: “Cloud course”")
    # The course stopped counting: the reminders say so, under the same UIDs.
    assert second.keys() == first.keys()

    webinar = EntryFactory(holder=holder, activity_date=date(2025, 3, 12), title="Webinar")
    reject_entry(entry=webinar, by=reviewer, reason="Not relevant", today=today)
    appeal = file_appeal(denial=Denial.objects.get(entry=webinar), by=holder, today=today,
                         rationale="It was relevant.")
    # Filed with no meeting to go to: no date yet.
    assert by_uid(holder, today).keys() == {*second, f"proof-due-{course.pk}"}
    BoardMeeting.objects.create(meets_on=date(2025, 5, 15))
    schedule_waiting_appeals(today=today)
    third = by_uid(holder, today)

    assert third.pop(f"appeal-meeting-{appeal.pk}") == (
        date(2025, 5, 15), "Board meeting: your appeal against the rejection of “Webinar”")
    assert third.keys() == {*second, f"proof-due-{course.pk}"}


def test_feed_holds_nothing_of_another_holder(certification, today, client):
    other = CertificationFactory(holder=UserFactory(full_name="Otto Other"), title=title("ISE"),
                                 awarded_on=date(2024, 6, 1))
    entry = EntryFactory(holder=other.holder, activity_date=date(2025, 3, 10), title="Secret")
    request_proof(entry=entry, by=make_staff("Reviewer"), today=today)
    feed = create_calendar_feed(holder=certification.holder)

    response = client.get(reverse("credentials:calendar_feed", args=[feed.token]))

    body = response.content.decode()
    assert "Secret" not in body
    assert "Expert" not in body
    assert certification.holder.email not in body
    assert "Cora" not in body
    uids = feed_events(client, feed)
    # Only the holder's own years: year-<kind>-<certification id>-…
    assert [uid for uid in uids if not uid.startswith("year-")] == []
    assert {uid.split("-")[2] for uid in uids} == {str(certification.pk)}


def test_feed_is_icalendar_of_all_day_events_with_links_and_private(certification, today,
                                                                    client, settings):
    settings.CPE_SITE_URL = "https://cpe.example.org"
    feed = create_calendar_feed(holder=certification.holder)

    response = client.get(reverse("credentials:calendar_feed", args=[feed.token]))
    events = feed_events(client, feed)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    deadline = events[f"year-deadline-{certification.pk}-2"]
    assert deadline["start"] == date(2026, 3, 30)
    assert type(deadline["start"]) is date
    assert deadline["url"] == (f"https://cpe.example.org/certifications/{certification.pk}"
                               "/years/2/")
    assert {event["domain"] for event in events.values()} == {"cpe.example.org"}
    assert b"DTSTART;VALUE=DATE:20260330" in response.content


def test_the_request_log_keeps_the_token_out(certification, client, caplog):
    feed = create_calendar_feed(holder=certification.holder)

    with caplog.at_level("INFO", logger="cpe_portal.requests"):
        client.get(reverse("credentials:calendar_feed", args=[feed.token]))

    assert [record.path for record in caplog.records if hasattr(record, "path")] == [
        "/calendar/….ics"]
    assert feed.token not in caplog.text


@pytest.mark.parametrize("token", ["unknown", "a" * 43, "x" * 70])
def test_unknown_token_is_a_404(certification, client, token):
    create_calendar_feed(holder=certification.holder)

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_reset_replaces_the_address_and_the_old_one_answers_404(certification, client):
    holder = certification.holder
    client.force_login(holder)
    client.post(reverse("credentials:calendar_create"))
    old = CalendarFeed.objects.get(holder=holder)

    response = client.post(reverse("credentials:calendar_reset"), {"generation": 1})
    again = client.post(reverse("credentials:calendar_reset"), {"generation": 1})

    new = CalendarFeed.objects.get(holder=holder)
    assert response.status_code == again.status_code == 302
    assert (new.generation, new.token != old.token) == (2, True)
    client.logout()
    assert client.get(reverse("credentials:calendar_feed", args=[old.token])).status_code == 404
    assert client.get(reverse("credentials:calendar_feed", args=[new.token])).status_code == 200


def test_create_posted_twice_makes_one_address(certification, client):
    client.force_login(certification.holder)

    client.post(reverse("credentials:calendar_create"))
    client.post(reverse("credentials:calendar_create"))

    feed = CalendarFeed.objects.get(holder=certification.holder)
    assert (len(feed.token), feed.generation) == (43, 1)


@pytest.mark.parametrize("name", ["credentials:calendar_create", "credentials:calendar_reset"])
def test_changes_are_post_only(certification, client, name):
    client.force_login(certification.holder)

    assert client.get(reverse(name)).status_code == 405
    assert not CalendarFeed.objects.exists()


def test_changes_need_the_csrf_token(certification):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(certification.holder)

    assert client.post(reverse("credentials:calendar_create")).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_reset_of_a_holder_without_an_address_makes_none(certification):
    assert reset_calendar_feed(holder=certification.holder, generation=1) is None
    assert not CalendarFeed.objects.exists()


def test_account_page_shows_only_the_signed_in_holders_address(certification, client):
    other = UserFactory()
    theirs = create_calendar_feed(holder=other)
    mine = create_calendar_feed(holder=certification.holder)
    client.force_login(certification.holder)

    page = client.get(reverse("credentials:calendar")).content.decode()

    assert f"{SITE}/calendar/{mine.token}.ics" in page
    assert theirs.token not in page


def test_account_page_offers_to_create_an_address(certification, client):
    client.force_login(certification.holder)

    page = client.get(reverse("credentials:calendar")).content.decode()

    assert "Create my calendar address" in page
    assert ".ics" not in page
    assert "Reset the address" not in page


def test_account_pages_need_sign_in(client):
    response = client.get(reverse("credentials:calendar"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _with_rows(holder, today, count: int) -> None:
    reviewer = make_staff("Reviewer", email=f"reviewer{count}@example.com")
    for n in range(count):
        entry = EntryFactory(holder=holder, activity_date=date(2025, 3, 1) + timedelta(days=n),
                             title=f"Course {n}")
        request_proof(entry=entry, by=reviewer, today=today)
        rejected = EntryFactory(holder=holder, activity_date=date(2025, 3, 1) + timedelta(days=n),
                                title=f"Rejected {n}")
        reject_entry(entry=rejected, by=reviewer, reason="Not relevant", today=today)
        file_appeal(denial=Denial.objects.get(entry=rejected), by=holder, today=today,
                    rationale="It was relevant.")


@pytest.mark.parametrize("count", [1, 8])
def test_feed_query_count_does_not_grow_with_rows(certification, today, client, count):
    holder = certification.holder
    CertificationFactory(holder=holder, title=title("DPP"), awarded_on=date(2023, 9, 1))
    BoardMeeting.objects.create(meets_on=date(2025, 6, 1))
    _with_rows(holder, today, count)
    feed = create_calendar_feed(holder=holder)

    with CaptureQueriesContext(connection) as queries:
        events = feed_events(client, feed)

    assert sum(uid.startswith("proof-due-") for uid in events) == count
    assert sum(uid.startswith("appeal-meeting-") for uid in events) == count
    assert len(queries) == 7
