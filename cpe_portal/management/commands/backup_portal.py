"""Back up the portal into a new folder: the database (pg_dump, custom format), every private
file, and a manifest of their sizes and sha256 (see cpe_portal.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from common.storage import private_storage
from cpe_portal.backup import BackupError, back_up


class Command(BaseCommand):
    help = ("Write database.dump (pg_dump --format=custom of DATABASE_URL), files/ (every "
            "object of the private storage) and manifest.json into a new, empty folder.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder that does not exist or is empty")

    def handle(self, *args: object, folder: Path, **options: object) -> None:
        try:
            back_up(folder, database=connection.settings_dict, storage=private_storage(),
                    now=timezone.now(), say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
