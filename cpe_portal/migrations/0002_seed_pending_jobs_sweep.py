"""Seed beat's schedule with the sweep of pending jobs (`run-pending-jobs`), which the default
schedule gained after 0001: `seed_schedule` adds what is missing by name and changes nothing
that exists."""

from django.db import migrations

from cpe_portal.schedule import seed_schedule


class Migration(migrations.Migration):

    dependencies = [
        ("cpe_portal", "0001_default_schedule"),
    ]

    operations = [
        migrations.RunPython(seed_schedule, migrations.RunPython.noop),
    ]
