"""The admin: every registered model's pages render, detail pages show what reviewers need and
nothing private, changelists do not grow a query per row."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from activities.models import ActivityType
from submissions.enums import EntryState
from submissions.models import Entry, EntryStateChange, ProofFile

from .factories import CertificationFactory, EntryFactory, UserFactory, activity

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)




@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_changelist_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_add_page_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))

    # Read-only pages (the holders overview) refuse to add, even to a superuser.
    can_add = admin.site._registry[model].has_add_permission(response.wsgi_request)
    assert response.status_code == (200 if can_add else 403)


def test_entry_change_page_renders_with_state_changes_and_proof(admin_client, holder):
    entry = EntryFactory(holder=holder)
    EntryStateChange.objects.create(entry=entry, from_state="", to_state=EntryState.SUBMITTED,
                                    changed_by=holder, reason="Logged")
    proof = ProofFile.objects.create(
        entry=entry, file="proof/2025/03/0123abcd.pdf", original_name="certificate.pdf",
        content_type="application/pdf", size=2048, uploaded_by=holder,
    )

    response = admin_client.get(admin_url(Entry, "change", entry.pk))

    assert response.status_code == 200
    changes, proofs = response.context["inline_admin_formsets"]
    assert [form.instance.reason for form in changes.formset.forms] == ["Logged"]
    assert [form.instance for form in proofs.formset.forms] == [proof]
    # The stored name (and so any URL to the private file) never reaches the page.
    assert response.content.decode().count("0123abcd") == 0


def test_read_only_tables_name_every_column_and_say_when_empty(admin_client, holder):
    entry = EntryFactory(holder=holder)
    EntryStateChange.objects.create(entry=entry, from_state="", to_state=EntryState.SUBMITTED,
                                    changed_by=holder, reason="Logged")

    html = admin_client.get(admin_url(Entry, "change", entry.pk)).content.decode()

    # No unnamed "original" or "delete" column: nothing in these tables is changed here.
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", html.split('id="state_changes-group"')[1],
                         flags=re.S)
    assert headers and all(header.strip() for header in headers)
    assert "No proof files yet." in html


def test_entry_change_page_keeps_computed_values_read_only(admin_client):
    entry = EntryFactory()

    response = admin_client.get(admin_url(Entry, "change", entry.pk))

    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields & {"claimed_credits", "approved_credits", "state", "logged_at"} == set()


def test_certification_change_page_renders(admin_client, practitioner):
    response = admin_client.get(admin_url(type(practitioner), "change", practitioner.pk))

    assert response.status_code == 200
    assert "badge_id" not in response.context["adminform"].form.fields


def test_user_change_page_renders_with_certifications(admin_client, practitioner):
    response = admin_client.get(admin_url(User, "change", practitioner.holder.pk))

    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert [form.instance for form in inline.formset.forms] == [practitioner]


def test_user_add_creates_user_with_password(admin_client):
    response = admin_client.post(admin_url(User, "add"), {
        "email": "New.Holder@Example.com",
        "full_name": "New Holder",
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
    })

    user = User.objects.get(full_name="New Holder")
    assert response.status_code == 302
    assert user.email == "new.holder@example.com"
    assert user.check_password("a-long-unusual-passphrase-42") is True
    assert user.is_staff is False


def test_user_add_refuses_email_that_differs_only_in_case(admin_client, holder):
    response = admin_client.post(admin_url(User, "add"), {
        "email": holder.email.upper(),
        "full_name": "Someone Else",
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
    })

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A user with this email address already exists."
    ]
    assert User.objects.filter(full_name="Someone Else").count() == 0


@time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=AMSTERDAM), tick=False)
def test_entry_add_logs_through_the_service(admin_client, practitioner):
    response = admin_client.post(admin_url(Entry, "add"), {
        "holder": practitioner.holder.pk,
        "activity_type": activity("other-course").pk,
        "activity_date": "2025-03-01",
        "title": "Cloud security course",
        "hours": "2.5",
        "relevance_confirmed": "on",
    })

    entry = Entry.objects.get(title="Cloud security course")
    assert response.status_code == 302
    assert entry.claimed_credits == Decimal("2.50")
    assert entry.state == EntryState.SUBMITTED
    assert [(c.from_state, c.to_state) for c in entry.state_changes.all()] == [
        ("", EntryState.SUBMITTED)
    ]


@time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=AMSTERDAM), tick=False)
def test_entry_add_records_the_staff_member_who_logged_it(admin_client, superuser,
                                                          practitioner):
    admin_client.post(admin_url(Entry, "add"), {
        "holder": practitioner.holder.pk, "activity_type": activity("mentor").pk,
        "activity_date": "2025-03-01", "title": "Mentoring", "hours": "1",
        "relevance_confirmed": "on",
    })

    change = Entry.objects.get(title="Mentoring").state_changes.get()
    assert change.changed_by == superuser


@time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=AMSTERDAM), tick=False)
def test_entry_add_refuses_future_activity(admin_client, practitioner):
    response = admin_client.post(admin_url(Entry, "add"), {
        "holder": practitioner.holder.pk,
        "activity_type": activity("other-course").pk,
        "activity_date": "2025-07-01",
        "title": "Next month's course",
        "hours": "2",
        "relevance_confirmed": "on",
    })

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["activity_date"] == [
        "The activity date is in the future."
    ]
    assert Entry.objects.count() == 0


def test_admin_refuses_holders(client, holder):
    client.force_login(holder)

    response = client.get(admin_url(Entry, "changelist"))

    assert response.status_code == 403


def test_entry_changelist_query_count_does_not_grow_with_rows(admin_client):
    # The list opens on the review queue: entries waiting for approval.
    url = admin_url(Entry, "changelist")
    EntryFactory(state=EntryState.PENDING_APPROVAL)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(url)

    types = [activity(code) for code in ("other-course", "forum-moderator", "mentor")]
    for n in range(29):
        certification = CertificationFactory(holder=UserFactory())
        EntryFactory(holder=certification.holder, activity_type=types[n % len(types)],
                     state=EntryState.PENDING_APPROVAL)
    with CaptureQueriesContext(connection) as thirty_rows:
        response = admin_client.get(url)

    assert response.context["cl"].result_count == 30
    assert len(thirty_rows) == len(one_row)


def test_a_new_cap_saved_in_the_admin_recounts_the_open_years(admin_client,
                                                             django_capture_on_commit_callbacks):
    certification = CertificationFactory(awarded_on=datetime(2025, 1, 1).date())
    EntryFactory(holder=certification.holder, activity_type=activity("mentor"),
                 activity_date=datetime(2025, 5, 1).date(), hours=Decimal("8"),
                 claimed_credits=Decimal("8"))
    mentor = activity("mentor")
    form = {field: getattr(mentor, field) if getattr(mentor, field) is not None else ""
            for field in ("name", "code", "help_text", "position", "rule_kind", "rate",
                          "unit_size", "unit_label", "quantity_label", "quantity_step",
                          "range_min", "range_max", "min_attendance_percent")}
    form |= {"active": "on", "annual_cap": "5"}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(admin_url(type(mentor), "change", mentor.pk), form,
                                     follow=True)

    assert "are being recounted with the new cap" in response.content.decode()
    assert certification.years.get().counted_credits == Decimal("5")


def form_data(response) -> dict[str, object]:
    """What the admin change page would post back unchanged: its form and its inlines."""
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", ()):
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = (
                [str(item) for item in value] if isinstance(value, list | tuple)
                else "on" if value is True else str(value))
    return data


@pytest.mark.parametrize("what", ["title", "activity type", "certification"])
def test_admin_change_is_kept_in_the_history_with_who_made_it(admin_client, superuser, what):
    certification = CertificationFactory()
    model, obj, field, value = {
        "title": (type(certification.title), certification.title, "name", "Renamed title"),
        "activity type": (ActivityType, activity("read-books"), "name", "Renamed books"),
        "certification": (type(certification), certification, "awarded_on", "2023-02-03"),
    }[what]
    page = admin_client.get(admin_url(model, "change", obj.pk))
    data = form_data(page)
    data[field] = value
    if what == "certification":
        # A certification is corrected through its service, which keeps why.
        data["reason"] = "The register had the wrong award date."

    response = admin_client.post(admin_url(model, "change", obj.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    newest = obj.history.order_by("-history_id").first()
    assert str(getattr(newest, field)) == value
    assert newest.history_user == superuser
    assert newest.history_type == "~"
    history = admin_client.get(admin_url(model, "history", obj.pk))
    assert history.status_code == 200
    assert newest in history.context["page_obj"].object_list
    assert superuser.email in history.content.decode() or superuser.full_name in \
        history.content.decode()
