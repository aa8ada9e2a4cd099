"""A staff member's first visit to the admin: the portal's sign-in, then two-factor
authentication set up on the way, then the admin."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import REVIEWER
from tests.factories import PASSWORD
from tests.staff import make_staff, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_first_admin_visit_sets_up_two_factor_then_opens_the_admin(
    page: Page, live_server, shoot: Callable[[Page, str], Path]
) -> None:
    # Arrange: a reviewer who has never set up an authenticator app.
    staff = make_staff(REVIEWER, totp=False)

    # Act: open the admin, sign in (the password once), scan the secret, enter its code, and
    # go on from the recovery codes.
    page.goto(f"{live_server.url}/admin/submissions/entry/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Email").fill(staff.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Staff need two-factor authentication to use the admin."))\
        .to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    page.get_by_role("link", name="Continue to the admin").click()

    # Assert: the entries in the admin, and nothing the role does not hold.
    # Entries are decided, never edited, in the admin: Django titles the list "to view".
    expect(page.get_by_role("heading", level=1)).to_have_text("Select entry to view")
    expect(page.locator(".breadcrumbs")).to_contain_text("Entries")
    assert page.get_by_role("link", name="Users").count() == 0
    assert staff.authenticator_set.filter(type="totp").count() == 1
    shoot(page, "staff-admin-after-two-factor-set-up.png")
