"""The Board's day in real Chromium, at 1,280 and 390 px: a Board member opens an appeal of an
adjusted entry and one of a decertification, reads the decision under appeal and what it is
about, and records each decision through its confirmation (one before the meeting date, with
the warning); an administrator adds Board meetings and reads how many waiting appeals each took,
and why none when none."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER
from appeals.enums import AppealState
from appeals.models import Appeal, BoardMeeting
from appeals.services import file_appeal
from certifications.models import Certification
from submissions.enums import DenialKind
from submissions.models import Denial
from submissions.review import adjust_entry
from submissions.services import EntryDetails, attach_proof, log_entry
from tests.e2e.checks import SIZES
from tests.factories import activity, pdf_bytes
from tests.staff import make_staff
from yearend.closing import close_certification_years

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def size_name(page: Page) -> str:
    return str(page.viewport_size["width"])


def decide(page: Page, *, upheld: bool, reason: str) -> None:
    page.get_by_label("Upheld: reverse the decision" if upheld
                      else "Dismissed: the decision stands").check()
    page.get_by_label("The Board's reasons").fill(reason)


@SIZES
def test_a_board_member_upholds_an_entry_appeal_before_the_meeting(
        sized_page: Page, checks, shoot, sign_in_staff, make_holder, today):
    # Arrange: a 250-page book with proof, adjusted from 2.50 to 1 credit; the holder appealed
    # today and the appeal is on the agenda of the meeting in 14 days.
    holder = make_holder("ISP", full_name="Bea Bookworm")
    entry = log_entry(holder=holder, today=today, details=EntryDetails.from_data({
        "activity_type": activity("read-books"), "activity_date": today - timedelta(days=20),
        "title": "Threat Modeling: Designing for Security", "quantity": Decimal("250"),
        "relevance_confirmed": True}))
    attach_proof(entry=entry, by=holder, upload=SimpleUploadedFile(
        "receipt.pdf", pdf_bytes(), content_type="application/pdf"))
    adjust_entry(entry=entry, by=make_staff(REVIEWER), credits=Decimal("1"), today=today,
                 reason="Only the first chapters are about security.")
    meeting = BoardMeeting.objects.create(meets_on=today + timedelta(days=14), location="Utrecht")
    appeal = file_appeal(denial=Denial.objects.get(entry=entry), by=holder, today=today,
                         rationale="Every chapter of the book is about threat modelling.")
    assert appeal.meeting == meeting
    page = sized_page

    # Act and assert: the appeal's page says what was decided, why, and about what.
    sign_in_staff(page, make_staff(BOARD), f"/admin/appeals/appeal/{appeal.pk}/change/")
    checks(page)
    denial = page.locator("section", has=page.get_by_role("heading",
                                                          name="The decision under appeal"))
    expect(denial).to_contain_text("Credit value adjusted")
    expect(denial).to_contain_text("Only the first chapters are about security.")
    expect(page.locator("section", has=page.get_by_role("heading", name="The appeal", exact=True))
           ).to_contain_text("in 14 days")
    about = page.locator("section", has=page.get_by_role("heading", name="The entry"))
    expect(about).to_contain_text("250 pages")
    expect(about).to_contain_text("2.50 credits")
    expect(about).to_contain_text("1.00 credits (adjusted)")
    expect(about.get_by_role("link", name="receipt.pdf")).to_be_visible()
    shoot(page, f"board-entry-appeal-{size_name(page)}.png")

    decide(page, upheld=True, reason="The table of contents shows the whole book counts.")
    page.get_by_label("Credits to count").fill("2.50")
    page.get_by_role("button", name="Continue to confirmation").click()
    checks(page)
    expect(page.get_by_role("heading", name="Confirm the Board's decision")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("You are deciding it before that meeting")
    expect(page.get_by_text("counts at 2.50 credits instead of the 1.00 approved")).to_be_visible()
    shoot(page, f"board-confirm-before-meeting-{size_name(page)}.png")
    page.get_by_role("button", name="Record the decision").click()
    checks(page)
    expect(page.get_by_text("The appeal is upheld; the holder is told by mail. Recorded as "
                            "decided before its Board meeting of")).to_be_visible()
    appeal.refresh_from_db()
    entry.refresh_from_db()
    assert (appeal.state, appeal.decided_before_meeting) == (AppealState.UPHELD, True)
    assert entry.approved_credits is None
    checks.assert_clean()


@SIZES
def test_a_board_member_dismisses_a_decertification_appeal_at_its_meeting(
        sized_page: Page, checks, shoot, sign_in_staff, make_holder, today):
    # Arrange: year 1 of an ISP ended 55 days ago with nothing logged; the close ten days ago
    # decertified it; the holder appealed that day, for today's meeting.
    holder = make_holder("ISP", days_ago=420, full_name="Dirk Decertified")
    BoardMeeting.objects.create(meets_on=today, location="Utrecht")
    ten_days_ago = today - timedelta(days=10)
    with time_machine.travel(f"{ten_days_ago.isoformat()} 12:00 +01:00", tick=False):
        close_certification_years(today=ten_days_ago)
        appeal = file_appeal(denial=Denial.objects.get(kind=DenialKind.DECERTIFIED),
                             by=holder, today=ten_days_ago,
                             rationale="I was on medical leave for most of the year.")
    assert appeal.state == AppealState.SCHEDULED
    page = sized_page

    # Act and assert: the year, its requirement and what the close counted; no credits asked.
    sign_in_staff(page, make_staff(BOARD), f"/admin/appeals/appeal/{appeal.pk}/change/")
    checks(page)
    year = page.locator("section", has=page.get_by_role("heading",
                                                        name="the year the close decided"))
    expect(year).to_contain_text("Year 1")
    expect(year).to_contain_text("20.00 credits")
    expect(year).to_contain_text("Closed as not met")
    expect(page.get_by_label("Credits to count")).to_have_count(0)
    shoot(page, f"board-decertification-appeal-{size_name(page)}.png")

    decide(page, upheld=False, reason="No evidence of the leave was given.")
    page.get_by_role("button", name="Continue to confirmation").click()
    checks(page)
    expect(page.get_by_text("Nothing changes for the holder's record")).to_be_visible()
    expect(page.get_by_role("note")).to_have_count(0)
    page.get_by_role("button", name="Record the decision").click()
    checks(page)
    expect(page.get_by_text("The appeal is dismissed; the holder is told by mail.")).to_be_visible()
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decided_before_meeting) == (AppealState.DISMISSED, False)
    assert Certification.objects.get(holder=holder).status == "decertified"
    checks.assert_clean()


@SIZES
def test_an_administrator_adds_meetings_and_reads_what_each_took(
        sized_page: Page, checks, shoot, sign_in_staff, make_holder, today):
    # Arrange: a decertified holder appealed today; no meeting yet.
    holder = make_holder("ISP", days_ago=400)
    close_certification_years(today=today)
    appeal = file_appeal(denial=Denial.objects.get(kind=DenialKind.DECERTIFIED), by=holder,
                         today=today, rationale="My records were not transferred in time.")
    page = sized_page
    sign_in_staff(page, make_staff(ADMINISTRATOR), "/admin/appeals/boardmeeting/add/")
    checks(page)

    # Act and assert: a meeting in three days is too soon for it, and says so.
    too_soon = today + timedelta(days=3)
    page.locator("input[name=meets_on]").fill(too_soon.isoformat())
    page.get_by_role("button", name="Save and add another").click()
    checks(page)
    message = page.locator(".messagelist")
    expect(message).to_contain_text("took no appeal")
    expect(message).to_contain_text("at least 7 days after it was filed (the preparation "
                                    "period)")
    expect(message).to_contain_text("1 appeal still waits for a meeting")
    shoot(page, f"board-meeting-none-taken-{size_name(page)}.png")

    # A meeting in three weeks takes it.
    page.locator("input[name=meets_on]").fill((today + timedelta(days=21)).isoformat())
    page.locator("input[name=location]").fill("Utrecht")
    page.get_by_role("button", name="Save", exact=True).click()
    checks(page)
    expect(page.locator(".messagelist")).to_contain_text(
        "took 1 waiting appeal onto its agenda; its holder is told by mail. No appeal is left "
        "waiting for a meeting.")
    appeal.refresh_from_db()
    assert appeal.meeting.meets_on == today + timedelta(days=21)
    assert Appeal.objects.filter(meeting__meets_on=too_soon).count() == 0
    checks.assert_clean()
