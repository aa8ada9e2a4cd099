# Denials move from appeals to submissions, next to the entries they deny: review, the year-end
# close and the Board all make them through one service here, and appeals sit on top. The table
# is renamed, not recreated, so existing denials and the appeals that point at them stay.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0001_initial'),
        ('certifications', '0002_levels_and_titles'),
        ('submissions', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE appeals_denial RENAME TO submissions_denial',
                    reverse_sql='ALTER TABLE submissions_denial RENAME TO appeals_denial',
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name='Denial',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('entry_rejected', 'entry rejected'), ('credits_adjusted', 'credit value adjusted'), ('decertified', 'decertified')], max_length=20, verbose_name='kind')),
                        ('denied_on', models.DateField(verbose_name='date of denial')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('certification', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='denials', to='certifications.certification', verbose_name='certification')),
                        ('entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='denials', to='submissions.entry', verbose_name='entry')),
                        ('holder', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='denials', to=settings.AUTH_USER_MODEL, verbose_name='holder')),
                    ],
                    options={
                        'verbose_name': 'denial',
                        'verbose_name_plural': 'denials',
                        'ordering': ['-denied_on', '-pk'],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('certification__isnull', False), ('kind', 'decertified')), models.Q(models.Q(('kind', 'decertified'), _negated=True), ('entry__isnull', False)), _connector='OR'), name='denial_names_what_was_denied')],
                    },
                ),
            ],
        ),
    ]
