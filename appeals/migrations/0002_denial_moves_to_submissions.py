# The Denial model now lives in submissions (its table was renamed there): appeals point at it
# and forget their own copy. Nothing changes in the database here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0001_initial'),
        ('submissions', '0002_denial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='appeal',
                    name='denial',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='appeal', to='submissions.denial', verbose_name='denial'),
                ),
                migrations.DeleteModel(name='Denial'),
            ],
        ),
    ]
