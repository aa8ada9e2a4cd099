from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import records_changed
from activities.admin import ActivityTypeAdmin
from activities.models import ActivityType
from activities.rules import INPUT_FIELDS
from certifications.admin import CertificationLevelAdmin
from certifications.models import CertificationLevel
from common.admin import ReadOnlyInline

from . import admin_holders  # noqa: F401 (registers the holders overview)
from .models import Entry, EntryStateChange, ProofFile
from .services import EntryDetails, check_entry, log_entry, recount_after_catalogue_change


class EntryStateChangeInline(ReadOnlyInline):
    """The audit trail of an entry: read-only, written only by the services."""

    model = EntryStateChange
    select_related = ("changed_by",)
    fields = ("changed_at", "from_state", "to_state", "changed_by", "reason")


class ProofFileInline(ReadOnlyInline):
    """What proof an entry has. The file itself is private: no link to it is shown here."""

    model = ProofFile
    select_related = ("uploaded_by",)
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")


class EntryAddForm(forms.ModelForm):
    """Staff log an activity for a holder. The checks are the service's own (what it earns,
    dates, caps); saving goes through the same service, which computes the claimed credits."""

    class Meta:
        model = Entry
        fields = ("holder", "activity_type", "activity_date", "title", "provider",
                  "description", *INPUT_FIELDS, "relevance_confirmed")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = ActivityType.objects.filter(active=True)
        self.fields["relevance_confirmed"].required = True

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        check_entry(holder=cleaned["holder"], details=EntryDetails.from_data(cleaned),
                    today=timezone.localdate())
        return cleaned


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "holder", "activity_type", "activity_date", "claimed_credits",
                    "approved_credits", "state", "logged_at")
    list_filter = ("state", "activity_type", "relevance_confirmed")
    list_select_related = ("holder", "activity_type")
    search_fields = ("title", "provider", "holder__email", "holder__full_name")
    date_hierarchy = "activity_date"
    autocomplete_fields = ("holder", "activity_type")
    add_form = EntryAddForm
    fieldsets = (
        (None, {"fields": ("holder", "activity_type", "activity_date", "title", "provider",
                           "description")}),
        (_("What the holder did"), {"fields": INPUT_FIELDS}),
        (_("Credits and state"), {"fields": ("claimed_credits", "approved_credits", "state",
                                             "relevance_confirmed", "logged_at", "updated_at")}),
    )
    # Computed when logged, or changed only by the review workflow, which records who, when and
    # why: never typed into this form.
    readonly_fields = ("claimed_credits", "approved_credits", "state", "logged_at", "updated_at")
    inlines = (EntryStateChangeInline, ProofFileInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Entry | None = None):
        # What an entry earns follows from these; changing them here would leave its credits
        # wrong. The holder edits them through the rules, before a review decision.
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "holder", "activity_type", "activity_date",
                *INPUT_FIELDS)

    def get_fieldsets(self, request: HttpRequest, obj: Entry | None = None):
        if obj is None:
            return ((None, {"fields": EntryAddForm.Meta.fields}),)
        return super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj: Entry | None = None, **kwargs: object):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Entry | None):
        return self.inlines if obj else ()

    def save_model(self, request: HttpRequest, obj: Entry, form: forms.ModelForm,
                   change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            # The holder's cached pages show the entry's title and words.
            records_changed(holder_ids=[obj.holder_id])
            return
        data = form.cleaned_data
        # The service checks again under the holder's lock; what the form saw may have changed
        # in between only if the holder logged something in the same instant.
        logged = log_entry(holder=data["holder"], details=EntryDetails.from_data(data),
                           today=timezone.localdate(), by=request.user)
        # The admin goes on with the form's instance (history, redirect): make it the saved row.
        vars(obj).update(vars(logged))


# A change of an annual cap or of a level's requirement changes what open years count. The
# stored standings live here, so the catalogue's and the levels' admins are registered again
# here, with the recount, rather than calling up from the apps below.
admin.site.unregister(ActivityType)
admin.site.unregister(CertificationLevel)


class RecountOnChange:
    """Saving a change of `recount_field` recounts the open years it affects, and says so."""

    recount_field: str
    recount_message: str

    def save_model(self, request: HttpRequest, obj: ActivityType | CertificationLevel,
                   form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change and self.recount_field in form.changed_data:
            if isinstance(obj, ActivityType):
                recount_after_catalogue_change(activity_type=obj)
            else:
                recount_after_catalogue_change(level=obj)
            self.message_user(request, self.recount_message, messages.INFO)  # type: ignore[attr-defined]


@admin.register(ActivityType)
class CatalogueAdmin(RecountOnChange, ActivityTypeAdmin):
    recount_field = "annual_cap"
    recount_message = _("The open certification years where this activity counts are being "
                        "recounted with the new cap.")


@admin.register(CertificationLevel)
class LevelAdmin(RecountOnChange, CertificationLevelAdmin):
    recount_field = "required_credits"
    recount_message = _("The open certification years of this level's titles take the new "
                        "requirement and are being recounted.")
