"""Error pages in the site's look with a way back: inside the admin, staff get the admin's
header and a link to its front page; everyone else the portal's page and its way home."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import BOARD
from cpe_portal.views import server_error
from tests.factories import UserFactory
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db

FRONT = reverse("admin:index")
ADMIN_LOOK = 'id="site-name"'
PORTAL_LOOK = 'class="navbar navbar-expand navbar-portal"'


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_page_outside_the_boards_role_answers_in_the_admins_look(client):
    sign_in(client, make_staff(BOARD))

    response = client.get(reverse("admin:appeals_boardmeeting_add"))

    page = text_of(response)
    assert response.status_code == 403
    assert ADMIN_LOOK in page
    assert "<h1>This page is not part of your role</h1>" in page
    assert f'<a href="{FRONT}">Back to the admin\'s front page</a>' in page


def test_an_unknown_admin_address_answers_in_the_admins_look(client):
    sign_in(client, make_staff(BOARD))

    response = client.get("/admin/appeals/nothing-here/")

    page = text_of(response)
    assert response.status_code == 404
    assert ADMIN_LOOK in page
    assert "<h1>Page not found</h1>" in page
    assert f'<a href="{FRONT}">Back to the admin\'s front page</a>' in page


def test_a_holder_in_the_admin_gets_the_portals_page_and_way_home(client):
    client.force_login(UserFactory())

    response = client.get(FRONT)

    page = text_of(response)
    assert response.status_code == 403
    assert PORTAL_LOOK in page and ADMIN_LOOK not in page
    assert "This page is not open to your account" in page
    assert f'href="{reverse("home")}">Back to your dashboard</a>' in page


def test_an_unknown_portal_address_offers_the_start_page_and_sign_in(client):
    response = client.get("/no-such-page/")

    page = text_of(response)
    assert response.status_code == 404
    assert PORTAL_LOOK in page
    assert "<h1>Page not found</h1>" in page
    assert f'href="{reverse("account_login")}">Sign in</a>' in page


def test_a_form_without_its_token_says_what_to_do_on_the_portal():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("account_login"), {"login": "a@example.com",
                                                      "password": "x"})

    page = text_of(response)
    assert response.status_code == 403
    assert PORTAL_LOOK in page
    assert "The form could not be sent" in page
    assert "Go back, reload the page and send the form again." in page


def test_a_form_without_its_token_in_the_admin_keeps_the_admins_look():
    client = sign_in(Client(enforce_csrf_checks=True), make_staff(BOARD))

    response = client.post(reverse("admin:appeals_boardmeeting_changelist"), {})

    page = text_of(response)
    assert response.status_code == 403
    assert ADMIN_LOOK in page
    assert "The form could not be sent" in page


@pytest.mark.parametrize(("path", "back"), [("/admin/appeals/appeal/", "/admin/"),
                                            ("/entries/", "/")])
def test_a_server_error_shows_the_sites_page_with_the_way_back(path, back):
    response = server_error(RequestFactory().get(path))

    page = text_of(response)
    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in page
    assert f'<a class="btn btn-primary" href="{back}">' in page
