from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from submissions.reminders import send_cpe_reminders


class Command(BaseCommand):
    help = ("Send the reminders due today: of certification years not met, at each of "
            "CPE_REMINDER_DAYS before their deadline, and of proof due within 7 days (safe to "
            "run again: nothing is sent twice).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        today = options["date"] or timezone.localdate()
        run = send_cpe_reminders(today=today)
        self.stdout.write(
            f"Reminders as of {today}: {run.year_reminders} certification year(s) and "
            f"{run.proof_reminders} proof request(s), in {run.messages} mail(s).")
