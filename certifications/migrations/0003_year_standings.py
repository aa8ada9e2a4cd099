# Stored standings on every certification year: counted credits and credits awaiting a decision.

from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('certifications', '0002_levels_and_titles'),
    ]

    operations = [
        migrations.AddField(
            model_name='certificationyear',
            name='undecided_credits',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=8, verbose_name='credits awaiting a decision'),
        ),
        # Counted credits were kept only at a year's close; now every year keeps them. Years
        # without a value start at 0 until `recount_standings` rebuilds them from the entries.
        migrations.RunSQL(
            'UPDATE certifications_certificationyear SET counted_credits = 0 '
            'WHERE counted_credits IS NULL',
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='certificationyear',
            name='counted_credits',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=8, verbose_name='counted credits'),
        ),
        migrations.AddConstraint(
            model_name='certificationyear',
            constraint=models.CheckConstraint(condition=models.Q(('counted_credits__gte', 0), ('undecided_credits__gte', 0)), name='certification_year_standing_not_negative'),
        ),
    ]
