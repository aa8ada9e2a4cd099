# Each holder's count of entries, kept by triggers on the entries table so that every writer
# keeps it (the services, bulk loads, fixtures): on PostgreSQL one statement-level trigger per
# insert or delete, which adds each statement's entries per holder at once (a bulk load of a
# million entries writes one row per holder), and a row trigger for the (never made) move of an
# entry to another holder; SQLite has row triggers only. Filled from the entries already there.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION submissions_entries_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO submissions_holderentries AS kept (holder_id, entries)
        SELECT holder_id, count(*) FROM added_entries GROUP BY holder_id
        ON CONFLICT (holder_id) DO UPDATE SET entries = kept.entries + excluded.entries;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION submissions_entries_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE submissions_holderentries AS kept SET entries = kept.entries - removed.entries
        FROM (SELECT holder_id, count(*) AS entries FROM removed_entries GROUP BY holder_id)
             AS removed
        WHERE kept.holder_id = removed.holder_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION submissions_entry_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE submissions_holderentries SET entries = entries - 1
        WHERE holder_id = OLD.holder_id;
        INSERT INTO submissions_holderentries AS kept (holder_id, entries)
        VALUES (NEW.holder_id, 1)
        ON CONFLICT (holder_id) DO UPDATE SET entries = kept.entries + 1;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER entries_added AFTER INSERT ON submissions_entry
    REFERENCING NEW TABLE AS added_entries
    FOR EACH STATEMENT EXECUTE FUNCTION submissions_entries_added()
    """,
    """
    CREATE TRIGGER entries_removed AFTER DELETE ON submissions_entry
    REFERENCING OLD TABLE AS removed_entries
    FOR EACH STATEMENT EXECUTE FUNCTION submissions_entries_removed()
    """,
    """
    CREATE TRIGGER entry_moved AFTER UPDATE OF holder_id ON submissions_entry
    FOR EACH ROW WHEN (OLD.holder_id IS DISTINCT FROM NEW.holder_id)
    EXECUTE FUNCTION submissions_entry_moved()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER entries_added ON submissions_entry",
    "DROP TRIGGER entries_removed ON submissions_entry",
    "DROP TRIGGER entry_moved ON submissions_entry",
    "DROP FUNCTION submissions_entries_added()",
    "DROP FUNCTION submissions_entries_removed()",
    "DROP FUNCTION submissions_entry_moved()",
]
SQLITE = [
    """
    CREATE TRIGGER entries_added AFTER INSERT ON submissions_entry BEGIN
        INSERT INTO submissions_holderentries (holder_id, entries) VALUES (NEW.holder_id, 1)
        ON CONFLICT (holder_id) DO UPDATE SET entries = entries + 1;
    END
    """,
    """
    CREATE TRIGGER entries_removed AFTER DELETE ON submissions_entry BEGIN
        UPDATE submissions_holderentries SET entries = entries - 1
        WHERE holder_id = OLD.holder_id;
    END
    """,
    """
    CREATE TRIGGER entry_moved AFTER UPDATE OF holder_id ON submissions_entry
    WHEN OLD.holder_id <> NEW.holder_id BEGIN
        UPDATE submissions_holderentries SET entries = entries - 1
        WHERE holder_id = OLD.holder_id;
        INSERT INTO submissions_holderentries (holder_id, entries) VALUES (NEW.holder_id, 1)
        ON CONFLICT (holder_id) DO UPDATE SET entries = entries + 1;
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER entries_added", "DROP TRIGGER entries_removed",
                  "DROP TRIGGER entry_moved"]
FILL = """
    INSERT INTO submissions_holderentries (holder_id, entries)
    SELECT holder_id, count(*) FROM submissions_entry GROUP BY holder_id
"""


def keep_counts(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No entry is written between the fill and the triggers.
        schema_editor.execute("LOCK TABLE submissions_entry IN SHARE ROW EXCLUSIVE MODE")
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def stop_keeping_counts(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_pending_job'),
        ('submissions', '0012_audit_entries_and_draw_key'),
    ]

    operations = [
        migrations.CreateModel(
            name='HolderEntries',
            fields=[
                ('holder', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL, verbose_name='holder')),
                ('entries', models.PositiveIntegerField(default=0, verbose_name='entries')),
            ],
            options={
                'verbose_name': "holder's entry count",
                'verbose_name_plural': "holders' entry counts",
                'default_permissions': (),
            },
        ),
        migrations.RunPython(keep_counts, stop_keeping_counts),
    ]
