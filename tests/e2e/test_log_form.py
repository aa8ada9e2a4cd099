"""The log form in the browser: it fits the chosen activity without moving under the holder's
eyes, and on a phone what the activity earns stays beside the button that saves it."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .conftest import TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BOOKS = "Read books"
PODCASTS = "Listen to podcasts"
WEBINAR = "Attend a webinar (SECO webinars included)"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Page:
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def choose(page: Page, activity: str) -> None:
    select = page.locator("select[name=activity_type]")
    select.select_option(label=select.locator("option", has_text=activity).inner_text())


def test_log_form_labels_the_amount_with_the_chosen_activitys_unit(
    page: Page, live_server, make_holder, sign_in
) -> None:
    # Arrange
    holder = make_holder("ISP")
    sign_in(page, holder.email)
    page.goto(f"{live_server.url}/entries/new/")

    # Act / Assert: the label follows the activity.
    choose(page, BOOKS)
    expect(page.get_by_label("Pages read")).to_be_visible()
    choose(page, PODCASTS)
    expect(page.get_by_label("Hours of podcast")).to_be_visible()
    expect(page.get_by_label("Pages read")).to_have_count(0)


def test_log_form_on_a_phone_says_what_it_earns_beside_the_save_button(
    phone: Page, live_server, make_holder, sign_in, today, shoot
) -> None:
    # Arrange
    holder = make_holder("ISP")
    sign_in(phone, holder.email)
    phone.goto(f"{live_server.url}/entries/new/")
    summary = phone.locator("#save-summary")
    save = phone.get_by_role("button", name="Save", exact=True)

    # Assert: nothing to say before an activity is chosen.
    expect(summary).to_have_text("")
    assert summary.get_attribute("aria-live") == "polite"

    # Act: a webinar of 90 minutes, attended in full.
    choose(phone, WEBINAR)
    phone.get_by_label("Date of the activity").fill((today - timedelta(days=3)).isoformat())
    phone.get_by_label("Length of the session (minutes)").fill("90")
    phone.get_by_label("Minutes you attended").fill("90")

    # Assert: the server's verdict beside the button, on screen with it.
    expect(summary).to_have_text("Earns 1.50 credits")
    expect(save).to_have_accessible_description("Earns 1.50 credits")
    save.scroll_into_view_if_needed()
    button, said = save.bounding_box(), summary.bounding_box()
    assert button is not None and said is not None
    assert 0 <= said["x"] <= PHONE["width"] - said["width"]
    assert 0 <= said["y"] <= PHONE["height"] - said["height"]
    assert abs(said["y"] - button["y"]) < button["height"] * 2
    shoot(phone, "log-form-phone.png")

    # Act / Assert: attended too little, it cannot be logged.
    phone.get_by_label("Minutes you attended").fill("45")
    expect(summary).to_have_text("Cannot be logged yet")
