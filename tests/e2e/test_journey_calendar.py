"""A holder's calendar address in Chromium, at 1,280 and 390 px: from Account to the Calendar
section, create the address, copy it, read the feed at it, reset it (the old address answers
404). Every page passes axe-core and does not scroll sideways."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import SIZES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@SIZES
def test_holder_creates_copies_and_resets_the_calendar_address(
        sized_page: Page, context, checks, make_holder, sign_in, live_server, shoot, viewport):
    page = sized_page
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    holder = make_holder("ISP", full_name="Cleo Calendar")

    sign_in(page, holder.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    page.get_by_role("navigation", name="Account settings").get_by_role(
        "link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your CPE calendar")
    checks(page)

    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.get_by_text("Your calendar address is ready")).to_be_visible()
    field = page.get_by_role("textbox", name="Calendar address")
    address = field.input_value()
    assert address.startswith(f"{live_server.url}/calendar/") and address.endswith(".ics")
    checks(page)
    shoot(page, f"holder-calendar-{viewport['width']}.png")

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    feed = page.request.get(address)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "BEGIN:VCALENDAR" in feed.text()

    page.get_by_role("button", name="Reset the address").click()
    expect(page.get_by_text("Your calendar has a new address")).to_be_visible()
    renewed = page.get_by_role("textbox", name="Calendar address").input_value()
    assert renewed != address
    assert page.request.get(address).status == 404
    assert page.request.get(renewed).status == 200
    checks(page)
    checks.assert_clean()
