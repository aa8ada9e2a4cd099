from allauth.account.forms import SignupForm
from django import forms
from django.utils.translation import gettext_lazy as _


class HolderSignupForm(SignupForm):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200,
        help_text=_("As it appears on your certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    field_order = ["full_name", "email", "password1", "password2"]

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your full name."))
        return name
