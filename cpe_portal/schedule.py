"""Celery beat's schedule, kept in the database by django-celery-beat.

Operators move, disable and add periodic tasks in the admin (*Periodic tasks*). The portal's
default schedule (`settings.CPE_DEFAULT_SCHEDULE`) only seeds it: `seed_schedule` creates the
tasks that are missing by name and never touches one that exists. It runs from a data
migration and from the `seed_schedule` command after every `migrate`.
"""

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone


def seed_schedule(apps: Any, schema_editor: Any = None) -> list[str]:
    """Create the periodic tasks of `settings.CPE_DEFAULT_SCHEDULE` that no row has the name
    of, each on a crontab in `TIME_ZONE`, enabled, without arguments. Works with the installed
    models and with a migration's historical `apps`. Returns the names created, in schedule
    order.

    Side effects: the missing PeriodicTask rows, a CrontabSchedule row for a time no row has
    yet, and (when a task was created) the change marker a running beat polls. A task that
    exists is left exactly as it is, whatever an operator made of it: another time, disabled,
    other arguments.
    """
    using = schema_editor.connection.alias if schema_editor is not None else DEFAULT_DB_ALIAS
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")

    created = []
    with transaction.atomic(using=using):
        existing = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
        for name, entry in settings.CPE_DEFAULT_SCHEDULE.items():
            if name in existing:
                continue
            times = {"minute": entry["minute"], "hour": entry["hour"], "day_of_week": "*",
                     "day_of_month": "*", "month_of_year": "*",
                     "timezone": settings.TIME_ZONE}
            # Rows are shared the way django-celery-beat shares them: one per time.
            crontab = (CrontabSchedule.objects.using(using).filter(**times).order_by("pk").first()
                       or CrontabSchedule.objects.using(using).create(**times))
            _, made = PeriodicTask.objects.using(using).get_or_create(
                name=name, defaults={"task": entry["task"], "crontab": crontab,
                                     "args": "[]", "kwargs": "{}", "enabled": True})
            if made:
                created.append(name)
        if created:
            # What django-celery-beat's signals do for the installed models (a migration's
            # models send none): a running beat reads the schedule again.
            PeriodicTasks.objects.using(using).update_or_create(
                ident=1, defaults={"last_update": timezone.now()})
    return created
