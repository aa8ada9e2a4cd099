"""Every change of an entry is kept with who made it, when and why (simple_history)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from submissions.models import Entry
from submissions.services import EntryDetails, update_entry, withdraw_entry
from tests.factories import PASSWORD, activity
from tests.staff import add_totp, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("admin@example.com", PASSWORD, full_name="Ada Admin")


def edited(entry: Entry, **changes: object) -> EntryDetails:
    data = {"activity_type": entry.activity_type, "activity_date": entry.activity_date,
            "title": entry.title, "provider": entry.provider, "hours": entry.hours,
            "relevance_confirmed": True, **changes}
    return EntryDetails.from_data(data)


def test_logging_an_entry_keeps_its_first_version_with_the_holder(practitioner, log):
    entry = log(title="Cloud security course")

    [first] = entry.history.all()
    assert (first.history_type, first.history_user, first.history_change_reason,
            first.title) == ("+", practitioner.holder, "Logged", "Cloud security course")


def test_update_entry_keeps_the_change_with_the_user_who_made_it(practitioner, log, staff):
    entry = log(title="Cloud course")

    update_entry(entry=entry, by=staff, details=edited(entry, title="Cloud security course",
                                                       hours=Decimal("2")),
                 today=date(2025, 6, 1))

    latest, first = entry.history.all()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~", staff, "Edited")
    assert (first.title, latest.title) == ("Cloud course", "Cloud security course")
    assert (first.claimed_credits, latest.claimed_credits) == (Decimal("1.00"),
                                                               Decimal("2.00"))
    assert latest.history_date > first.history_date


@pytest.mark.parametrize("reason", ["Logged twice. " * 20, "e" + "\u0301" * 150])
def test_withdraw_entry_keeps_the_reason_shortened(practitioner, log, reason):
    entry = log()

    withdraw_entry(entry=entry, by=practitioner.holder, reason=reason, today=date(2025, 6, 1))

    latest = entry.history.first()
    assert (latest.state, latest.history_user) == ("withdrawn", practitioner.holder)
    assert latest.history_change_reason == reason[:100]
    # The state change keeps the whole reason.
    assert entry.state_changes.last().reason == reason


def test_an_edit_in_the_holder_pages_is_kept_with_the_holder(client, practitioner, log):
    entry = log(title="Cloud course")
    client.force_login(practitioner.holder)

    response = client.post(reverse("submissions:entry_edit", args=[entry.pk]), {
        "activity_type": activity("other-course").pk, "activity_date": "2025-03-01",
        "title": "Renamed course", "hours": "1", "relevance_confirmed": "on",
        "confirmed": "on",
    })

    assert response.status_code == 302
    latest = entry.history.first()
    assert (latest.title, latest.history_user) == ("Renamed course", practitioner.holder)


def test_entry_admin_with_simple_history_shows_who_changed_the_entry(client, practitioner, log,
                                                                    staff):
    entry = log(title="Cloud course")
    update_entry(entry=entry, by=staff, details=edited(entry, title="Cloud security course"),
                 today=date(2025, 6, 1))
    add_totp(staff)
    sign_in(client, staff)

    response = client.get(f"/admin/submissions/entry/{entry.pk}/history/")

    page = response.content.decode()
    assert response.status_code == 200
    assert [(r.history_user, r.history_change_reason)
            for r in response.context["page_obj"].object_list] == [
        (staff, "Edited"), (practitioner.holder, "Logged")]
    assert "Ada Admin" in page
    assert "Edited" in page
