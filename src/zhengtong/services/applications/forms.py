"""Forms of the 办件 pages. They only parse and redisplay: every rule about an answer (required,
check digits, dates, choices, lengths) is the guide's `form_field_validate`, applied by the
applications services, whose ValidationError the views put back on these forms. So a rule is
written once, and the page and the API say the same thing.
"""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from zhengtong.services.guide.public import FormField

# The name of the buttons' field: form fields are named [a-z][a-z0-9_]*, so this cannot clash.
ACTION = "_action"

# WCAG 1.3.5 (identify input purpose): what the browser may fill in, by the registry attribute a
# field is pre-filled from. Only attributes of the person or company applying.
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
    """The Django field that asks `field`, with the widget and input hints of its kind.
    `required` only labels it: AnswersForm does not validate (the service does)."""
    kind = field.kind
    attrs: dict[str, str] = {}
    autocomplete = AUTOCOMPLETE.get(field.prefill)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if field.length_limit and kind not in ("choice", "yesno", "date"):
        attrs["maxlength"] = str(field.length_limit)
    if kind in ("choice", "yesno"):
        choices = YES_NO if kind == "yesno" else field.choices
        if kind == "yesno" or len(choices) <= RADIO_LIMIT:
            return forms.ChoiceField(label=field.label, required=field.required, choices=choices,
                                     widget=forms.RadioSelect)
        return forms.ChoiceField(label=field.label, required=field.required,
                                 choices=(("", _("Choose an answer")), *choices), widget=forms.Select)
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
                                        "autocapitalize": "characters", "class": "ap-input--code",
                                        **({"inputmode": "numeric"} if kind == "division" else {})})
    else:
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(label=field.label, required=field.required, strip=True, widget=widget)


class AnswersForm(forms.Form):
    """One or more questions of an application form, named as in the form definition."""

    use_required_attribute = False  # the service says what is missing, in one voice

    def __init__(self, *args, fields: tuple[FormField, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.definitions = {field.name: field for field in fields}
        for field in fields:
            self.fields[field.name] = answer_field(field)
            if field.help:
                self.fields[field.name].help_text = field.help

    def full_clean(self):
        """No checks of its own: the answers are taken as typed (trimmed) and the service's
        ValidationError is added with add_error, so each problem is reported once, in its words."""
        self._errors = ErrorDict(renderer=self.renderer)
        self.cleaned_data = {}
        if not self.is_bound:
            return
        for name, bound in self._bound_items():
            value = bound.data
            self.cleaned_data[name] = "" if value is None else str(value).strip()

    def answers(self) -> dict[str, str]:
        """The submitted answers, as text."""
        self.full_clean()
        return dict(self.cleaned_data)


class MaterialUploadForm(forms.Form):
    """One file for one material; the type, extension and size checks are the service's."""

    file = forms.FileField(label=_("File"), required=False, allow_empty_file=True)

    def __init__(self, *args, material_code: str, **kwargs):
        super().__init__(*args, prefix=f"m-{material_code}", **kwargs)


class TaskActForm(forms.Form):
    """An officer's decision on a task: the outcome and, to reject or send back, what and why."""

    outcome = forms.ChoiceField(label=_("Your decision"), widget=forms.RadioSelect,
                                error_messages={"required": _("Choose your decision."),
                                                "invalid_choice": _("Choose one of the decisions offered.")})
    note = forms.CharField(
        label=_("Reasons or what the applicant must fix"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": "5"}),
        help_text=_("Required to reject or to send back for correction. The applicant sees it."),
    )

    use_required_attribute = False

    def __init__(self, *args, outcomes: tuple[tuple[str, str], ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why are you withdrawing the application?"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": "3"}))

    use_required_attribute = False


class MeasuresFilterForm(forms.Form):
    """The period of the measures page; both ends optional."""

    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("For example 2026-01-01"))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("For example 2026-12-31"))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", forms.ValidationError(_("The end of the period must be on or after its start."),
                                                          code="order"))
        return data
