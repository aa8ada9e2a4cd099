"""A reviewer's day in real Chromium: sign in with a password and a TOTP code, open the review
queue, approve one pending book entry and reject another with a reason; the holder's dashboard
and mail reflect both."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from submissions.enums import EntryState
from submissions.models import Entry
from submissions.services import EntryDetails, log_entry
from tests.factories import PASSWORD, activity
from tests.staff import make_staff, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]



def test_reviewer_signs_in_with_totp_approves_one_book_and_rejects_another(
        page: Page, new_context, live_server, make_holder, today, mailoutbox, shoot):
    # Arrange: a holder with two books waiting for approval, a reviewer with TOTP.
    holder = make_holder("ISP", days_ago=100, full_name="Bo Holder")
    books = {}
    for title, pages_read in (("Security Engineering", 250), ("The Phoenix Project", 300)):
        books[title] = log_entry(holder=holder, today=today, details=EntryDetails.from_data({
            "activity_type": activity("read-books"), "activity_date": today - timedelta(days=5),
            "title": title, "quantity": Decimal(pages_read), "relevance_confirmed": True}))
    reviewer = make_staff("Reviewer", full_name="Rita Reviewer")

    # Act: the admin sends the reviewer to the portal's sign-in, which asks for the code.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Email").fill(reviewer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.locator("input[name=code]").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("2 entries wait for a decision.")).to_be_visible()
    page.get_by_role("link", name="Open the review queue").click()
    page.set_viewport_size({"width": 1280, "height": 800})
    for column in ("Entry", "Holder", "Activity", "Date", "Credits", "State", "Proof",
                   "Logged"):
        header = page.locator("#result_list thead th").filter(has_text=column).first
        box = header.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, column
    shoot(page, "review-queue.png")

    page.get_by_role("link", name="Security Engineering").click()
    expect(page.get_by_role("heading", name="Where the holder stands")).to_be_visible()
    shoot(page, "review-entry.png")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("“Security Engineering” approved at 2.50 credits.")).to_be_visible()

    page.get_by_role("link", name="The Phoenix Project").click()
    page.get_by_label("Reason (the holder reads it)").fill("Not about information security.")
    page.get_by_role("button", name="Reject (reason required)").click()
    expect(page.get_by_text("“The Phoenix Project” rejected; the holder may appeal until")
           ).to_be_visible()

    # Assert: the entries, the holder's dashboard and mail.
    states = dict(Entry.objects.filter(holder=holder).values_list("title", "state"))
    assert states == {"Security Engineering": EntryState.APPROVED,
                      "The Phoenix Project": EntryState.REJECTED}
    subjects = sorted(m.subject for m in mailoutbox if m.to == [holder.email])
    assert subjects == ["Approved: “Security Engineering”",
                        "Not accepted: “The Phoenix Project”"]
    rejected = next(m for m in mailoutbox if m.subject.startswith("Not accepted"))
    assert "Not about information security." in rejected.body

    holder_page = new_context().new_page()
    holder_page.goto(f"{live_server.url}/accounts/login/")
    holder_page.get_by_label("Email").fill(holder.email)
    holder_page.locator("input[name=password]").fill(PASSWORD)
    holder_page.get_by_role("button", name="Sign In").click()
    expect(holder_page.locator(".certification-card .counted")).to_have_text("2.50")
    holder_page.goto(f"{live_server.url}/entries/{books['The Phoenix Project'].pk}/")
    expect(holder_page.get_by_text("Not about information security.")).to_be_visible()
