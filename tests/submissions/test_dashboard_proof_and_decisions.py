"""What the holder's dashboard and entry page say about proof a reviewer asked for, the decisions
still open to appeal or under appeal, a certification the Board reinstated, and the units of
what counted."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import BOARD, REVIEWER
from appeals.services import decide_appeal, file_appeal
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import reject_entry, request_proof
from submissions.services import EntryDetails, attach_proof, log_entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title
from tests.staff import make_staff
from yearend.closing import close_certification_years

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]
TODAY = date(2025, 6, 1)
DUE = date(2025, 6, 16)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def text_of(html: str) -> str:
    """The page's main content as a reader reads it: tags gone, spaces collapsed."""
    html = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def text(response) -> str:
    return text_of(response.content.decode())


def log_book(holder, pages: int = 250, title_: str = "Security Engineering"):
    """A book (needs approval: pending until a reviewer decides)."""
    return log_entry(holder=holder, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("read-books"), "activity_date": date(2025, 3, 1),
        "title": title_, "quantity": Decimal(pages), "relevance_confirmed": True}))


def log_course(holder, hours: str = "3", title_: str = "Incident response course"):
    return log_entry(holder=holder, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": date(2025, 5, 1),
        "title": title_, "hours": Decimal(hours), "relevance_confirmed": True}))


@pytest.fixture
def owed(practitioner):
    """A 3-credit course a reviewer asked proof for, due 16 June 2025; and a 2.50-credit book
    waiting for a reviewer."""
    log_book(practitioner.holder)
    course = log_course(practitioner.holder)
    return request_proof(entry=course, by=make_staff(REVIEWER), today=TODAY, due_on=DUE)


def test_dashboard_keeps_credits_owed_proof_apart_from_those_awaiting_review(client, owed):
    client.force_login(owed.holder)

    page = text(client.get(reverse("home")))

    assert "2.50 credits awaiting review" in page
    assert "5.50 credits awaiting review" not in page
    assert "3.00 credits wait for your proof" in page
    assert ("“Incident response course”: 3.00 credits wait for your proof, due by 16 June "
            "2025.") in page


def test_dashboard_links_straight_to_the_upload_form(client, owed):
    client.force_login(owed.holder)

    html = client.get(reverse("home")).content.decode()
    entry_page = client.get(reverse("submissions:entry_detail", args=[owed.pk])).content.decode()

    link = reverse("submissions:entry_detail", args=[owed.pk]) + "#upload-proof"
    assert f'href="{link}"' in html
    assert 'id="upload-proof"' in entry_page


def test_dashboard_stops_asking_for_proof_once_it_is_sent(client, owed):
    client.force_login(owed.holder)
    assert "wait for your proof" in text(client.get(reverse("home")))

    attach_proof(entry=owed, upload=SimpleUploadedFile("cert.pdf", PDF), by=owed.holder)

    page = text(client.get(reverse("home")))
    assert "wait for your proof" not in page
    assert "5.50 credits awaiting review" in page


def test_entry_page_gives_the_proof_due_date_and_never_calls_proof_optional(client, owed):
    client.force_login(owed.holder)

    page = text(client.get(reverse("submissions:entry_detail", args=[owed.pk])))

    assert "A reviewer asked for proof of this activity, due by 16 June 2025" in page
    assert "upload it by 16 June 2025" in page
    assert "Proof is optional" not in page


def test_entry_page_without_a_request_still_says_proof_is_optional(client, practitioner):
    entry = log_course(practitioner.holder)
    client.force_login(practitioner.holder)

    page = text(client.get(reverse("submissions:entry_detail", args=[entry.pk])))

    assert "Proof is optional" in page
    assert "A reviewer asked" not in page


def test_main_navigation_leads_to_decisions(client, practitioner):
    client.force_login(practitioner.holder)

    html = client.get(reverse("submissions:entry_list")).content.decode()

    assert f'<a class="nav-link" href="{reverse("appeals:denial_list")}">Decisions</a>' in html


@pytest.fixture
def rejected(practitioner):
    entry = log_course(practitioner.holder, title_="Cloud course")
    reject_entry(entry=entry, by=make_staff(REVIEWER), reason="Not relevant", today=TODAY)
    return Denial.objects.get(entry=entry)


def test_dashboard_lists_a_decision_still_open_to_appeal(client, rejected):
    client.force_login(rejected.holder)

    html = client.get(reverse("home")).content.decode()

    assert "Decisions and appeals" in html
    assert reverse("appeals:denial_detail", args=[rejected.pk]) in html
    assert "Appeal until 30 August 2025" in text(client.get(reverse("home")))


def test_dashboard_shows_the_appeal_the_filed_mail_promises(client, rejected):
    file_appeal(denial=rejected, by=rejected.holder, today=TODAY,
                rationale="It was relevant to my field.")
    client.force_login(rejected.holder)

    page = text(client.get(reverse("home")))

    assert "Entry rejected: “Cloud course” Decided on 1 June 2025" in page
    assert "Appeal filed — awaiting a meeting date" in page


def dashboard_on(client, holder, moment: str) -> str:
    with time_machine.travel(moment, tick=False):
        client.force_login(holder)
        return text(client.get(reverse("home")))


