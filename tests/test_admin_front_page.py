"""The admin's front page shows each role its own work, and offers only links the role can
follow: reviewers what waits (the held years first), the Board its agendas by meeting date,
administrators also the appeals that no meeting takes yet."""

from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER
from appeals.enums import AppealState
from appeals.models import Appeal, BoardMeeting
from appeals.services import file_appeal
from certifications.enums import YearState
from certifications.services import ensure_certification_years
from submissions.enums import EntryState
from submissions.models import Denial
from submissions.review import reject_entry
from tests.factories import CertificationFactory, EntryFactory, title
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db

FRONT = reverse("admin:index")
TODAY = date(2025, 4, 3)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith("#"):
            self.hrefs.append(href)


def links_on(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.hrefs


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def appeal_of(holder_name: str) -> Appeal:
    """A holder's appeal of a rejected entry, filed today."""
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1),
                                         holder__full_name=holder_name)
    ensure_certification_years(today=TODAY, certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 3, 10),
                         hours=D("6"), claimed_credits=D("6"), title=f"{holder_name}'s course")
    reject_entry(entry=entry, by=make_staff(REVIEWER), reason="Not relevant", today=TODAY)
    denial = Denial.objects.get(entry=entry)
    return file_appeal(denial=denial, by=denial.holder, today=TODAY, rationale="Relevant.")


@pytest.fixture
def work():
    """What waits: entries for a decision, an appeal no meeting takes, and two meetings with
    an appeal each (the later one added first)."""
    with time_machine.travel("2025-04-03 12:00 +02:00", tick=False):
        EntryFactory(state=EntryState.PENDING_APPROVAL, title="Waiting webinar")
        unscheduled = appeal_of("Una Unscheduled")
        BoardMeeting.objects.create(meets_on=date(2025, 5, 15), location="Utrecht")
        may = appeal_of("Maya May")
        BoardMeeting.objects.create(meets_on=date(2025, 4, 20), location="Online")
        april = appeal_of("April Early")
        yield {"unscheduled": unscheduled, "may": may, "april": april}


@pytest.mark.parametrize("role", [REVIEWER, BOARD, ADMINISTRATOR])
def test_every_link_on_each_roles_front_page_opens_for_that_role(client, work, role):
    sign_in(client, make_staff(role))
    page = client.get(FRONT)
    hrefs = links_on(page.content.decode())

    answers = {href: client.get(urljoin(FRONT, href), follow=True).status_code
               for href in hrefs}

    assert page.status_code == 200
    assert len(hrefs) > 3
    assert {href: status for href, status in answers.items() if status != 200} == {}


def test_board_front_page_shows_agendas_by_meeting_date_and_no_review_queue(client, work):
    sign_in(client, make_staff(BOARD))

    page = text_of(client.get(FRONT))

    assert work["april"].state == work["may"].state == AppealState.SCHEDULED
    assert page.index("20 April 2025 · Online") < page.index("15 May 2025 · Utrecht")
    assert page.index("April Early") < page.index("Maya May")
    assert reverse("admin:appeals_appeal_change", args=[work["april"].pk]) in page
    assert "Open the review queue" not in page
    assert "Add a Board meeting" not in page
    assert reverse("admin:submissions_entry_changelist") not in page
    assert reverse("admin:appeals_boardmeeting_add") not in page


def test_administrator_front_page_offers_a_meeting_for_appeals_without_one(client, work):
    sign_in(client, make_staff(ADMINISTRATOR))

    page = text_of(client.get(FRONT))

    assert work["unscheduled"].state == AppealState.FILED
    assert "1 appeal has no Board meeting to go to" in page
    assert reverse("admin:appeals_boardmeeting_add") in page
    assert "1 entry waits for a decision." in page


def test_reviewer_front_page_shows_what_waits_and_no_appeals(client, work):
    sign_in(client, make_staff(REVIEWER))

    page = text_of(client.get(FRONT))

    assert "What waits for review" in page
    assert "1 entry waits for a decision." in page
    assert "Appeals on the Board's agendas" not in page
    assert "Add a Board meeting" not in page


def test_reviewer_front_page_says_so_when_nothing_waits(client):
    sign_in(client, make_staff(REVIEWER))

    page = text_of(client.get(FRONT))

    assert "Nothing waits for a decision: the queue is clear." in page


def test_front_page_queries_do_not_grow_with_the_appeals(client, work):
    sign_in(client, make_staff(BOARD))
    counts = []
    for more in (0, 10):
        with time_machine.travel("2025-04-03 12:00 +02:00", tick=False):
            for n in range(more):
                appeal_of(f"Holder {n}")
        with CaptureQueriesContext(connection) as captured:
            page = text_of(client.get(FRONT))
        counts.append(len(captured))

    assert "11 appeals to decide." in page
    assert counts[0] == counts[1]


def test_reviewer_front_page_puts_held_years_before_the_queue(client):
    with time_machine.travel("2026-12-02 10:00 +01:00", tick=False):
        certification = CertificationFactory(awarded_on=date(2024, 10, 5))
        ensure_certification_years(today=date(2026, 12, 2), certifications=[certification])
        certification.years.filter(number=2).update(state=YearState.WAITING,
                                                    held_since=date(2026, 11, 4))
        EntryFactory(state=EntryState.PENDING_APPROVAL, holder=certification.holder,
                     activity_date=date(2026, 6, 1))
        sign_in(client, make_staff(REVIEWER))

        page = text_of(client.get(FRONT))

    assert page.index("1 year held for decisions, since 4 November 2026 (28 days).") < \
        page.index("1 entry waits for a decision.")
