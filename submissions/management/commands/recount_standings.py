from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import User
from submissions.standings.check import check_standings
from submissions.standings.recount import rebuild_standings


class Command(BaseCommand):
    help = ("Rebuild the stored standings (counted credits per entry and certification year, "
            "each year's totals, and each holder's count of entries) from the entries; with "
            "--check, only compare and list every difference (exit status 1 when there is "
            "one).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true",
                            help="Compare with a recount and list differences; change nothing.")
        parser.add_argument("--holder", metavar="EMAIL",
                            help="Only this holder (default: every holder).")
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Open the years that have begun by this day (YYYY-MM-DD); "
                                 "default today.")

    def handle(self, *args: object, **options: object) -> None:
        holders = User.objects.all()
        if options["holder"]:
            holders = User.objects.filter(email__iexact=options["holder"])
            if not holders.exists():
                raise CommandError(f"No holder has the email address {options['holder']}.")
        if options["check"]:
            differences = 0
            for difference in check_standings(holders):
                self.stdout.write(str(difference))
                differences += 1
            if differences:
                raise CommandError(f"{differences} difference(s) between the stored standings "
                                   f"and a recount. Run recount_standings to rebuild them.")
            self.stdout.write("0 differences: the stored standings equal a recount.")
            return
        rebuilt = rebuild_standings(today=options["date"] or timezone.localdate(),
                                    holders=holders)
        self.stdout.write(f"Recounted the certification years of {rebuilt.holders} holder(s): "
                          f"{rebuilt.years_opened} year(s) opened, {rebuilt.rows_changed} "
                          f"counted credit(s) changed.")
