from django import forms


class ResetFeedForm(forms.Form):
    """The reset button's form: the generation of the address the holder was shown, so the same
    form posted twice replaces the address once."""

    generation = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
