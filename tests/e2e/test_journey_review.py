"""A reviewer's day at the review panel, in real Chromium at 1,280 and 390 px: the review of a
capped entry says how much would count in each year once approved and which cap stops the rest,
with the amount as the holder entered it; an adjustment sent without a reason keeps the credits
typed and says what is missing; bulk approve asks for confirmation, listing what it approves.
Every page passes axe-core and does not scroll sideways; the decision buttons are touch targets
of at least 44 px."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.roles import REVIEWER
from submissions.enums import EntryState
from submissions.models import Entry, appeal_until
from submissions.review import approve_entry
from submissions.services import EntryDetails, log_entry
from tests.e2e.checks import SIZES, PageChecks
from tests.factories import activity
from tests.staff import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUEUE = "/admin/submissions/entry/"
RSQ = "\u2019"


def log(holder, today, code: str, title: str, days_ago: int, **amount) -> Entry:
    return log_entry(holder=holder, today=today, details=EntryDetails.from_data({
        "activity_type": activity(code), "activity_date": today - timedelta(days=days_ago),
        "title": title, "relevance_confirmed": True, **amount}))


def decision_buttons_are_touch_targets(page: Page) -> None:
    for button in page.locator(".review-panel button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, button.inner_text()


@SIZES
def test_review_of_capped_entries_says_what_counts_and_which_cap_stops_the_rest(
        sized_page: Page, live_server, make_holder, today, sign_in_staff, checks: PageChecks,
        shoot, viewport):
    page = sized_page
    holder = make_holder("ISP", days_ago=100, full_name="Bo Holder")
    # 6 questions against the cap of 5; a 320-page book with 2.50 of the books' cap of 5 used.
    questions = log(holder, today, "exam-questions", "Item bank for the ISP exam", 20,
                    quantity=Decimal(6))
    read = log(holder, today, "read-books", "The Phoenix Project", 30, quantity=Decimal(250))
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")
    approve_entry(entry=read, by=reviewer, today=today)
    book = log(holder, today, "read-books", "Security Engineering", 10, quantity=Decimal(320))

    sign_in_staff(page, reviewer, QUEUE)
    checks(page)
    page.get_by_role("link", name="Item bank for the ISP exam").click()
    panel = page.locator(".review-panel")
    expect(panel).to_contain_text("Create exam questions or exercises: 6 questions or exercises, "
                                  "6.00 credits claimed.")
    expect(panel).to_contain_text(f"Once approved, 5.00 of this entry{RSQ}s 6.00 credits count "
                                  f"here. The activity{RSQ}s annual cap of 5 credits stops "
                                  "1.00 credits.")
    expect(panel).to_contain_text("Status: In progress, on track")
    expect(panel).to_contain_text("days left")
    decision_buttons_are_touch_targets(page)
    checks(page)
    shoot(page, f"review-capped-questions-{viewport['width']}.png")

    page.goto(f"{live_server.url}{QUEUE}{book.pk}/change/")
    expect(panel).to_contain_text("Read books: 320 pages, 3.20 credits claimed.")
    expect(panel).to_contain_text(f"Once approved, 2.50 of this entry{RSQ}s 3.20 credits count "
                                  f"here. The activity{RSQ}s annual cap of 5 credits stops "
                                  "0.70 credits.")
    checks(page)
    assert questions.state == EntryState.PENDING_APPROVAL
    checks.assert_clean()


@SIZES
def test_adjust_without_a_reason_keeps_the_credits_then_adjusts_with_one(
        sized_page: Page, live_server, make_holder, today, sign_in_staff, checks: PageChecks,
        shoot, viewport):
    page = sized_page
    holder = make_holder("ISP", days_ago=100, full_name="Bo Holder")
    book = log(holder, today, "read-books", "Security Engineering", 10, quantity=Decimal(400))
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")

    sign_in_staff(page, reviewer, f"{QUEUE}{book.pk}/change/")
    checks(page)
    page.get_by_label("Credits to approve").fill("3")
    page.get_by_role("button", name="Approve with these credits").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was decided.")
    expect(page.get_by_text("Say why the value is adjusted: the holder reads it and may "
                            "appeal it.")).to_be_visible()
    expect(page.get_by_label("Credits to approve")).to_have_value("3")
    decision_buttons_are_touch_targets(page)
    checks(page)
    shoot(page, f"review-adjust-refused-{viewport['width']}.png")

    page.get_by_label("Reason (the holder reads it)").fill(
        "Chapter 9 is about project management, not security.")
    page.get_by_role("button", name="Approve with these credits").click()
    until = date_format(appeal_until(today))
    expect(page.get_by_text(f"“Security Engineering” approved at 3.00 of 4.00 credits; the "
                            f"holder may appeal the difference until {until}.")).to_be_visible()
    checks(page)
    book.refresh_from_db()
    assert (book.state, book.approved_credits) == (EntryState.APPROVED, Decimal("3.00"))
    checks.assert_clean()


@SIZES
def test_bulk_approve_lists_what_it_approves_before_approving(
        sized_page: Page, live_server, make_holder, today, sign_in_staff, checks: PageChecks,
        shoot, viewport):
    page = sized_page
    holder = make_holder("ISP", days_ago=100, full_name="Bo Holder")
    books = [log(holder, today, "read-books", title, days, quantity=Decimal(pages))
             for title, days, pages in (("Security Engineering", 12, 150),
                                        ("The Phoenix Project", 10, 200))]
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")

    sign_in_staff(page, reviewer, QUEUE)
    checks(page)
    for book in books:
        page.locator(f"input[name=_selected_action][value='{book.pk}']").check()
    page.locator("select[name=action]").select_option("approve_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Approve entries")).to_be_visible()
    expect(page.get_by_text("This applies to 2 entries:")).to_be_visible()
    rows = page.locator(".bulk-decision tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Read books: 150 pages")
    assert set(Entry.objects.values_list("state", flat=True)) == {EntryState.PENDING_APPROVAL}
    checks(page)
    shoot(page, f"review-bulk-approve-{viewport['width']}.png")

    page.get_by_role("button", name="Approve entries").click()
    expect(page.get_by_text("2 entries approved at the credits claimed; each holder is told "
                            "by mail.")).to_be_visible()
    checks(page)
    assert set(Entry.objects.values_list("state", flat=True)) == {EntryState.APPROVED}
    checks.assert_clean()
