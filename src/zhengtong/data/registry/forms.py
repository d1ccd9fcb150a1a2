"""Forms of the registry pages: the search and the reviewer's decision."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind


class SearchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Registry"), choices=Kind.choices, initial=Kind.PERSON)
    identifier = forms.CharField(
        label=_("Resident ID, credit code or mobile"), required=False, max_length=32,
        help_text=_("Found exactly: an 18-character ID or code, or an 11-digit mobile number."),
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=64)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, help_text=_("For example 1991-01-01."))
    registry_id = forms.CharField(label=_("Registry id"), required=False, max_length=20)

    def clean(self):
        data = super().clean()
        if data.get("name") and not data.get("birth_date"):
            self.add_error("birth_date", _("Give the date of birth with the name."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("accept", _("The same person or company")), ("reject", _("Different persons or companies"))],
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3}))
