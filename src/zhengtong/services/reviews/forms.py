"""Forms of the review pages: they parse; the services validate."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ONLINE_INDICATORS, ReviewLevel

LEVEL_CHOICES = [(str(value), label) for value, label in reversed(ReviewLevel.choices)]


class ReviewForm(forms.Form):
    """一事一评 on the portal: the online channel and its indicators."""

    level = forms.ChoiceField(label=_("How satisfied are you with how this application was handled?"),
                              choices=LEVEL_CHOICES, widget=forms.RadioSelect,
                              error_messages={"required": _("Choose how satisfied you are.")})
    comment = forms.CharField(label=_("Tell us more"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Officers see your comment, never your name."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in ONLINE_INDICATORS.items():
            self.fields[f"indicator_{code}"] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("Not rated")), *LEVEL_CHOICES])

    def indicators(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"indicator_{code}"] for code in ONLINE_INDICATORS
                if self.cleaned_data.get(f"indicator_{code}")}


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class FixRatingForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("Are you satisfied with how the department put it right?"), widget=forms.RadioSelect,
        choices=[("yes", _("Yes, close it")), ("no", _("No, it is not put right"))], coerce=lambda v: v == "yes",
        error_messages={"required": _("Say whether you are satisfied with the fix.")})
    note = forms.CharField(label=_("What is still wrong?"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