def test_dashboard_drops_a_decision_once_its_window_closed(client, rejected):
    assert "Appeal until 30 August 2025" in dashboard_on(client, rejected.holder,
                                                         "2025-08-30 10:00 +02:00")
    page = dashboard_on(client, rejected.holder, "2025-08-31 10:00 +02:00")
    assert "Welcome" in page
    assert "Decisions and appeals" not in page


def test_dashboard_shows_a_decided_appeal_for_a_month(client, rejected):
    appeal = file_appeal(denial=rejected, by=rejected.holder, today=TODAY,
                         rationale="It was relevant to my field.")
    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=False, reason="Not relevant.")

    assert "Appeal dismissed on 1 June 2025" in dashboard_on(client, rejected.holder,
                                                             "2025-07-01 10:00 +02:00")
    page = dashboard_on(client, rejected.holder, "2025-07-02 10:00 +02:00")
    assert "Welcome" in page
    assert "Decisions and appeals" not in page


def test_reinstated_certification_card_says_so_and_when(client):
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 1), certifications=[certification])
    with time_machine.travel("2025-03-31 10:00 +02:00", tick=False):
        close_certification_years(today=date(2025, 3, 31))
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED)
    appeal = file_appeal(denial=denial, by=denial.holder, today=TODAY,
                         rationale="Credits were lost in the old system.")
    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True,
                  reason="Credits were lost in the old system.")
    client.force_login(certification.holder)

    html = client.get(reverse("home")).content.decode()

    assert "Reinstated on 1 June 2025 by the Board\u2019s decision." in text_of(html)
    assert "you may use the title again" in text_of(html)
    assert 'class="status status-decertified"' not in html


def test_counted_by_activity_and_caps_carry_their_unit(client, practitioner):
    holder = practitioner.holder
    EntryFactory(holder=holder, activity_type=activity("read-books"), quantity=Decimal(250),
                 hours=None, claimed_credits=Decimal("2.50"), state=EntryState.APPROVED,
                 activity_date=date(2025, 3, 1))
    EntryFactory(holder=holder, activity_type=activity("other-course"), hours=Decimal(5),
                 claimed_credits=Decimal(5), activity_date=date(2025, 3, 2))
    client.force_login(holder)

    response = client.get(reverse("home"))
    page = text(response)

    assert "Read books: used 2.50 of 5.00 credits" in page
    # The activity's whole name beside its bar, never cut to fit.
    assert ('<span class="chart-label">Other course relevant to the field</span>'
            in response.content.decode())
    assert re.search(r"\b5\.00 credits\b", page.split("Counted by activity")[1])
    assert "2.50 credits" in page.split("Counted by activity")[1]


def _holder_owing(count: int):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    reviewer = make_staff(REVIEWER)
    for i in range(count):
        entry = log_course(holder, hours="1", title_=f"Course {i}")
        request_proof(entry=entry, by=reviewer, today=TODAY, due_on=DUE, notify=False)
        rejected = log_course(holder, hours="1", title_=f"Rejected {i}")
        reject_entry(entry=rejected, by=reviewer, reason="Not relevant", today=TODAY)
    return holder


def test_dashboard_queries_do_not_grow_with_proof_owed_and_decisions(client):
    counts = []
    for size in (1, 12):
        client.force_login(_holder_owing(size))
        with CaptureQueriesContext(connection) as captured:
            page = text(client.get(reverse("home")))
        # The ten due soonest are listed; the entry list has the rest.
        assert page.count("wait for your proof, due by") == min(size, 10)
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert ("2 more activities wait for your proof: see your activities with proof requested"
            in page)


def test_the_proof_owed_beyond_the_ten_listed_are_one_click_away(client):
    holder = _holder_owing(11)
    client.force_login(holder)

    html = client.get(reverse("home")).content.decode()
    listed = client.get(reverse("submissions:entry_list") + "?state=proof_requested")

    link = (f'<a href="{reverse("submissions:entry_list")}?state=proof_requested">1 more '
            "activity waits for your proof: see your activities with proof requested</a>")
    assert link in html
    assert text(listed).count("proof requested") >= 11


def test_entry_page_of_sent_proof_says_it_arrived(client, owed):
    attach_proof(entry=owed, upload=SimpleUploadedFile("cert.pdf", PDF), by=owed.holder)
    client.force_login(owed.holder)

    page = text(client.get(reverse("submissions:entry_detail", args=[owed.pk])))

    assert "your proof arrived on 1 June 2025" in page
    assert "due by" not in page



def test_a_held_year_says_which_of_its_undecided_credits_wait_for_proof(client, practitioner):
    # Year 1 (2024) is past its deadline short of its requirement, held for its one entry.
    entry = EntryFactory(holder=practitioner.holder, activity_type=activity("other-course"),
                         hours=Decimal(20), claimed_credits=Decimal(20),
                         activity_date=date(2024, 6, 1), reported_on=date(2024, 6, 2),
                         state=EntryState.PENDING_APPROVAL)
    request_proof(entry=entry, by=make_staff(REVIEWER), today=TODAY, due_on=DUE)
    client.force_login(practitioner.holder)

    page = text(client.get(reverse("home")))

    assert ("20.00 credits from that year still await a reviewer’s decision"
            in page)
    assert "Of these, 20.00 credits wait for your proof." in page
