"""Signing up with a new address, and what a holder sees before there is anything to log."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User

from .conftest import link_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-Very-good-passw0rd"


def test_signup_new_email_confirms_and_shows_empty_dashboard(
    page: Page, live_server, mailoutbox
) -> None:
    # Arrange
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Full name").fill("Noor Bakker")
    page.get_by_label("Email").fill("noor@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)

    # Act: sign up, then follow the verification link from the mail.
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    [message] = mailoutbox
    page.goto(link_in(message.body, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()

    # Assert
    assert message.to == ["noor@example.com"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Noor Bakker")
    expect(page.get_by_role("heading", name="No certifications yet")).to_be_visible()
    assert page.get_by_role("link", name="Log an activity").count() == 0
    assert User.objects.get(email="noor@example.com").emailaddress_set.get().verified is True


def test_dashboard_foundation_only_holder_has_nothing_to_log(
    page: Page, make_holder, sign_in
) -> None:
    # Arrange
    holder = make_holder("ISF")

    # Act
    sign_in(page, holder.email)

    # Assert
    card = page.locator("section.certification-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=2)).to_have_text("Information Security Foundation")
    expect(card.get_by_text("No CPE required.")).to_be_visible()
    assert page.get_by_role("link", name="Log an activity").count() == 0
