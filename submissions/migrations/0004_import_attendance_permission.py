# The permission to import webinar attendance lists, which log entries for holders.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0003_stored_standings'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='entry',
            options={'ordering': ['-activity_date', '-logged_at'], 'permissions': [('import_attendance', 'Can import webinar attendance')], 'verbose_name': 'entry', 'verbose_name_plural': 'entries'},
        ),
    ]
