import uuid
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
from common.prepared import Prepared

from .assessment import EntryAssessment
from .enums import EntryState
from .models import Entry
from .services import EntryDetails, assess_inputs, check_proof, refuse


class ActivityTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ActivityType) -> str:
        return f"{obj.name} — {obj.rule_summary}"

    def to_python(self, value: object) -> ActivityType | None:
        # The form looks up its activity while it is built (to label its inputs) and again
        # when it is cleaned: one query, not two.
        looked_up = getattr(self, "_looked_up", None)
        if looked_up is not None and looked_up[0] == value:
            return looked_up[1]
        activity_type = super().to_python(value)
        self._looked_up = (value, activity_type)
        return activity_type


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
        # The chosen activity's own label replaces this one (see __init__).
        label=_("Amount"), required=False, min_value=Decimal("0.25"),
        max_value=Decimal("10000"), decimal_places=2,
        help_text=_("Pages read, hours of podcast or questions written, as the activity says."))
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
    # One token a rendered form: the same form posted twice logs one entry.
    form_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, holder: User, today: date,
                 editing: Entry | None = None, assess: bool = True, **kwargs: object) -> None:
        """`assess=False` leaves what the entry counts to the service that saves it, which
        checks it again under the holder's lock anyway: a save skips the preview's check."""
        super().__init__(*args, **kwargs)
        self.holder, self.today, self.editing, self.assess = holder, today, editing, assess
        self.fields["form_token"].initial = uuid.uuid4()
        self.assessment: EntryAssessment | None = None
        # Whether cleaning got as far as the rules (an activity and a date were given).
        self.evaluated = False
        self.inputs: Inputs | None = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.chosen_activity_type = self._chosen_activity_type()
        if self.chosen_activity_type is not None:
            self.fields["quantity"].label = self.chosen_activity_type.amount_label

    def _chosen_activity_type(self) -> ActivityType | None:
        """The activity the form is shown for (posted, or the entry's when editing), so the page
        fits it before any script runs; None when none or no valid one is chosen."""
        try:
            return self.fields["activity_type"].clean(self["activity_type"].value())
        except ValidationError:
            return None

    @property
    def rule_fields(self) -> tuple[str, ...]:
        """The inputs the chosen activity asks for; none until one is chosen."""
        if self.chosen_activity_type is None:
            return ()
        return self.chosen_activity_type.rule.input_fields

    def given_amounts(self) -> list[tuple[str, object]]:
        """(label, value) of each input the chosen activity reads, as cleaned: what the confirm
        step repeats."""
        if self.chosen_activity_type is None:
            return []
        return [(self[name].label, self.cleaned_data.get(name))
                for name in self.chosen_activity_type.rule.input_fields
                if self.cleaned_data.get(name) is not None]

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
        if activity_type is None or activity_date is None or not self.assess:
            return data
        self.evaluated = True
        try:
            self.inputs, self.assessment = assess_inputs(
                holder=self.holder, activity_type=activity_type, activity_date=activity_date,
                inputs=Inputs.from_data(data), today=self.today, editing=self.editing,
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

    def details(self) -> EntryDetails:
        """The cleaned data as logging and editing take it."""
        return EntryDetails.from_data(self.cleaned_data)


# The list's filter is shown on every first view of the entry list: its choices' query is
# compiled once.
_EVERY_ACTIVITY = Prepared(lambda: ActivityType.objects.values_list("pk", "name"))


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
        # The activities read once, as a list: the list's filter writes them out (a model
        # choice field's own choices count them first, a query of its own).
        activity_type = self.fields["activity_type"]
        activity_type.choices = [("", activity_type.empty_label), *_EVERY_ACTIVITY.rows()]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ProofForm(forms.Form):
    proof = MultipleFileField(
        label=_("Proof files"),
        help_text=_("PDF, PNG or JPEG, at most 10 MB each."))
    # One token a rendered form: the same upload posted twice stores its files once.
    form_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form_token"].initial = uuid.uuid4()

    def clean_proof(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data.get("proof") or [])


class WithdrawForm(forms.Form):
    """Why the holder withdraws an entry: kept with the entry's history for reviewers."""

    reason = forms.CharField(
        label=_("Why do you withdraw this entry?"), max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. “Logged twice” or “Wrong date”. Reviewers see it in the entry's "
                    "history."),
        error_messages={
            "required": _("Say why you withdraw this entry, e.g. “Logged twice”."),
            "max_length": _("Keep the reason to at most %(limit_value)d characters "
                            "(it has %(show_value)d)."),
            "null_characters_not_allowed": _(
                "The reason contains a control character that cannot be saved; type it again "
                "without it."),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class PreviewedEntryForm(forms.Form):
    """Which entry an edit's live preview leaves out of the counting: one of the holder's own.
    Anything else, from another holder's id to a number no column holds, is not a choice."""

    entry_id = forms.ModelChoiceField(queryset=Entry.objects.none(), required=False)

    def __init__(self, *args: object, holder: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry_id"].queryset = Entry.objects.filter(holder=holder)
