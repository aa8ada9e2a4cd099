from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.services import records_changed
from common.admin import HistoryAdmin, ReadOnlyInline

from .enums import YearState
from .models import Certification, CertificationLevel, CertificationTitle, CertificationYear


class YearOutcomeMixin:
    """A certification year's state as staff read it, with what only the record says: held for
    decisions since when, or met by the Board's decision of which day."""

    @admin.display(description=_("state"), ordering="state")
    def outcome(self, obj: CertificationYear) -> str:
        if obj.board_decided_on is not None:
            return _("met by the Board's decision of %(date)s") % {
                "date": date_format(obj.board_decided_on)}
        if obj.held_since is not None and obj.state == YearState.WAITING:
            return _("held for decisions since %(date)s") % {
                "date": date_format(obj.held_since)}
        return obj.get_state_display()


@admin.register(CertificationLevel)
class CertificationLevelAdmin(HistoryAdmin):
    list_display = ("name", "code", "required_credits", "position")
    search_fields = ("name", "code")
    ordering = ("position",)


@admin.register(CertificationTitle)
class CertificationTitleAdmin(HistoryAdmin):
    list_display = ("name", "code", "level", "field", "active")
    list_filter = ("level", "field", "active")
    list_select_related = ("level",)
    search_fields = ("name", "code")


class CertificationYearInline(YearOutcomeMixin, ReadOnlyInline):
    # The close writes the outcome and keeps what it counted; a year opens on its own page for
    # the rest of its record (closed at, counted at the close).
    model = CertificationYear
    fields = ("number", "starts_on", "ends_on", "deadline", "required_credits",
              "counted_credits", "outcome")
    show_change_link = True


@admin.register(Certification)
class CertificationAdmin(HistoryAdmin):
    """A certification, to read. Awarding one and correcting its holder, title or award date
    move the stored standings, which the app above this one keeps: `submissions` registers this
    page again with the add and change forms that go through its services. Decertification and
    its undoing come with a denial, a revoked or restored badge and mail: the year-end close
    and the Board's decision make them, never a field edit."""

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
    readonly_fields = ("status", "decertified_on", "badge_id", "created_at")
    inlines = (CertificationYearInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest,
                              obj: Certification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest,
                              obj: Certification | None = None) -> bool:
        return False

    @admin.display(description=_("level"), ordering="title__level__position")
    def level(self, obj: Certification) -> str:
        return obj.title.level.name


@admin.register(CertificationYear)
class CertificationYearAdmin(YearOutcomeMixin, admin.ModelAdmin):
    """A certification year, to read: the award lays its dates and requirement, the recount
    keeps its standing, the close decides it. Nothing here is typed over."""

    list_display = ("certification", "number", "starts_on", "ends_on", "deadline",
                    "required_credits", "outcome", "counted_credits")
    list_filter = ("state", "certification__title__level")
    list_select_related = ("certification__holder", "certification__title")
    search_fields = ("certification__holder__email", "certification__holder__full_name",
                     "certification__title__name", "certification__title__code")
    date_hierarchy = "deadline"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest,
                              obj: CertificationYear | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest,
                              obj: CertificationYear | None = None) -> bool:
        return False


class CertificationInline(ReadOnlyInline):
    """A holder's certifications, to read. Each opens on its own page, where an administrator
    corrects it (through the service that lays its years again and recounts), and a new one is
    awarded on the certification add page."""

    model = Certification
    fk_name = "holder"
    fields = ("title", "awarded_on", "status", "decertified_on", "badge_id")
    select_related = ("title",)
    show_change_link = True


# A holder's certifications are shown on their user page. Users belong to accounts, below this
# app, so the user admin is registered again here with the inline rather than importing upward.
admin.site.unregister(User)


@admin.register(User)
class HolderAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, CertificationInline)
    readonly_fields = (*UserAdmin.readonly_fields, "award_certification_link")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (*fieldsets, (_("Certifications"), {"fields": ("award_certification_link",)}))

    @admin.display(description=_("new certification"))
    def award_certification_link(self, obj: User) -> str:
        # The award page lays the years and counts the holder's entries toward them.
        url = reverse("admin:certifications_certification_add")
        return format_html('<a href="{}?holder={}">{}</a>', url, obj.pk,
                           _("Award a certification to this holder"))

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The holder's cached pages show their name and certifications.
        records_changed(holder_ids=[form.instance.pk])
