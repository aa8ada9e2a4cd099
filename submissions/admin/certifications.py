"""The certification admin with its writes: awarding a certification and correcting one's
holder, title or award date go through `submissions.awards`, which lays the years again and
recounts the stored standings. Registered here, over the read-only page of `certifications`,
because the standings live in this app."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certifications.admin import CertificationAdmin
from certifications.models import Certification
from certifications.services import (
    CHANGE_REASON_LENGTH,
    certification_change_refusal,
    check_certification_change,
)

from ..awards import correct_certification, register_certification

# The fields an administrator gives: the rest (status, decertification, badge) is the services'.
AWARD_FIELDS = ("holder", "title", "awarded_on")


class CertificationAwardForm(forms.ModelForm):
    """A new certification: the service's own checks, shown on the form."""

    class Meta:
        model = Certification
        fields = AWARD_FIELDS

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            # Before the instance takes the posted values: it is the certification as stored.
            check_certification_change(
                certification=self.instance if self.instance.pk else None,
                holder=cleaned["holder"], title=cleaned["title"],
                awarded_on=cleaned["awarded_on"], today=timezone.localdate())
        return cleaned


class CertificationCorrectionForm(CertificationAwardForm):
    """A correction of a certification's holder, title or award date, with why."""

    reason = forms.CharField(
        label=_("reason for the change"), required=False, max_length=CHANGE_REASON_LENGTH,
        help_text=_("Kept in the certification's history. The certification years are laid "
                    "again from the award date and the holders' credits counted again."))

    class Meta(CertificationAwardForm.Meta):
        fields = (*AWARD_FIELDS, "reason")

    def clean(self) -> dict:
        cleaned = super().clean()
        if (not self.errors and set(self.changed_data) & set(AWARD_FIELDS)
                and not cleaned.get("reason", "").strip()):
            self.add_error("reason", _("Say why the certification is changed."))
        return cleaned


admin.site.unregister(Certification)


@admin.register(Certification)
class AwardAdmin(CertificationAdmin):
    """Certifications with the award and the correction forms. Still no delete, and status and
    decertification stay read-only: the close and the Board change them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The read-only page refuses everyone; here the user's own permission decides.
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_change_permission(self, request: HttpRequest,
                              obj: Certification | None = None) -> bool:
        # A certification whose record holds a decision is shown read-only, saying why.
        if obj is not None and certification_change_refusal(obj) is not None:
            return False
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        certification = self.get_object(request, object_id)
        refusal = certification and certification_change_refusal(certification)
        if refusal and request.method == "GET":
            messages.info(request, refusal)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fields(self, request: HttpRequest, obj: Certification | None = None):
        if obj is None:
            return AWARD_FIELDS
        if not self.has_change_permission(request, obj):
            return (*AWARD_FIELDS, *self.readonly_fields)
        return (*AWARD_FIELDS, "reason", *self.readonly_fields)

    def get_form(self, request: HttpRequest, obj: Certification | None = None,
                 **kwargs: object):
        correcting = obj is not None and self.has_change_permission(request, obj)
        kwargs["form"] = CertificationCorrectionForm if correcting else CertificationAwardForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Certification | None):
        return self.inlines if obj else ()

    def save_model(self, request: HttpRequest, obj: Certification, form: forms.ModelForm,
                   change: bool) -> None:
        data, today = form.cleaned_data, timezone.localdate()
        if change:
            saved = correct_certification(
                certification=obj, holder=data["holder"], title=data["title"],
                awarded_on=data["awarded_on"], reason=data["reason"], by=request.user,
                today=today)
        else:
            saved = register_certification(holder=data["holder"], title=data["title"],
                                           awarded_on=data["awarded_on"], today=today)
        # The admin goes on with the form's instance (its message, the redirect).
        vars(obj).update(vars(saved))

