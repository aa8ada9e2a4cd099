from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from certifications.importing import COLUMNS, import_certified_holders, read_csv


class Command(BaseCommand):
    help = (
        f"Import certified holders and their certifications from a UTF-8 CSV file with the "
        f"header {','.join(COLUMNS)} (award dates as YYYY-MM-DD). All or nothing; safe to run "
        f"again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file to import.")
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Import as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: Any) -> None:
        path: Path = options["file"]
        today: date = options["date"] or timezone.localdate()
        try:
            rows = read_csv(self._read_text(path))
            result = import_certified_holders(rows=rows, today=today)
        except ValidationError as error:
            raise CommandError(
                f"Nothing was imported from {path}. Fix these problems and run it again:\n"
                + "\n".join(error.messages)
            ) from error
        self.stdout.write(result.summary())

    def _read_text(self, path: Path) -> str:
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file.") from error
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror}).") from error
        try:
            # utf-8-sig: spreadsheets saving "CSV UTF-8" start the file with a byte-order mark.
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(
                f"Nothing was imported from {path}: it is not UTF-8 text (byte {error.start} "
                f"cannot be read). Save it as \"CSV UTF-8\" and run it again."
            ) from error
