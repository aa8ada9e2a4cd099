"""One way into the admin: the portal's sign-in, with its rate limits and two-factor
authentication. Staff reach the admin only with a TOTP authenticator and a session that
passed it; holders get no admin at all."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse

from accounts.roles import REVIEWER
from cpe_portal.settings.base import ACCOUNT_RATE_LIMITS
from tests.factories import PASSWORD, UserFactory
from tests.staff import TOTP_SECRET, add_totp, make_staff, sign_in, totp_code

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


def continue_link(response) -> tuple[str, str] | None:
    """The text and address of the page's "Continue to the admin" button, if any."""
    found = re.search(r'<a class="btn btn-primary" href="([^"]*)">([^<]*)</a>',
                      response.content.decode())
    return (found.group(2), found.group(1)) if found else None


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
    # The password was typed a moment ago: the set-up does not ask for it again.
    form_page = client.get(set_up)
    secret = form_page.context["form"].secret

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    codes_page = client.get(activated["Location"])
    response = client.get(ENTRIES)

    assert form_page.status_code == 200
    assert activated["Location"] == reverse("mfa_view_recovery_codes")
    assert continue_link(codes_page) == ("Continue to the admin", ENTRIES)
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


def test_staff_signing_in_without_a_next_land_in_the_admin(client):
    staff = make_staff(REVIEWER)

    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    code = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})

    assert code["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_holders_signing_in_land_on_their_dashboard(client):
    holder = UserFactory()
    EmailAddress.objects.create(user=holder, email=holder.email, verified=True, primary=True)

    response = client.post(reverse("account_login"), {"login": holder.email,
                                                      "password": PASSWORD})

    assert response["Location"] == reverse("home")


def test_staff_first_visit_asks_for_the_password_once(client):
    staff = make_staff(REVIEWER, totp=False)
    client.post(f"{reverse('account_login')}?next={ENTRIES}",
                {"login": staff.email, "password": PASSWORD})

    set_up = client.get(ENTRIES)
    form_page = client.get(set_up["Location"])

    assert set_up["Location"] == reverse("mfa_activate_totp")
    assert form_page.status_code == 200
    assert form_page.templates[0].name == "mfa/totp/activate_form.html"


def test_setting_up_two_factor_later_asks_for_the_password_again(client):
    # Signed in long ago (no password typed in this session's recent steps): allauth's rule.
    staff = make_staff(REVIEWER, totp=False)
    client.force_login(staff)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_recovery_codes_offer_holders_no_admin(client):
    holder = UserFactory()
    EmailAddress.objects.create(user=holder, email=holder.email, verified=True, primary=True)
    sign_in_with_codes(client, holder)

    response = client.get(reverse("mfa_view_recovery_codes"))

    assert response.status_code == 200
    assert continue_link(response) is None


def test_recovery_codes_lead_staff_to_the_admin_front_page(client):
    staff = make_staff(REVIEWER, totp=False)
    sign_in_with_codes(client, staff)

    response = client.get(reverse("mfa_view_recovery_codes"))

    assert continue_link(response) == ("Continue to the admin", ADMIN)


def sign_in_with_codes(client, user) -> None:
    """`user` gets a TOTP authenticator and recovery codes and signs in with both factors."""
    add_totp(user)
    RecoveryCodes.activate(user)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
