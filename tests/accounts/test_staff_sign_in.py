"""One way into the admin: the portal's sign-in, with its rate limits and two-factor
authentication. Staff reach the admin only with a TOTP authenticator and a session that
passed it; holders get no admin at all."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse

from accounts.roles import REVIEWER
from cpe_portal.settings.base import ACCOUNT_RATE_LIMITS
from tests.factories import PASSWORD, UserFactory
from tests.staff import TOTP_SECRET, make_staff, sign_in, totp_code

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
ENTRIES = "/admin/submissions/entry/"
SET_UP_MESSAGE = ("Staff need two-factor authentication to use the admin. Set up an "
                  "authenticator app; the admin opens as soon as it is active.")
CODE_MESSAGE = "Enter a code from your authenticator app to open the admin."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate limits and used TOTP codes are counted in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def redirect_of(response) -> tuple[str, list[str]]:
    """Where a redirect goes, and the `next` it carries."""
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    return url.path, parse_qs(url.query).get("next", [])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_admin_login_sends_visitors_to_the_portal_sign_in(client):
    response = client.get(f"/admin/login/?next={ENTRIES}")

    assert redirect_of(response) == (reverse("account_login"), [ENTRIES])


def test_admin_page_sends_visitors_to_the_portal_sign_in(client):
    response = client.get(ENTRIES)

    assert redirect_of(response) == (reverse("account_login"), [ENTRIES])


def test_admin_login_post_with_a_staff_password_signs_nobody_in(client):
    staff = make_staff(REVIEWER)

    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD,
                                             "next": ADMIN})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN)["Location"].startswith(reverse("account_login"))


def test_admin_login_takes_no_passwords_past_the_rate_limit(client, settings):
    # The test settings turn rate limits off; these are the ones the portal runs with.
    settings.ACCOUNT_RATE_LIMITS = ACCOUNT_RATE_LIMITS
    staff = make_staff(REVIEWER)
    for _attempt in range(5):
        client.post("/admin/login/", {"username": staff.email, "password": "wrong"})
        client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})

    via_admin = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    via_portal = client.post(reverse("account_login"),
                             {"login": staff.email, "password": PASSWORD})

    assert via_admin.status_code == 302
    assert via_portal.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in client.session


def test_staff_signing_in_must_enter_a_totp_code_before_the_admin(client):
    staff = make_staff(REVIEWER)

    password = client.post(f"{reverse('account_login')}?next={ENTRIES}",
                           {"login": staff.email, "password": PASSWORD})
    before_code = client.get(ENTRIES)
    code = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    after_code = client.get(ENTRIES)

    assert password["Location"] == reverse("mfa_authenticate")
    assert before_code["Location"].startswith(reverse("account_login"))
    assert code["Location"] == ENTRIES
    assert after_code.status_code == 200


def test_staff_without_totp_is_sent_to_set_it_up(client):
    staff = make_staff(REVIEWER, totp=False)
    client.force_login(staff)

    response = client.get(ENTRIES)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert messages_of(response) == [SET_UP_MESSAGE]


# Committed for real: allauth reports the new authenticator once its transaction commits,
# which in a request is before the session is saved.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_who_set_up_totp_reach_the_admin(client):
    staff = make_staff(REVIEWER, totp=False)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    set_up = client.get(ENTRIES)["Location"]
    # Turning on two-factor authentication asks for the password again first.
    client.post(client.get(set_up)["Location"], {"password": PASSWORD})
    form_page = client.get(set_up)
    secret = form_page.context["form"].secret

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    response = client.get(ENTRIES)

    assert activated.status_code == 302
    assert sorted(staff.authenticator_set.values_list("type", flat=True)) == [
        "recovery_codes", "totp"]
    assert response.status_code == 200


def test_staff_session_without_the_second_factor_is_asked_for_a_code(client):
    staff = make_staff(REVIEWER)
    sign_in(client, staff, second_factor=False)

    asked = client.get(ENTRIES)
    code = client.post(asked["Location"], {"code": totp_code(TOTP_SECRET)})
    response = client.get(ENTRIES)

    assert redirect_of(asked) == (reverse("mfa_reauthenticate"), [ENTRIES])
    assert messages_of(asked) == [CODE_MESSAGE]
    assert code["Location"] == ENTRIES
    assert response.status_code == 200


def test_staff_with_the_second_factor_reach_the_admin(client):
    sign_in(client, make_staff(REVIEWER))

    assert client.get(ADMIN).status_code == 200
    assert client.get("/admin/login/")["Location"] == ADMIN
    assert client.get(f"/admin/login/?next={ENTRIES}")["Location"] == ENTRIES


def test_admin_login_never_sends_staff_off_the_site(client):
    sign_in(client, make_staff(REVIEWER))

    response = client.get("/admin/login/?next=https://evil.example.com/")

    assert response["Location"] == ADMIN


@pytest.mark.parametrize("url", [ADMIN, ENTRIES, "/admin/login/"])
def test_holders_get_no_admin(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 403


def test_admin_password_change_is_the_portals(client):
    sign_in(client, make_staff(REVIEWER))

    response = client.get(reverse("admin:password_change"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
