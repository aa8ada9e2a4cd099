"""The reviewers' permissions (review entries, import attendance, view the holders overview)
are declared on the entry's Meta, where `accounts.roles.sync_roles` used to create them by
name. Only the model state changes: the permission rows, and the groups holding them, stay as
they are; `appeals` 0004 runs `sync_roles` once both apps declare theirs."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("submissions", "0010_roles_know_reminders"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="entry",
            options={
                "ordering": ["-activity_date", "-logged_at"],
                "permissions": [
                    ("review_entry",
                     "Can review entries: approve, adjust, reject, request proof"),
                    ("import_attendance", "Can import webinar attendance"),
                    ("view_holder_overview", "Can view the holders overview"),
                ],
                "verbose_name": "entry",
                "verbose_name_plural": "entries",
            },
        ),
    ]
