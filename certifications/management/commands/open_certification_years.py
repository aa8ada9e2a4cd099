from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from certifications.services import ensure_certification_years


class Command(BaseCommand):
    help = "Create the certification-year rows that have begun (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        today = options["date"] or timezone.localdate()
        created = ensure_certification_years(today=today)
        self.stdout.write(f"Opened {created} certification year(s) as of {today}.")
