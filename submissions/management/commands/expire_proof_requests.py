from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from submissions.deadlines import expire_proof_requests


class Command(BaseCommand):
    help = ("Reject the entries whose requested proof did not arrive by its deadline, each with "
            "a denial and a mail (safe to run again: each entry is rejected once).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        today = options["date"] or timezone.localdate()
        run = expire_proof_requests(today=today)
        self.stdout.write(f"Proof deadlines as of {today}: {run.rejected} entry(ies) rejected; "
                          f"{run.messages} mail(s).")
