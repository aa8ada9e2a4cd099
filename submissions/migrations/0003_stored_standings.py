# Stored standings: what each counting entry counts toward each certification year, the day an
# entry was reported (it counts only toward years still open then), and the log form's token.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def reported_when_logged(apps, schema_editor):
    """Entries logged so far were reported on the day they were logged."""
    Entry = apps.get_model("submissions", "Entry")
    for entry in Entry.objects.filter(reported_on__isnull=True).only("pk", "logged_at").iterator():
        Entry.objects.filter(pk=entry.pk).update(
            reported_on=timezone.localdate(entry.logged_at))


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0004_quantity_labels'),
        ('certifications', '0003_year_standings'),
        ('submissions', '0002_denial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='YearActivityTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('counted', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='counted credits')),
            ],
            options={
                'verbose_name': 'counted credits of an activity',
                'verbose_name_plural': 'counted credits by activity',
            },
        ),
        migrations.CreateModel(
            name='YearCredit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('activity_date', models.DateField(verbose_name='activity date')),
                ('credits', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='credits')),
                ('counted', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='counted credits')),
                ('stopped_by', models.CharField(blank=True, choices=[('activity_cap', "the activity's annual cap"), ('submission_cap', 'the annual submission cap')], max_length=20, verbose_name='stopped by')),
            ],
            options={
                'verbose_name': 'counted credit',
                'verbose_name_plural': 'counted credits',
            },
        ),
        migrations.RemoveIndex(
            model_name='entry',
            name='entry_holder_date',
        ),
        migrations.AddField(
            model_name='entry',
            name='form_token',
            field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='form token'),
        ),
        migrations.AddField(
            model_name='entry',
            name='reported_on',
            field=models.DateField(null=True, verbose_name='reported on'),
        ),
        migrations.RunPython(reported_when_logged, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='entry',
            name='reported_on',
            field=models.DateField(verbose_name='reported on'),
        ),
        migrations.AddField(
            model_name='prooffile',
            name='form_token',
            field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='form token'),
        ),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(fields=['holder', 'activity_date', 'logged_at', 'id'], include=('state', 'activity_type', 'claimed_credits', 'approved_credits', 'reported_on'), name='entry_holder_order'),
        ),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(condition=models.Q(('state__in', ['pending_approval', 'proof_requested'])), fields=['holder', 'activity_date'], name='entry_holder_undecided'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.UniqueConstraint(condition=models.Q(('form_token__isnull', False)), fields=('holder', 'form_token'), name='entry_one_per_form_token'),
        ),
        migrations.AddField(
            model_name='yearactivitytotal',
            name='activity_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='activities.activitytype', verbose_name='activity type'),
        ),
        migrations.AddField(
            model_name='yearactivitytotal',
            name='year',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity_totals', to='certifications.certificationyear', verbose_name='certification year'),
        ),
        migrations.AddField(
            model_name='yearcredit',
            name='activity_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='activities.activitytype', verbose_name='activity type'),
        ),
        migrations.AddField(
            model_name='yearcredit',
            name='entry',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='year_credits', to='submissions.entry', verbose_name='entry'),
        ),
        migrations.AddField(
            model_name='yearcredit',
            name='year',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='credits', to='certifications.certificationyear', verbose_name='certification year'),
        ),
        migrations.AddConstraint(
            model_name='yearactivitytotal',
            constraint=models.UniqueConstraint(fields=('year', 'activity_type'), name='year_activity_total_once'),
        ),
        migrations.AddConstraint(
            model_name='yearactivitytotal',
            constraint=models.CheckConstraint(condition=models.Q(('counted__gte', 0)), name='year_activity_total_not_negative'),
        ),
        migrations.AddIndex(
            model_name='yearcredit',
            index=models.Index(fields=['year', 'activity_date'], include=('activity_type', 'credits', 'counted'), name='year_credit_by_date'),
        ),
        migrations.AddConstraint(
            model_name='yearcredit',
            constraint=models.UniqueConstraint(fields=('year', 'entry'), name='year_credit_once_per_year'),
        ),
        migrations.AddConstraint(
            model_name='yearcredit',
            constraint=models.CheckConstraint(condition=models.Q(('counted__gte', 0)), name='year_credit_not_negative'),
        ),
    ]
