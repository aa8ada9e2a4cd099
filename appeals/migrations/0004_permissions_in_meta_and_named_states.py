"""The Board's permission (decide an appeal) is declared on the appeal's Meta, as the entry's
are (`submissions` 0011); then the staff roles are written again (`accounts.roles.sync_roles`),
which on a new database creates those permissions and gives them to their groups, and on an
existing one finds them in place: no group loses one.

The decision constraint now reads its states from the named groups of `appeals.enums`, in
sorted order: the same condition, rewritten."""

from django.conf import settings
from django.db import migrations, models

from accounts.roles import sync_roles


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_outbox_context"),
        ("appeals", "0003_board_decided_years"),
        ("submissions", "0011_entry_permissions_in_meta"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="appeal",
            options={
                "ordering": ["-filed_at"],
                "permissions": [
                    ("decide_appeal", "Can record the Board's decision on an appeal")],
                "verbose_name": "appeal",
                "verbose_name_plural": "appeals",
            },
        ),
        migrations.RemoveConstraint(
            model_name="appeal",
            name="appeal_decision_with_reasons",
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("decided_at__isnull", False),
                             ("state__in", ["dismissed", "upheld"]),
                             models.Q(("decision_reason", ""), _negated=True)),
                    models.Q(("decided_at__isnull", True),
                             ("state__in", ["filed", "scheduled"])),
                    _connector="OR"),
                name="appeal_decision_with_reasons"),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
