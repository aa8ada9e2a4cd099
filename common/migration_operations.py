"""Migration operations the portal's migrations share."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexWithoutLock(AddIndexConcurrently):
    """An index on a table that is written while the migration runs: `CREATE INDEX
    CONCURRENTLY` on PostgreSQL (writes go on while it is built), a plain `CREATE INDEX`
    elsewhere (SQLite, for `make run`, has no such thing and no concurrent writers to spare).
    Its migration must say `atomic = False`."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor,
                                                     from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor,
                                                      from_state, to_state)
