"""The log form in the browser: it fits the chosen activity without moving under the holder's
eyes, and on a phone what the activity earns stays beside the button that saves it."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BOOKS = "Read books"
PODCASTS = "Listen to podcasts"


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
