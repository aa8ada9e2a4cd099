"""An appeal in real Chromium: a decertified holder files one from the dashboard, sees it await a
meeting, sees it scheduled once an administrator adds a meeting in the admin, and sees the
decision once a Board member records it there; the badge follows."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import ADMINISTRATOR, BOARD
from appeals.models import Appeal
from certifications.models import Certification
from tests.factories import PASSWORD
from tests.staff import make_staff, totp_code
from yearend.closing import close_certification_years

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def staff_signs_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("Email").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.locator("input[name=code]").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_decertified_holder_appeals_and_the_board_reinstates(
        page: Page, new_context, live_server, make_holder, sign_in, today, mailoutbox):
    # Arrange: year 1 of an ISP ended 35 days ago with nothing logged; the close decertified it.
    holder = make_holder("ISP", days_ago=400, full_name="Ada Appellant")
    close_certification_years(today=today)
    certification = Certification.objects.get(holder=holder)
    assert certification.status == "decertified"
    base = live_server.url
    meeting_day = today + timedelta(days=14)

    # Act and assert, as the holder: the dashboard leads to the appeal form.
    sign_in(page, holder.email)
    expect(page.get_by_text("Decertified", exact=True)).to_be_visible()
    page.get_by_role("link", name="Appeal this decision").click()
    page.get_by_label("Why the decision is wrong").fill(
        "My employer's training records were not transferred in time.")
    page.get_by_role("button", name="File the appeal").click()
    expect(page.get_by_text("Your appeal is filed.")).to_be_visible()
    expect(page.get_by_text("Appeal filed — awaiting a meeting date")).to_be_visible()

    # An administrator adds a Board meeting in the admin.
    admin_page = new_context().new_page()
    staff_signs_in(admin_page, base, make_staff(ADMINISTRATOR).email)
    admin_page.goto(f"{base}/admin/appeals/boardmeeting/add/")
    admin_page.locator("input[name=meets_on]").fill(meeting_day.isoformat())
    admin_page.locator("input[name=location]").fill("Utrecht")
    admin_page.get_by_role("button", name="Save", exact=True).click()
    expect(admin_page.get_by_text("took 1 waiting appeal onto its agenda")).to_be_visible()

    page.reload()
    expect(page.get_by_text(f"Appeal on the Board's agenda of "
                            f"{meeting_day:%-d %B %Y}")).to_be_visible()

    # A Board member records the decision on the appeal's page.
    board_page = new_context().new_page()
    staff_signs_in(board_page, base, make_staff(BOARD).email)
    appeal = Appeal.objects.get()
    board_page.goto(f"{base}/admin/appeals/appeal/{appeal.pk}/change/")
    board_page.get_by_label("Upheld: reverse the decision").check()
    board_page.get_by_label("The Board's reasons").fill("The records show the credits.")
    board_page.get_by_role("button", name="Continue to confirmation").click()
    board_page.get_by_role("button", name="Record the decision").click()
    expect(board_page.get_by_text("The appeal is upheld")).to_be_visible()

    # The holder sees the decision, and the badge is active again.
    page.reload()
    expect(page.get_by_role("heading", name="The Board upheld your appeal")).to_be_visible()
    expect(page.get_by_text("The records show the credits.")).to_be_visible()
    page.goto(f"{base}/verify/{certification.badge_id}/")
    expect(page.locator(".badge-status")).to_contain_text("Active")
    expect(page.locator(".badge-status")).not_to_contain_text("Revoked")
    # Its credential's bit is cleared in the status list again.
    expect(page.locator(".credential-check")).to_contain_text("Verifies: signed by")
    subjects = sorted(m.subject for m in mailoutbox if m.to == [holder.email])
    assert "Your appeal is upheld" in subjects
    assert "Your appeal is filed" in subjects
