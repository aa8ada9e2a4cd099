# Years reinstated by an upheld appeal of their certification's decertification say so: met by
# the Board's decision of the day the appeal was decided.

from django.db import migrations
from django.utils import timezone


def record_board_decisions(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    CertificationYear = apps.get_model("certifications", "CertificationYear")
    upheld = Appeal.objects.filter(state="upheld", denial__kind="decertified",
                                   decided_at__isnull=False).select_related("denial")
    for appeal in upheld:
        decided_on = timezone.localdate(appeal.decided_at)
        # The year the close decertified it for: the last one closed before the denial.
        year = (CertificationYear.objects
                .filter(certification_id=appeal.denial.certification_id, state="met",
                        board_decided_on__isnull=True, deadline__lt=appeal.denial.denied_on)
                .order_by("-number").first())
        if year is not None:
            CertificationYear.objects.filter(pk=year.pk).update(board_decided_on=decided_on)


class Migration(migrations.Migration):

    dependencies = [
        ("appeals", "0002_denial_moves_to_submissions"),
        ("certifications", "0004_closed_year_record"),
    ]

    operations = [
        migrations.RunPython(record_board_decisions, migrations.RunPython.noop),
    ]
