"""The catalogue rows the data migrations ship, and how administrators maintain them."""

import pytest
from django.urls import reverse

from accounts.roles import ADMINISTRATOR
from activities.models import ActivityType
from tests.factories import activity
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


def test_catalogue_labels_amounts_with_their_units():
    labels = dict(ActivityType.objects.exclude(quantity_label="")
                  .values_list("code", "quantity_label"))

    assert labels == {"read-books": "Pages read", "listen-podcasts": "Hours of podcast",
                      "exam-questions": "Questions written"}


def test_catalogue_amount_label_falls_back_to_the_unit_then_a_generic_word():
    labelled, unit_only, neither = (activity("read-books"), activity("exam-questions"),
                                    activity("other-course"))
    unit_only.quantity_label = ""

    assert [a.amount_label for a in (labelled, unit_only, neither)] == [
        "Pages read", "Questions or exercises", "Amount"]


def test_catalogue_admin_shows_the_amount_label(client):
    sign_in(client, make_staff(ADMINISTRATOR))
    books = activity("read-books")

    response = client.get(reverse("admin:activities_activitytype_change", args=[books.pk]))

    assert response.status_code == 200
    assert response.context["adminform"].form["quantity_label"].value() == "Pages read"
