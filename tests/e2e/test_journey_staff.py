"""Staff's day begins in real Chromium, at 1,280 and 390 px, with axe-core and the sideways
check on every page: a reviewer's first sign-in (two-factor set-up, then on to the admin), a
returning reviewer's sign-in, and a Board member's front page."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.roles import BOARD, REVIEWER
from appeals.enums import AppealState
from appeals.models import Appeal, BoardMeeting
from appeals.services import file_appeal
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import reject_entry
from submissions.services import EntryDetails, log_entry
from tests.e2e.checks import SIZES
from tests.factories import PASSWORD, CertificationFactory, EntryFactory, activity, title
from tests.staff import make_staff, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def waiting_book(holder: User, today: date) -> None:
    log_entry(holder=holder, today=today, details=EntryDetails.from_data({
        "activity_type": activity("read-books"), "activity_date": today - timedelta(days=5),
        "title": "Security Engineering", "quantity": Decimal(250),
        "relevance_confirmed": True}))


def sign_in_with_password(page: Page, url: str, user: User) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)


@SIZES
def test_reviewer_first_sign_in_sets_up_two_factor_and_continues_to_the_admin(
        sized_page: Page, live_server, checks, shoot, make_holder, today, viewport):
    page = sized_page
    waiting_book(make_holder("ISP", days_ago=100), today)
    reviewer = make_staff(REVIEWER, totp=False, full_name="Rita Reviewer")

    # The sign-in, then straight to the set-up: the password is asked once.
    sign_in_with_password(page, f"{live_server.url}/accounts/login/", reviewer)
    checks(page)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    expect(page.get_by_text("Staff need two-factor authentication")).to_be_visible()
    checks(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    # The recovery codes lead on to the admin's front page, which shows what waits.
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    checks(page)
    page.get_by_role("link", name="Continue to the admin").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="What waits for review")).to_be_visible()
    expect(page.get_by_text("1 entry waits for a decision.")).to_be_visible()
    checks(page)
    shoot(page, f"journey-staff-first-sign-in-{viewport['width']}.png")

    assert reviewer.authenticator_set.filter(type="totp").count() == 1
    checks.assert_clean()


@SIZES
def test_returning_reviewer_signs_in_to_the_admin(
        sized_page: Page, live_server, checks, shoot, make_holder, today, viewport):
    page = sized_page
    waiting_book(make_holder("ISP", days_ago=100), today)
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")

    sign_in_with_password(page, f"{live_server.url}/accounts/login/", reviewer)
    page.get_by_role("button", name="Sign In").click()
    page.locator("input[name=code]").fill(totp_code())
    checks(page)
    page.locator("input[name=code]").press("Enter")

    # Not the holder dashboard: the admin's front page with the queue.
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_text("1 entry waits for a decision.")).to_be_visible()
    checks(page)
    page.get_by_role("link", name="Open the review queue").click()
    expect(page.get_by_role("link", name="Security Engineering")).to_be_visible()
    checks(page)
    shoot(page, f"journey-staff-returning-sign-in-{viewport['width']}.png")
    checks.assert_clean()


def appeal_of(name: str, today: date) -> Appeal:
    """`name`'s appeal of a rejected course, filed today."""
    entry = EntryFactory(holder__full_name=name, activity_date=today - timedelta(days=10),
                         title=f"{name}'s course", state=EntryState.PENDING_APPROVAL)
    CertificationFactory(holder=entry.holder, title=title("ISP"),
                         awarded_on=today - timedelta(days=200))
    ensure_certification_years(today=today)
    reject_entry(entry=entry, by=make_staff(REVIEWER), reason="Not relevant", today=today)
    denial = Denial.objects.get(entry=entry, kind=DenialKind.ENTRY_REJECTED)
    return file_appeal(denial=denial, by=entry.holder, today=today,
                       rationale="It was about security.")


@SIZES
def test_board_member_front_page_shows_appeals_by_meeting_date(
        sized_page: Page, live_server, checks, shoot, sign_in_staff, today, viewport):
    page = sized_page
    BoardMeeting.objects.create(meets_on=today + timedelta(days=40), location="Utrecht")
    later = appeal_of("Maya Later", today)
    BoardMeeting.objects.create(meets_on=today + timedelta(days=14), location="Online")
    sooner = appeal_of("Sam Sooner", today)
    assert later.state == sooner.state == AppealState.SCHEDULED
    board = make_staff(BOARD, full_name="Bea Board")

    sign_in_staff(page, board, "/admin/")

    agendas = page.locator(".agenda h3")
    expect(agendas).to_have_count(2)
    expect(agendas.first).to_contain_text("Online")
    expect(agendas.last).to_contain_text("Utrecht")
    expect(page.locator(".agenda").first.get_by_role("link", name="Sam Sooner")).to_be_visible()
    assert page.get_by_role("link", name="Open the review queue").count() == 0
    assert page.get_by_role("link", name="Add a Board meeting").count() == 0
    assert page.get_by_role("link", name="Entries", exact=True).count() == 0
    checks(page)
    shoot(page, f"journey-board-front-page-{viewport['width']}.png")

    # A page outside the Board's role answers in the admin's look, with the way back.
    page.goto(f"{live_server.url}/admin/appeals/boardmeeting/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This page is not part of your role")
    checks(page)
    page.get_by_role("link", name="Back to the admin's front page").click()
    expect(page.locator(".agenda")).to_have_count(2)

    page.locator(".agenda").first.get_by_role("link", name="Sam Sooner").click()
    expect(page).to_have_url(re.compile(rf"/admin/appeals/appeal/{sooner.pk}/change/$"))
    checks.assert_clean()
