"""Seed beat's schedule in the database with the default jobs (`settings.CPE_DEFAULT_SCHEDULE`).

Jobs that exist by name are left as they are. Jobs added to the default schedule later reach
existing databases through the `seed_schedule` command, which runs after every `migrate`.
"""

from django.db import migrations

from cpe_portal.schedule import seed_schedule


class Migration(migrations.Migration):

    dependencies = [
        # Crontabs with a time zone came in 0010.
        ("django_celery_beat", "0011_auto_20190508_0153"),
    ]

    operations = [
        migrations.RunPython(seed_schedule, migrations.RunPython.noop),
    ]
