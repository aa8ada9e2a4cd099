from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from submissions.forms import MultipleFileField


class AppealForm(forms.Form):
    rationale = forms.CharField(
        label=_("Why the decision is wrong"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("At most %(words)d words (about two pages). Or upload your rationale as a "
                    "PDF of at most two pages below.") % {"words": settings.CPE_APPEAL_MAX_WORDS})
    rationale_pdf = forms.FileField(
        label=_("Rationale as PDF (optional)"), required=False,
        help_text=_("At most two pages, not password-protected."))
    documents = MultipleFileField(
        label=_("Supporting documents (optional)"), required=False,
        help_text=_("PDF, PNG or JPEG, at most 10 MB each: certificates, receipts, letters."))
