from datetime import date

from django.core.management.base import CommandParser

from common.jobs import JobCommand
from yearend.closing import BATCH_HOLDERS, close_certification_years


class Command(JobCommand):
    help = ("Close the certification years whose reporting deadline has passed: met, held for "
            "decisions, or decertified (safe to run again: each year closes once).")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--batch-holders", type=int, default=BATCH_HOLDERS,
                            help=f"Holders closed per committed batch (default {BATCH_HOLDERS}).")

    def run(self, *, today: date, **options: object) -> str:
        run = close_certification_years(today=today,
                                        batch_holders=max(1, int(options["batch_holders"])))
        return (f"Closed as of {today}: {run.met} year(s) met, {run.decertified} "
                f"certification(s) decertified, {run.held} year(s) held for decisions, "
                f"{run.exempt} without CPE; {run.messages} mail(s).")
