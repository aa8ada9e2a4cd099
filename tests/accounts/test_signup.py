"""Accounts: signing up, claiming an imported holder's account, invitations, sign-in limits."""

import re
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User
from accounts.roles import ADMINISTRATOR
from certifications.importing import import_certified_holders
from tests.factories import PASSWORD, UserFactory
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-Very-good-passw0rd"


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def signup(client, email: str, name: str = "Noor Bakker"):
    return client.post(reverse("account_signup"), {
        "full_name": name, "email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_signup_new_holder_verifies_email_before_signing_in(client, mailoutbox):
    response = signup(client, "noor@example.com", "  Noor   Bakker ")
    assert response.status_code == 302
    user = User.objects.get(email="noor@example.com")
    assert (user.full_name, user.has_usable_password()) == ("Noor Bakker", True)
    assert EmailAddress.objects.get(user=user).verified is False
    assert client.get(reverse("home")).context.get("standings") is None  # not signed in yet

    [mail] = mailoutbox
    confirm = client.post(link_in(mail))
    assert confirm.status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.get(reverse("home")).context["standings"] == []


def test_signup_with_an_imported_email_mails_a_set_password_link(client, mailoutbox):
    import_certified_holders(rows=[{"email": "imported@example.com", "full_name": "Ida Import",
                                    "title_code": "ISP", "awarded_on": "2024-03-01"}],
                             today=date(2025, 6, 1))
    response = signup(client, "Imported@example.com", "Someone Else")
    assert response.status_code == 302
    holder = User.objects.get(email="imported@example.com")
    assert (holder.full_name, holder.has_usable_password()) == ("Ida Import", False)
    assert User.objects.count() == 1

    [mail] = mailoutbox
    assert mail.subject == "Set your password for the CPE Portal"
    assert "Dear Ida Import" in mail.body
    assert 'href="http://testserver/accounts/password/reset/key/' in mail.alternatives[0][0]
    form_page = client.get(link_in(mail), follow=True)
    done = client.post(form_page.redirect_chain[-1][0],
                       {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)
    assert done.status_code == 200
    holder.refresh_from_db()
    assert holder.check_password(NEW_PASSWORD)
    dashboard = client.get(reverse("home"))
    assert [s.certification.title.code for s in dashboard.context["standings"]] == ["ISP"]


def test_signup_cannot_take_over_an_active_account(client, mailoutbox):
    existing = UserFactory(email="taken@example.com")
    signup(client, "taken@example.com")
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    [mail] = mailoutbox
    assert "already exists" in mail.body


def test_admin_invitation_action_sends_set_password_links(client, mailoutbox):
    holders = [UserFactory(full_name=f"Holder {i}") for i in range(2)]
    sign_in(client, make_staff(ADMINISTRATOR))
    response = client.post(reverse("admin:accounts_user_changelist"), {
        "action": "send_invitations", "_selected_action": [h.pk for h in holders]}, follow=True)
    assert "Sent 2 invitations." in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(h.email for h in holders)


def test_signin_is_rate_limited_after_failed_attempts(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for _ in range(3):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "mfa_index"])
def test_account_pages_for_a_signed_in_holder(client, url_name):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "CPE Portal" in response.content.decode()


def test_turning_on_two_factor_asks_for_the_password_again(client):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_account_mails_come_as_text_and_html(client, mailoutbox):
    signup(client, "html@example.com")
    [mail] = mailoutbox
    html, mime = mail.alternatives[0]
    assert mime == "text/html"
    link = link_in(mail)
    assert f'href="http://testserver{link}"' in html
    assert "Please confirm that html@example.com is your email address" in mail.body
