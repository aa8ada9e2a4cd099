# The badges' status list reads the decertified certifications on every fetch: a partial index
# of them. Built concurrently: certifications are written meanwhile.

from django.db import migrations, models

from common.migration_operations import AddIndexWithoutLock


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ('certifications', '0005_held_years_index'),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name='certification',
            index=models.Index(condition=models.Q(('status', 'decertified')), fields=['id'], name='certification_decertified'),
        ),
    ]
