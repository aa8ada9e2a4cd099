"""The staff roles (Reviewer, Board, Administrator) as groups with their permissions.

`accounts.roles.sync_roles` writes them from `accounts.roles.ROLES`. It runs after the
migrations that create the models the roles name, so that their permissions exist; when a
later migration adds a model (or a role changes), add a migration like this one that depends
on it and runs `sync_roles` again.
"""

from django.db import migrations

from accounts.roles import sync_roles


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("activities", "0004_quantity_labels"),
        ("certifications", "0003_year_standings"),
        ("submissions", "0007_holder"),
        ("appeals", "0002_denial_moves_to_submissions"),
        # The third-party models with admin pages: e-mail addresses, authenticators, the
        # schedules (the last of which, clocked schedules, came in 0011).
        ("account", "0001_initial"),
        ("mfa", "0001_initial"),
        ("django_celery_beat", "0011_auto_20190508_0153"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
