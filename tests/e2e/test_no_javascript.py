"""Without JavaScript there is no live preview: the log form shows what an activity earns on a
confirm step, before anything is saved."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, expect

from submissions.models import Entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WEBINAR = "Attend a webinar (SECO webinars included)"


def test_log_form_without_javascript_confirms_then_saves(
    new_context: Callable[..., BrowserContext], live_server, make_holder, sign_in, today
) -> None:
    # Arrange
    holder = make_holder("ISP")
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, holder.email)
    page.goto(f"{live_server.url}/entries/new/")
    select = page.locator("select[name=activity_type]")
    select.select_option(label=select.locator("option", has_text=WEBINAR).inner_text())
    page.get_by_label("Date of the activity").fill((today - timedelta(days=4)).isoformat())
    page.get_by_label("Length of the session (minutes)").fill("90")
    page.get_by_label("Minutes you attended").fill("90")
    page.locator("input[name=title]").fill("Incident response basics")
    page.get_by_label("This activity is relevant to my field").check()

    # Act: continue to the confirm step.
    page.get_by_role("button", name="Continue").click()

    # Assert: the preview, and nothing saved yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and save")
    expect(page.locator(".preview-credits")).to_have_text("1.50")
    assert Entry.objects.count() == 0

    # Act: save.
    page.get_by_role("button", name="Save", exact=True).click()

    # Assert
    expect(page.get_by_role("heading", level=1)).to_have_text("Incident response basics")
    entry = Entry.objects.get()
    assert (entry.holder, entry.claimed_credits) == (holder, Decimal("1.50"))
