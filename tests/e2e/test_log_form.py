"""The log form in the browser: it fits the chosen activity without moving under the holder's
eyes, and on a phone what the activity earns stays beside the button that saves it."""

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

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


# The layout shifts of the page so far (buffered), leaving out those right after the holder's
# own input, which the holder expects: Cumulative Layout Shift as browsers measure it.
LAYOUT_SHIFT = """() => new Promise(resolve => {
  new PerformanceObserver((list, observer) => {
    observer.disconnect();
    resolve(list.getEntries().filter(e => !e.hadRecentInput).map(e => ({
      value: e.value,
      moved: e.sources.map(s => s.node ? (s.node.id || s.node.className || s.node.nodeName) : "?"),
    })));
  }).observe({type: "layout-shift", buffered: true});
  // With no shift at all the observer is never called.
  setTimeout(() => resolve([]), 500);
})"""


def layout_shifts(page: Page) -> list[dict]:
    return page.evaluate(LAYOUT_SHIFT)


def total(shifts: list[dict]) -> float:
    return sum(shift["value"] for shift in shifts)


def slow_log_form_script(page: Page) -> None:
    """Serve the log form's script late, as on a slow phone network: the page is painted
    before it runs."""

    def late(route: Route) -> None:
        time.sleep(0.8)
        route.continue_()

    page.route("**/static/js/log-entry.js", late)


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


def test_log_form_on_a_phone_does_not_move_while_it_loads(
    phone: Page, live_server, make_holder, sign_in
) -> None:
    # Arrange
    holder = make_holder("ISP")
    sign_in(phone, holder.email)

    slow_log_form_script(phone)

    # Act: open the form and let its script run.
    phone.goto(f"{live_server.url}/entries/new/")
    phone.wait_for_load_state("networkidle")

    # Assert
    shifts = layout_shifts(phone)
    assert total(shifts) < 0.1, shifts

    # Act: choose an activity with the keyboard, as a holder does, and let the preview come.
    phone.locator("select[name=activity_type]").focus()
    with phone.expect_response("**/entries/preview/"):
        phone.keyboard.press("ArrowDown")
    expect(phone.get_by_label("Length of the session (minutes)")).to_be_visible()

    # Assert
    shifts = layout_shifts(phone)
    assert total(shifts) < 0.1, shifts


def test_log_form_editing_on_a_phone_does_not_move_while_it_loads(
    phone: Page, live_server, make_holder, log_webinar, sign_in
) -> None:
    # Arrange: the edit form comes with its activity chosen.
    holder = make_holder("ISP")
    entry = log_webinar(holder)
    sign_in(phone, holder.email)
    slow_log_form_script(phone)

    # Act
    phone.goto(f"{live_server.url}/entries/{entry.pk}/edit/")
    phone.wait_for_load_state("networkidle")
    expect(phone.locator("#save-summary")).to_have_text("Earns 1.50 credits")

    # Assert: nothing moved at all.
    shifts = layout_shifts(phone)
    assert total(shifts) < 0.01, shifts
    expect(phone.get_by_label("Hours", exact=True)).to_be_hidden()
