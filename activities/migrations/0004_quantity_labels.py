"""The amount of a per-unit activity, labelled with its unit on the log form and entry page."""

from django.db import migrations
from django.utils.translation import gettext_noop

# Stored in English; gettext_noop puts them in the translation files, and the pages translate
# them when they show them.
LABELS = {
    "read-books": gettext_noop("Pages read"),
    "listen-podcasts": gettext_noop("Hours of podcast"),
    "exam-questions": gettext_noop("Questions written"),
}


def label(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for code, quantity_label in LABELS.items():
        ActivityType.objects.filter(code=code).update(quantity_label=quantity_label)


def unlabel(apps, schema_editor):
    apps.get_model("activities", "ActivityType").objects.filter(code__in=LABELS).update(
        quantity_label="")


class Migration(migrations.Migration):
    dependencies = [("activities", "0003_activitytype_quantity_label")]
    operations = [migrations.RunPython(label, unlabel)]
