from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from appeals.retention import purge_expired_proof


class Command(BaseCommand):
    help = ("Delete stored proof CPE_PROOF_RETENTION_MONTHS months after the end of its "
            "certification year, unless a proof request, a decision or an appeal on it is "
            "still open (safe to run again).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        today = options["date"] or timezone.localdate()
        run = purge_expired_proof(today=today)
        self.stdout.write(f"Proof past retention as of {today}: {run.files} file(s) deleted "
                          f"({run.bytes:,} bytes).")
