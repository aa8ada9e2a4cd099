from datetime import date

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from appeals.closing import BATCH_HOLDERS, close_certification_years


class Command(BaseCommand):
    help = ("Close the certification years whose reporting deadline has passed: met, held for "
            "decisions, or decertified (safe to run again: each year closes once).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")
        parser.add_argument("--batch-holders", type=int, default=BATCH_HOLDERS,
                            help=f"Holders closed per committed batch (default {BATCH_HOLDERS}).")

    def handle(self, *args: object, **options: object) -> None:
        today = options["date"] or timezone.localdate()
        run = close_certification_years(today=today,
                                        batch_holders=max(1, options["batch_holders"]))
        self.stdout.write(
            f"Closed as of {today}: {run.met} year(s) met, {run.decertified} certification(s) "
            f"decertified, {run.held} year(s) held for decisions, {run.exempt} without CPE; "
            f"{run.messages} mail(s).")
