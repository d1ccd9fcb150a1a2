"""Forms of the one-thing pages. They parse and redisplay only: every rule about an answer is the
guide's `form_field_validate`, applied by the services, whose ValidationError the views put back on
these forms (a rule is written once; the pages and the API say the same thing).
"""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from zhengtong.services.guide.public import FormField

ACTION = "_action"  # the buttons' field; form fields are [a-z][a-z0-9_]*, so it cannot clash
# WCAG 1.3.5 (identify input purpose), by the registry attribute a field is pre-filled from.
AUTOCOMPLETE = {
    "person.name": "name",
    "person.mobile": "tel",
    "person.address": "street-address",
    "person.birth_date": "bday",
    "company.name": "organization",
    "company.mobile": "tel",
    "company.address": "street-address",
}
YES_NO = (("yes", pgettext_lazy("answer", "Yes")), ("no", pgettext_lazy("answer", "No")))
RADIO_LIMIT = 8  # more choices than this are a drop-down list


def answer_field(field: FormField) -> forms.Field:
    """The Django field that asks `field`, with the widget and input hints of its kind."""
    kind = field.kind
    attrs: dict[str, str] = {}
    if AUTOCOMPLETE.get(field.prefill):
        attrs["autocomplete"] = AUTOCOMPLETE[field.prefill]
    if field.length_limit and kind not in ("choice", "yesno", "date"):
        attrs["maxlength"] = str(field.length_limit)
    if kind in ("choice", "yesno"):
        choices = YES_NO if kind == "yesno" else field.choices
        if kind == "yesno" or len(choices) <= RADIO_LIMIT:
            return forms.ChoiceField(label=field.label, required=field.required, choices=choices,
                                     widget=forms.RadioSelect)
        return forms.ChoiceField(label=field.label, required=field.required,
                                 choices=(("", _("Choose an answer")), *choices))
    if kind in ("textarea", "address"):
        widget = forms.Textarea(attrs={**attrs, "rows": "5" if kind == "textarea" else "3"})
    elif kind == "date":
        widget = forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d")
    elif kind == "email":
        widget = forms.EmailInput(attrs={**attrs, "autocomplete": "email", "spellcheck": "false"})
    elif kind == "mobile":
        widget = forms.TextInput(attrs={"autocomplete": "tel", **attrs, "type": "tel", "inputmode": "tel"})
    elif kind == "number":
        widget = forms.TextInput(attrs={**attrs, "inputmode": "decimal", "spellcheck": "false"})
    elif kind in ("resident_id", "uscc", "division"):
        widget = forms.TextInput(attrs={**attrs, "autocomplete": "off", "spellcheck": "false",
                                        "autocapitalize": "characters"})
    else:
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(label=field.label, required=field.required, strip=True, widget=widget)


class AnswerForm(forms.Form):
    """One question of the merged form, named as the merged form names it."""

    use_required_attribute = False  # the service says what is missing, in one voice

    def __init__(self, *args, field: FormField, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = field
        self.fields[field.name] = answer_field(field)
        if field.help:
            self.fields[field.name].help_text = field.help

    def full_clean(self):
        """No checks of its own (see the module docstring): the answer as typed, trimmed."""
        self._errors = ErrorDict(renderer=self.renderer)
        self.cleaned_data = {}
        if self.is_bound:
            for name, bound in self._bound_items():
                self.cleaned_data[name] = "" if bound.data is None else str(bound.data).strip()

    def answer(self) -> str:
        self.full_clean()
        return self.cleaned_data.get(self.definition.name, "")


class UploadForm(forms.Form):
    """One file for one material; its type, extension and size are checked by the service."""

    file = forms.FileField(label=_("Choose a file"), required=False, allow_empty_file=True)
