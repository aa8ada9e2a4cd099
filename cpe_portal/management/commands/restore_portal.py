"""Restore a backup made by backup_portal into the database of DATABASE_URL and the
configured private storage, after checking every byte of it against its manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from common.storage import private_storage
from cpe_portal.backup import (
    BackupError,
    database_tables,
    read_manifest,
    require_postgresql,
    restore_database,
    restore_files,
    verify,
)


class Command(BaseCommand):
    help = ("Restore database.dump into the (empty) database of DATABASE_URL and put every "
            "file back into the private storage, each checked against the manifest's sha256.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder written by backup_portal")
        parser.add_argument("--force", action="store_true",
                            help="restore into a database that has tables, replacing the "
                                 "objects the backup holds")

    def handle(self, *args: object, folder: Path, force: bool, **options: object) -> None:
        try:
            require_postgresql(connection.settings_dict)
            manifest = read_manifest(folder)
            verify(folder, manifest)
            self.stdout.write(f"Checked the backup of {manifest['created_at']}: the dump and "
                              f"{len(manifest['files'])} files match the manifest.")
            with connection.cursor() as cursor:
                tables = database_tables(cursor)
            connection.close()
            restore_database(folder, database=connection.settings_dict, tables=tables,
                             force=force, say=self.stdout.write)
            restore_files(folder, manifest, storage=private_storage(), say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
