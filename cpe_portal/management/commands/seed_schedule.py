"""Add the default scheduled jobs that are missing from beat's schedule in the database.

Run after every `migrate` (`make run` and docker-compose do). A job that exists by name is
left as it is, so a time or an enabled flag an operator changed in the admin stays.
"""

from django.apps import apps
from django.core.management.base import BaseCommand

from cpe_portal.schedule import seed_schedule


class Command(BaseCommand):
    help = "Create the default periodic tasks that do not exist yet; change none that exist."

    def handle(self, *args: object, **options: object) -> None:
        created = seed_schedule(apps)
        for name in created:
            self.stdout.write(f"Scheduled {name}.")
        self.stdout.write(f"{len(created)} created; the periodic tasks that existed are unchanged.")
