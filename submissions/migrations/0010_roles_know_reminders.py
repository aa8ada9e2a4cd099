"""The staff roles again (`accounts.roles.sync_roles`), now that reminders exist: the
Administrator role holds every permission of the app, reminders' included."""

from django.db import migrations

from accounts.roles import sync_roles


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_outbox_context"),
        ("submissions", "0009_reminders"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
