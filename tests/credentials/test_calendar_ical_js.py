"""Acceptance of the calendar feed (issue 16): an independent parser, ical.js from the npm
registry (tests/js, installed by `make test`), reads the feed as served; after a proof request
and after an appeal is scheduled it shows the new event, with the same UIDs for the events that
did not change; a replaced address answers 404."""

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.roles import REVIEWER
from appeals.models import BoardMeeting
from appeals.services import file_appeal, schedule_waiting_appeals
from credentials.models import CalendarFeed
from submissions.models import Denial
from submissions.review import reject_entry, request_proof
from tests.factories import EntryFactory
from tests.services import missing
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

JS = Path(__file__).resolve().parents[1] / "js"


def parse_with_ical_js(ics: bytes) -> dict[str, dict]:
    """The feed's events as ical.js reads them, by UID."""
    node = shutil.which("node")
    if node is None:
        missing("Node.js is not installed")
    if not (JS / "node_modules" / "ical.js").is_dir():
        missing("ical.js is not installed: run `npm ci --prefix tests/js` (make test does)")
    done = subprocess.run([node, str(JS / "ical-events.mjs")], input=ics,  # noqa: S603 — fixed script
                          capture_output=True, check=True, timeout=60)
    return {event["uid"]: event for event in json.loads(done.stdout)}


def test_ical_js_reads_the_feed_as_the_record_changes(certification, today, client, settings):
    settings.CPE_SITE_URL = "https://cpe.example.org"
    holder = certification.holder
    reviewer = make_staff(REVIEWER)
    course = EntryFactory(holder=holder, activity_date=date(2025, 3, 10), title="Cloud course",
                          hours=D("6"), claimed_credits=D("6"))
    webinar = EntryFactory(holder=holder, activity_date=date(2025, 3, 12), title="Webinar")
    reject_entry(entry=webinar, by=reviewer, reason="Not relevant", today=today)
    appeal = file_appeal(denial=Denial.objects.get(entry=webinar), by=holder, today=today,
                         rationale="It was relevant.")
    client.force_login(holder)
    client.post(reverse("credentials:calendar_create"))
    client.logout()
    feed = CalendarFeed.objects.get(holder=holder)
    address = reverse("credentials:calendar_feed", args=[feed.token])
    domain = "cpe.example.org"

    first = parse_with_ical_js(client.get(address).content)
    deadline = first[f"year-deadline-{certification.pk}-2@{domain}"]
    assert (deadline["start"], deadline["all_day"], deadline["url"]) == (
        "2026-03-30", True, f"https://cpe.example.org/certifications/{certification.pk}/years/2/")

    request_proof(entry=course, by=reviewer, today=today, due_on=date(2025, 4, 20))
    second = parse_with_ical_js(client.get(address).content)
    proof = second.pop(f"proof-due-{course.pk}@{domain}")
    assert (proof["start"], proof["summary"], proof["url"]) == (
        "2025-04-20", "Proof due: “Cloud course”",
        f"https://cpe.example.org/entries/{course.pk}/")
    assert second.keys() == first.keys()

    BoardMeeting.objects.create(meets_on=date(2025, 5, 15))
    schedule_waiting_appeals(today=today)
    third = parse_with_ical_js(client.get(address).content)
    meeting = third.pop(f"appeal-meeting-{appeal.pk}@{domain}")
    assert (meeting["start"], meeting["summary"]) == (
        "2025-05-15", "Board meeting: your appeal against the rejection of “Webinar”")
    assert third.keys() == {*first, f"proof-due-{course.pk}@{domain}"}

    client.force_login(holder)
    client.post(reverse("credentials:calendar_reset"), {"generation": feed.generation})
    client.logout()
    assert client.get(address).status_code == 404
    renewed = CalendarFeed.objects.get(holder=holder)
    assert parse_with_ical_js(client.get(
        reverse("credentials:calendar_feed", args=[renewed.token])).content).keys() == {
        *first, f"proof-due-{course.pk}@{domain}", f"appeal-meeting-{appeal.pk}@{domain}"}
