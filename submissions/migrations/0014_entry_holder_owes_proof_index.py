# The dashboard's proof owed read by partial indexes of their own: the first ten in order, all
# counted from the index, and each year's credits among them summed from the index (the entries
# waiting for their holder's proof are few). Built concurrently: entries are written meanwhile.

from django.conf import settings
from django.db import migrations, models

from common.migration_operations import AddIndexWithoutLock


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ('activities', '0004_quantity_labels'),
        ('submissions', '0013_holder_entries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name='entry',
            index=models.Index(condition=models.Q(('proof_submitted_at__isnull', True), ('state', 'proof_requested')), fields=['holder', 'proof_due_on', 'activity_date', 'id'], name='entry_holder_owes_proof'),
        ),
        AddIndexWithoutLock(
            model_name='entry',
            index=models.Index(condition=models.Q(('proof_submitted_at__isnull', True), ('state', 'proof_requested')), fields=['holder', 'activity_date'], include=('reported_on', 'claimed_credits', 'approved_credits'), name='entry_holder_owes_proof_by_day'),
        ),
    ]
