from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from submissions.attendance import (
    COLUMNS,
    MAX_FILE_BYTES,
    Outcome,
    import_attendance,
    plan_attendance,
    read_attendance_file,
)


class Command(BaseCommand):
    help = (
        f"Import a webinar attendance list: a UTF-8 CSV file with the header "
        f"{', '.join(COLUMNS)}. Logs an entry for each holder who attended enough, as logged "
        f"by the reviewer; lists the rows that logged nothing. A malformed file imports "
        f"nothing; the same rows twice log nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file to import.")
        parser.add_argument("--reviewer", required=True, metavar="EMAIL",
                            help="The staff member the entries are recorded as logged by.")
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Import as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: Any) -> None:
        path: Path = options["file"]
        today: date = options["date"] or timezone.localdate()
        reviewer = User.objects.filter(email__iexact=options["reviewer"], is_staff=True,
                                       is_active=True).first()
        if reviewer is None:
            raise CommandError(_("No active staff member has the email address %(email)s.")
                               % {"email": options["reviewer"]})
        try:
            plan = plan_attendance(read_attendance_file(self._read(path)), today=today)
            report = import_attendance(plan=plan, reviewer=reviewer, today=today)
        except ValidationError as error:
            raise CommandError(
                _("Nothing was imported from %(path)s. Fix these problems and run it again:")
                % {"path": path} + "\n" + "\n".join(error.messages)
            ) from error
        self.stdout.write(report.summary())
        for result in report.results:
            if result.outcome != Outcome.CREATED:
                self.stdout.write(_("row %(row)d (%(email)s): %(outcome)s: %(message)s") % {
                    "row": result.row.number, "email": result.row.email,
                    "outcome": result.outcome.label, "message": result.message})

    def _read(self, path: Path) -> bytes:
        try:
            with path.open("rb") as file:
                # One byte past the limit is enough to refuse a file that is too large.
                return file.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError as error:
            raise CommandError(_("%(path)s: no such file.") % {"path": path}) from error
        except OSError as error:
            raise CommandError(_("%(path)s: cannot be read (%(reason)s).")
                               % {"path": path, "reason": error.strerror}) from error
