from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from activities.models import ActivityType
from activities.rules import INPUT_FIELDS, Inputs

from .enums import EntryState
from .models import Entry
from .selectors import EntryAssessment
from .services import assess_inputs, check_proof, refuse


class ActivityTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ActivityType) -> str:
        return f"{obj.name} — {obj.rule_summary}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: object, initial: object = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def check_uploads(files: list[UploadedFile]) -> list[UploadedFile]:
    """Every file must be proof we accept; the error names each file that is not."""
    problems = []
    for upload in files:
        try:
            check_proof(upload)
        except ValidationError as error:
            problems.append(f"{upload.name}: {' '.join(error.messages)}")
    if problems:
        raise ValidationError(problems)
    return files


class EntryForm(forms.Form):
    """Log (or edit) an activity. Cleaning computes the credits and how much counts where, with
    the same rule functions and selector the save uses, so a preview is the save's verdict."""

    activity_type = ActivityTypeChoiceField(
        label=_("Activity"), queryset=ActivityType.objects.filter(active=True),
        empty_label=_("Choose an activity…"),
    )
    activity_date = forms.DateField(
        label=_("Date of the activity"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For an activity over several days, the day it ended."),
    )
    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("E.g. the name of the course, webinar or book."))
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False,
                               help_text=_("Who organised or published it (optional)."))
    hours = forms.DecimalField(
        label=_("Hours"), required=False, min_value=Decimal("0.25"), max_value=Decimal("999"),
        decimal_places=2, widget=forms.NumberInput(attrs={"step": "0.25"}),
        help_text=_("In quarter hours, net of lunch, dinner, drinks and travel."),
    )
    length_minutes = forms.IntegerField(
        label=_("Length of the session (minutes)"), required=False, min_value=1, max_value=6000)
    attended_minutes = forms.IntegerField(
        label=_("Minutes you attended"), required=False, min_value=0, max_value=6000,
        help_text=_("You need to attend at least 80 % of a webinar to earn credits."))
    quantity = forms.DecimalField(
        label=_("How many"), required=False, min_value=Decimal("0.25"),
        max_value=Decimal("10000"), decimal_places=2,
        help_text=_("Pages read, questions written or hours listened, as the activity says."))
    proposed_credits = forms.DecimalField(
        label=_("Credits you propose"), required=False, decimal_places=2,
        min_value=Decimal("0"), max_value=Decimal("999"),
        help_text=_("Within the activity's range; a reviewer may adjust it."))
    description = forms.CharField(
        label=_("What did you learn?"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}))
    relevance_confirmed = forms.BooleanField(
        label=_("This activity is relevant to my field (or a neighbouring one) and is not part "
                "of my regular job."),
        required=True,
        error_messages={"required": _("Confirm that the activity is relevant to your field "
                                      "and not part of your regular job.")},
    )
    proof = MultipleFileField(
        label=_("Proof (optional)"), required=False,
        help_text=_("PDF, PNG or JPEG, at most 10 MB each: a certificate, receipt or "
                    "screenshot. Keep your own copy for at least 12 months."),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, holder: User, today: date,
                 entry_id: int | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.holder, self.today, self.entry_id = holder, today, entry_id
        self.assessment: EntryAssessment | None = None
        # Whether cleaning got as far as the rules (an activity and a date were given).
        self.evaluated = False
        self.inputs: Inputs | None = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("Give the activity a title, e.g. the course or book name."))
        return title

    def clean_proof(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data.get("proof") or [])

    def clean(self) -> dict[str, object]:
        data = super().clean()
        activity_type = data.get("activity_type")
        activity_date = data.get("activity_date")
        if activity_type is None or activity_date is None:
            return data
        self.evaluated = True
        try:
            self.inputs, self.assessment = assess_inputs(
                holder=self.holder, activity_type=activity_type, activity_date=activity_date,
                inputs=Inputs(**{name: data.get(name) for name in INPUT_FIELDS}),
                today=self.today, exclude_entry_ids=[self.entry_id] if self.entry_id else [],
            )
            refuse(self.assessment)
        except ValidationError as error:
            self.add_service_error(error)
        return data

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's refusal on the field it names, or on the form as a whole."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def preview_errors(self) -> list[str]:
        """The errors that decide what the activity earns. Until an activity and its date are
        chosen there is nothing to say (a preview runs while the holder types)."""
        if not self.evaluated:
            return []
        return [message for name in ("__all__", "activity_date", *INPUT_FIELDS)
                for message in self.errors.get(name, [])]

    def service_arguments(self) -> dict[str, object]:
        """The cleaned data as the logging service takes it."""
        data = self.cleaned_data
        return {
            "activity_type": data["activity_type"], "activity_date": data["activity_date"],
            "title": data["title"], "provider": data.get("provider", ""),
            "description": data.get("description", ""),
            "relevance_confirmed": data["relevance_confirmed"],
            **{name: data.get(name) for name in INPUT_FIELDS},
        }


class EntryFilterForm(forms.Form):
    year = forms.ChoiceField(label=_("Certification year"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False,
        choices=[("", _("All states")), *EntryState.choices])
    activity_type = forms.ModelChoiceField(
        label=_("Activity"), required=False, queryset=ActivityType.objects.all(),
        empty_label=_("All activities"))

    def __init__(self, *args: object, year_choices: list[tuple[str, str]],
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *year_choices]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ProofForm(forms.Form):
    proof = MultipleFileField(
        label=_("Proof files"),
        help_text=_("PDF, PNG or JPEG, at most 10 MB each."))

    def clean_proof(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data.get("proof") or [])


class PreviewedEntryForm(forms.Form):
    """Which entry an edit's live preview leaves out of the counting: one of the holder's own.
    Anything else, from another holder's id to a number no column holds, is not a choice."""

    entry_id = forms.ModelChoiceField(queryset=Entry.objects.none(), required=False)

    def __init__(self, *args: object, holder: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry_id"].queryset = Entry.objects.filter(holder=holder)
