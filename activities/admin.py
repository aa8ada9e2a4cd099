from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import HistoryAdmin

from .models import ActivityType


@admin.register(ActivityType)
class ActivityTypeAdmin(HistoryAdmin):
    list_display = (
        "name", "code", "rule_kind", "rate", "annual_cap", "needs_approval", "active", "position",
    )
    list_filter = ("rule_kind", "needs_approval", "active")
    search_fields = ("name", "code")
    ordering = ("position", "name")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = ("earns",)
    fieldsets = (
        (None, {"fields": ("name", "code", "help_text", "active", "position")}),
        (
            _("What it earns"),
            {
                "description": _(
                    "Entries keep the credits computed when they were logged: a change here "
                    "applies to entries logged from now on."
                ),
                "fields": (
                    "rule_kind", "rate", "unit_size", "unit_label", "quantity_label",
                    "quantity_step",
                    "range_min", "range_max", "min_attendance_percent", "earns",
                ),
            },
        ),
        (_("Cap and review"), {"fields": ("annual_cap", "needs_approval")}),
    )

    @admin.display(description=_("as holders see it"))
    def earns(self, obj: ActivityType) -> str:
        return obj.rule_summary if obj.pk else "—"
