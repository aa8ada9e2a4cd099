"""Staff roles: which admin pages and actions each kind of staff member may use.

A role is a group of the same name whose permissions are exactly the ones listed here. The
groups are written by `sync_roles`, which the data migrations run: change a role here, then
add a migration that runs `sync_roles` again (see `accounts/migrations/0004_staff_roles.py`).
A later migration re-runs it when a new model or permission appears, after the migration that
brings it, so that the groups pick it up.

Permissions are named `app_label.codename`; `app_label.*` is every permission of that app.
Capabilities beyond "view, add, change or delete a model" (reviewing entries, deciding appeals)
are declared in their model's `Meta.permissions`, so Django and the migrations know them like
any other. Names that match nothing yet (a model another part of the portal has still to add)
are skipped, so the list can name them ahead of time.
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

REVIEWER = "Reviewer"
BOARD = "Board"
ADMINISTRATOR = "Administrator"

ROLES: dict[str, tuple[str, ...]] = {
    # Reviews entries and their proof, runs audits, imports webinar attendance; reads a
    # holder's certifications, years and denials to do so.
    REVIEWER: (
        "submissions.view_entry", "submissions.change_entry",
        "submissions.view_entrystatechange", "submissions.change_entrystatechange",
        "submissions.view_prooffile", "submissions.change_prooffile",
        "submissions.review_entry", "submissions.import_attendance",
        "submissions.view_holder_overview", "submissions.view_holder",
        "submissions.view_audit", "submissions.add_audit", "submissions.view_reminder",
        "submissions.view_denial",
        "certifications.view_certification", "certifications.view_certificationyear",
    ),
    # Decides appeals at Board meetings; reads what was denied and why.
    BOARD: (
        "submissions.view_denial",
        "appeals.view_appeal", "appeals.change_appeal", "appeals.decide_appeal",
        "appeals.view_appealdocument",
        "appeals.view_boardmeeting", "appeals.change_boardmeeting",
        "submissions.view_entry", "submissions.view_entrystatechange",
        "submissions.view_prooffile",
        "certifications.view_certification", "certifications.view_certificationyear",
    ),
    # Maintains titles, levels, the catalogue, Board meetings, users and their roles: every
    # permission of every app with pages in the admin.
    ADMINISTRATOR: (
        "accounts.*", "auth.*", "account.*", "mfa.*",
        "activities.*", "certifications.*", "submissions.*", "appeals.*",
        "django_celery_beat.*",
    ),
}


def permission_filter(names: tuple[str, ...]) -> Q:
    """The permissions `names` stand for, as a filter on `auth.Permission`."""
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_roles(apps: Any, schema_editor: Any = None) -> None:
    """Make the role groups hold exactly the permissions `ROLES` names. Run by data migrations
    (with the historical `apps`) and safe to run any number of times.

    Side effects: creates the content types and permissions of the models that exist so far,
    those of their `Meta.permissions` included (Django would only make them after the last
    migration), and the groups; sets each group's permissions, removing any it held beyond the
    definition. Models that do not exist yet are skipped: their permissions join the groups
    when a later migration runs this again.
    """
    from django.apps import apps as installed_apps
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias if schema_editor is not None else DEFAULT_DB_ALIAS
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    for app_config in installed_apps.get_app_configs():
        # Reads the models of `apps` (the state at this migration), not today's code.
        create_permissions(app_config, verbosity=0, apps=apps, using=using)

    for role, names in ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(Permission.objects.using(using).filter(permission_filter(names)))
