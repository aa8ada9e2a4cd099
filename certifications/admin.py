from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.services import records_changed

from .models import Certification, CertificationLevel, CertificationTitle, CertificationYear

# Written by the year-end job: closing a year decides recertification, so it is not typed in.
YEAR_CLOSE_FIELDS = ("state", "counted_credits", "closed_at")


@admin.register(CertificationLevel)
class CertificationLevelAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "required_credits", "position")
    search_fields = ("name", "code")
    ordering = ("position",)


@admin.register(CertificationTitle)
class CertificationTitleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "level", "field", "active")
    list_filter = ("level", "field", "active")
    list_select_related = ("level",)
    search_fields = ("name", "code")


class CertificationYearInline(admin.TabularInline):
    model = CertificationYear
    fields = ("number", "starts_on", "ends_on", "deadline", "required_credits",
              *YEAR_CLOSE_FIELDS)
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(Certification)
class CertificationAdmin(SimpleHistoryAdmin):
    list_display = ("title", "holder", "level", "awarded_on", "status", "decertified_on")
    list_filter = ("status", "title__level", "title__field", "title")
    list_select_related = ("holder", "title__level")
    search_fields = (
        "holder__email", "holder__full_name", "title__name", "title__code", "badge_id__exact",
    )
    date_hierarchy = "awarded_on"
    autocomplete_fields = ("holder", "title")
    fields = ("holder", "title", "awarded_on", "status", "decertified_on", "badge_id",
              "created_at")
    # Decertification and its undoing come with a denial, a revoked or restored badge and mail:
    # the year-end job and the appeal decision make them, never a field edit.
    readonly_fields = ("status", "decertified_on", "badge_id", "created_at")
    inlines = (CertificationYearInline,)

    @admin.display(description=_("level"), ordering="title__level__position")
    def level(self, obj: Certification) -> str:
        return obj.title.level.name

    def save_model(self, request: HttpRequest, obj: Certification, form: forms.ModelForm,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The holder's cached pages show their certifications.
        records_changed(holder_ids=[obj.holder_id])


@admin.register(CertificationYear)
class CertificationYearAdmin(admin.ModelAdmin):
    list_display = ("certification", "number", "starts_on", "ends_on", "deadline",
                    "required_credits", "state", "counted_credits")
    list_filter = ("state", "certification__title__level")
    list_select_related = ("certification__holder", "certification__title")
    search_fields = ("certification__holder__email", "certification__holder__full_name",
                     "certification__title__name", "certification__title__code")
    date_hierarchy = "deadline"
    autocomplete_fields = ("certification",)
    readonly_fields = (*YEAR_CLOSE_FIELDS,)


class CertificationInline(admin.TabularInline):
    model = Certification
    fk_name = "holder"
    fields = ("title", "awarded_on", "status", "decertified_on", "badge_id")
    # Decertification and its undoing are decisions with side effects (a denial, the badge,
    # mail): the year-end job and the appeal decision make them, not a field edit.
    readonly_fields = ("status", "decertified_on", "badge_id")
    autocomplete_fields = ("title",)
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("title")


# A holder's certifications are shown on their user page. Users belong to accounts, below this
# app, so the user admin is registered again here with the inline rather than importing upward.
admin.site.unregister(User)


@admin.register(User)
class HolderAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, CertificationInline)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The holder's cached pages show their name and certifications.
        records_changed(holder_ids=[form.instance.pk])
