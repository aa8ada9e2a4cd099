"""The record is written by its services: every registered admin page of a record model is
read-only for everyone, a superuser included, and adds or deletes nothing, unless a short list
below says which service its form goes through.

A record model is every model the admin shows that is not on the allow-list of configuration
administrators maintain (PRODUCT.md, "Who may change what"). A new model is a record model
until it is put on that list, with why.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string
from simple_history.admin import SimpleHistoryAdmin

from .test_admin_permissions import OBJECTS, _history_id

pytestmark = pytest.mark.django_db

# What administrators maintain: the catalogue, titles and levels, Board meetings, users and
# their roles (with their sign-in addresses and second factors), and the job schedules.
CONFIGURATION: dict[str, str] = {
    "activities.activitytype": "the activity catalogue",
    "certifications.certificationtitle": "certification titles",
    "certifications.certificationlevel": "certification levels",
    "appeals.boardmeeting": "Board meeting dates",
    "accounts.user": "users",
    "auth.group": "roles",
    "account.emailaddress": "users' email addresses (allauth)",
    "mfa.authenticator": "users' second factors (allauth)",
    "django_celery_beat.periodictask": "job schedules",
    "django_celery_beat.clockedschedule": "job schedules",
    "django_celery_beat.crontabschedule": "job schedules",
    "django_celery_beat.intervalschedule": "job schedules",
    "django_celery_beat.solarschedule": "job schedules",
}

# Pages of record models whose form goes through a service, not the generic save: (model,
# page) and the service its save calls.
SERVICE_FORMS: dict[tuple[str, str], str] = {
    ("submissions.entry", "add"): "submissions.services.log_entry",
    ("submissions.audit", "add"): "submissions.review.draw_audit_sample",
    ("certifications.certification", "add"): "submissions.awards.register_certification",
    ("certifications.certification", "change"): "submissions.awards.correct_certification",
}


def _request(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


def _record_writes(model_admin: admin.ModelAdmin | InlineModelAdmin, request,
                   obj: Model) -> list[str]:
    """What a page of a record model (or an inline of one) lets the user write."""
    writes = []
    if model_admin.has_change_permission(request, obj):
        if isinstance(model_admin, InlineModelAdmin):
            form = model_admin.get_formset(request, obj).form
            ignored = {"id", "DELETE", model_admin.fk_name or ""}
        else:
            form = model_admin.get_form(request, obj, change=True)
            ignored = set()
        writable = set(form.base_fields) - set(model_admin.get_readonly_fields(request, obj))
        writes += [f"change {name}" for name in sorted(writable - ignored)]
    add_args = (request, obj) if isinstance(model_admin, InlineModelAdmin) else (request,)
    if model_admin.has_add_permission(*add_args):
        writes.append("add")
    if model_admin.has_delete_permission(request, obj):
        writes.append("delete")
    return writes


def test_admin_record_models_are_written_only_through_their_services(superuser):
    request = _request(superuser)
    found: dict[str, list[str]] = {}

    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        obj = OBJECTS[label]()
        if label not in CONFIGURATION:
            unlisted = [write for write in _record_writes(model_admin, request, obj)
                        if (label, write.split()[0]) not in SERVICE_FORMS]
            if unlisted:
                found[label] = unlisted
        for inline_class in model_admin.get_inlines(request, obj):
            inline = inline_class(model, admin.site)
            inline_label = inline.model._meta.label_lower
            if inline_label not in CONFIGURATION:
                writes = _record_writes(inline, request, obj)
                if writes:
                    found[f"{label} inline {inline_label}"] = writes

    assert found == {}


def test_admin_service_forms_name_services_that_exist():
    services = {page: import_string(path) for page, path in SERVICE_FORMS.items()}

    assert all(callable(service) for service in services.values())
    assert {label for label, _page in SERVICE_FORMS}.isdisjoint(CONFIGURATION)


def test_admin_configuration_list_names_only_registered_models():
    registered = {model._meta.label_lower for model in admin.site._registry}

    assert set(CONFIGURATION) <= registered


def test_admin_history_puts_no_past_version_back(admin_client):
    # Every model whose history the admin shows: the past version opens to be read, and a
    # posted one is refused and changes nothing.
    found = {}
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, SimpleHistoryAdmin):
            continue
        label = model._meta.label_lower
        obj = OBJECTS[label]()
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
                      args=[obj.pk, _history_id(obj)])
        before = obj.history.count()

        page = admin_client.get(url)
        posted = admin_client.post(url, {})

        outcome = (page.status_code, page.context["revert_disabled"], posted.status_code,
                   obj.history.count() - before)
        if outcome != (200, True, 405, 0):
            found[label] = outcome

    assert found == {}
