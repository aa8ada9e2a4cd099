"""Staff roles: the groups the data migration writes from accounts/roles.py."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import roles
from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER, ROLES, sync_roles
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


def group_permissions(name: str) -> set[str]:
    return {f"{app}.{codename}" for app, codename in Group.objects.get(name=name)
            .permissions.values_list("content_type__app_label", "codename")}


def every_permission(app_label: str) -> set[str]:
    return {f"{app_label}.{codename}" for codename in Permission.objects.filter(
        content_type__app_label=app_label).values_list("codename", flat=True)}


def test_roles_migration_makes_a_group_per_role():
    assert sorted(Group.objects.values_list("name", flat=True)) == [
        ADMINISTRATOR, BOARD, REVIEWER]


@pytest.mark.parametrize("role", [REVIEWER, BOARD])
def test_roles_group_holds_exactly_the_named_permissions(role):
    assert group_permissions(role) == set(ROLES[role])


def test_roles_administrator_holds_every_permission_of_the_admin_apps():
    expected = set().union(*(every_permission(name.split(".")[0])
                             for name in ROLES[ADMINISTRATOR]))

    assert group_permissions(ADMINISTRATOR) == expected
    assert {"submissions.review_entry", "appeals.decide_appeal", "auth.change_group",
            "django_celery_beat.change_periodictask"} <= expected


def test_roles_custom_permissions_exist_on_their_models():
    assert sorted(Permission.objects.filter(codename__in=[
        "review_entry", "import_attendance", "view_holder_overview",
        "decide_appeal"]).values_list("content_type__model", "codename")) == [
        ("appeal", "decide_appeal"), ("entry", "import_attendance"), ("entry", "review_entry"),
        ("entry", "view_holder_overview")]


def test_roles_custom_permissions_are_declared_in_their_models_meta():
    declared = {f"{model._meta.label_lower}.{codename}"
                for model in apps.get_models() for codename, _name in model._meta.permissions}

    assert declared == {"submissions.entry.review_entry", "submissions.entry.import_attendance",
                        "submissions.entry.view_holder_overview",
                        "appeals.appeal.decide_appeal"}
    assert hasattr(roles, "CUSTOM_PERMISSIONS") is False


def test_roles_give_their_members_the_permissions():
    reviewer = make_staff(REVIEWER)
    board = make_staff(BOARD)

    assert reviewer.has_perms(["submissions.review_entry", "submissions.change_entry",
                               "certifications.view_certificationyear"]) is True
    assert reviewer.has_perm("appeals.view_appeal") is False
    assert board.has_perms(["appeals.change_appeal", "submissions.view_entry"]) is True
    assert board.has_perm("submissions.change_entry") is False


def test_roles_sync_is_idempotent_and_undoes_changes_by_hand():
    reviewer = Group.objects.get(name=REVIEWER)
    reviewer.permissions.add(Permission.objects.get(codename="delete_entry"))
    Group.objects.get(name=BOARD).delete()

    sync_roles(apps)
    once = {name: group_permissions(name) for name in ROLES}
    sync_roles(apps)

    assert {name: group_permissions(name) for name in ROLES} == once
    assert once[REVIEWER] == set(ROLES[REVIEWER])
    assert once[BOARD] == set(ROLES[BOARD])
    assert Group.objects.count() == 3


def test_roles_sync_skips_models_that_do_not_exist_yet(monkeypatch):
    monkeypatch.setitem(roles.ROLES, REVIEWER,
                        (*ROLES[REVIEWER], "submissions.view_attendanceimport"))

    sync_roles(apps)

    assert group_permissions(REVIEWER) == set(ROLES[REVIEWER]) - {
        "submissions.view_attendanceimport"}
    assert Permission.objects.filter(codename="undo_import").exists() is False


def test_roles_name_only_permissions_that_exist():
    # A typo in accounts/roles.py would otherwise go unnoticed: sync skips unknown names.
    named = {name for names in ROLES.values() for name in names if not name.endswith(".*")}
    existing = {f"{app}.{codename}" for app, codename in Permission.objects.values_list(
        "content_type__app_label", "codename")}

    assert named - existing == set()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_roles_moving_the_custom_permissions_into_meta_keeps_what_every_group_holds():
    # A database migrated before the move: the permissions were made by name, the groups
    # hold them.
    executor = MigrationExecutor(connection)
    executor.migrate([("submissions", "0010_roles_know_reminders"),
                      ("appeals", "0003_board_decided_years")])
    held = {group.name: set(group.permissions.values_list("pk", flat=True))
            for group in Group.objects.all()}
    assert Permission.objects.filter(codename__in=["review_entry", "decide_appeal"]).count() == 2

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert {group.name: set(group.permissions.values_list("pk", flat=True))
            for group in Group.objects.all()} == held
    assert group_permissions(REVIEWER) == set(ROLES[REVIEWER])
    assert group_permissions(BOARD) == set(ROLES[BOARD])
