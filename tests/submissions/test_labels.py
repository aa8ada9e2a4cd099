"""What holders read: the amount of a per-unit activity is labelled with its unit, and every
number of credits says it is credits."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from submissions.selectors.holder import log_form_context
from tests.factories import EntryFactory, activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_2025")]




def quantity_label(response) -> str:
    return str(response.context["form"]["quantity"].label)


def rendered_label(html: str, field_id: str) -> str:
    found = re.search(rf'<label\s+for="{field_id}"[^>]*>(.*?)</label>', html, re.DOTALL)
    assert found is not None, field_id
    return " ".join(found.group(1).split())


def books_post(**overrides: object) -> dict[str, object]:
    data = {"activity_type": activity("read-books").pk, "activity_date": "2025-05-20",
            "title": "Security Engineering", "quantity": "250", "relevance_confirmed": "on"}
    return data | overrides


def test_amount_label_is_generic_before_an_activity_is_chosen(client, owner):
    response = client.get(reverse("submissions:entry_create"))

    assert rendered_label(response.content.decode(), "id_quantity") == "Amount"


@pytest.mark.parametrize(("code", "label"), [
    ("read-books", "Pages read"), ("listen-podcasts", "Hours of podcast"),
    ("exam-questions", "Questions written"),
])
def test_amount_label_names_the_unit_when_the_form_comes_back_with_errors(
        client, owner, code, label):
    response = client.post(reverse("submissions:entry_create"),
                           books_post(activity_type=activity(code).pk, title=""))

    assert response.status_code == 200
    assert quantity_label(response) == label
    assert rendered_label(response.content.decode(), "id_quantity") == label


def test_amount_label_on_the_confirm_step_with_the_amount(client, owner):
    response = client.post(reverse("submissions:entry_create"), books_post())

    html = response.content.decode()
    assert response.templates[0].name == "submissions/entry_confirm.html"
    assert "<dt class=\"col-sm-5\">Pages read</dt><dd class=\"col-sm-7\">250</dd>" in html


def test_amount_label_on_the_edit_form(client, owner):
    entry = EntryFactory(holder=owner, activity_type=activity("listen-podcasts"), hours=None,
                         quantity=Decimal("7"), claimed_credits=Decimal("2.33"))

    response = client.get(reverse("submissions:entry_edit", args=[entry.pk]))

    assert quantity_label(response) == "Hours of podcast"


def test_amount_label_on_the_entry_page(client, owner):
    entry = EntryFactory(holder=owner, activity_type=activity("exam-questions"), hours=None,
                         quantity=Decimal("3"), claimed_credits=Decimal("3"))

    html = client.get(reverse("submissions:entry_detail", args=[entry.pk])).content.decode()

    assert "<dt class=\"col-sm-5\">Questions written</dt><dd class=\"col-sm-7\">3</dd>" in html


def test_amount_label_reaches_the_log_form_script(db):
    rules = log_form_context()["activity_rules"]

    assert rules[str(activity("read-books").pk)]["quantity_label"] == "Pages read"
    assert rules[str(activity("listen-podcasts").pk)]["quantity_label"] == "Hours of podcast"


def test_credits_are_called_credits_on_the_holders_pages(client, owner, practitioner):
    entry = EntryFactory(holder=owner, activity_date=date(2025, 3, 1), hours=Decimal("1.5"),
                         claimed_credits=Decimal("1.50"))
    EntryFactory(holder=owner, activity_date=date(2025, 3, 2), hours=Decimal("2"),
                 claimed_credits=Decimal("2.00"), state="pending_approval")

    dashboard = client.get(reverse("home")).content.decode()
    detail = client.get(reverse("submissions:entry_detail", args=[entry.pk])).content.decode()
    years = client.get(reverse("submissions:year_list", args=[practitioner.pk])).content.decode()
    year = client.get(reverse("submissions:year_detail",
                              args=[practitioner.pk, 2])).content.decode()
    preview = client.post(reverse("submissions:entry_preview"), books_post()).content.decode()

    assert "<strong>1.50 credits</strong>" in dashboard
    assert "2.00 credits awaiting review" in dashboard
    assert "Read books: used 0.00 of 5.00 credits" in dashboard
    assert "<dt class=\"col-sm-5\">Claimed</dt><dd class=\"col-sm-7\">1.50 credits</dd>" in detail
    assert "): 1.50 credits</li>" in detail
    assert "1.50 of 20 credits" in years
    assert '<th scope="col" class="text-end">Counted credits</th>' in year
    assert "2.50 credits will count" in preview
