"""Forms of the guide's workspace pages. They only turn what was typed into the services' values
(numbers, yes/no, fee lines, the form fields' JSON); every rule is the services' to check, and
their errors are put back on the fields they name."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import MaterialSource
from .services import ACCEPTED_FILE_TYPES, MATERIAL_FORMS, process_names

FORM_LABELS = {"electronic": _("Electronic"), "paper": _("Paper"), "both": _("Electronic or paper")}


def _lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


class ImplementationForm(forms.Form):
    """The elements of an implementation list (办事指南) that a division varies."""

    department = forms.CharField(label=_("Implementing department code"), max_length=32,
                                 help_text=_("For example 330106-RS. The department is at the division or above it."))
    conditions = forms.CharField(label=_("Conditions for acceptance"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    legal_days = forms.IntegerField(label=_("Statutory time limit (working days)"), min_value=0)
    promised_days = forms.IntegerField(label=_("Promised time limit (working days)"), min_value=0,
                                       help_text=_("At most the statutory time limit."))
    fees = forms.CharField(label=_("Fees"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("One fee a line: name|amount in fen|basis, e.g. 工本费|1000|《收费标准》. "
                                       "Leave empty when the service is free."))
    result_name = forms.CharField(label=_("Result"), max_length=200)
    result_licence_type = forms.CharField(label=_("Licence type of the result"), max_length=64, required=False,
                                          help_text=_("When the result is issued as an e-licence."))
    visits = forms.IntegerField(label=_("Visits on site"), min_value=0, help_text=_("0 means zero visits (跑零次)."))
    online = forms.BooleanField(label=_("Can be applied for online"), required=False)
    mobile = forms.BooleanField(label=_("Can be applied for on a phone"), required=False)
    instant = forms.BooleanField(label=_("Instant approval (秒办)"), required=False)
    process = forms.ChoiceField(label=_("Process"))
    decision = forms.CharField(label=_("Decision table (DMN)"), max_length=64, required=False,
                               help_text=_("Only for instant approval."))
    form_fields = forms.CharField(label=_("Form fields (JSON)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
                                  help_text=_("A list of {name, label, kind, required, choices, prefill, help, "
                                              "max_length}."))
    place = forms.CharField(label=_("Place"), max_length=255, required=False)
    hours = forms.CharField(label=_("Office hours"), max_length=255, required=False)
    consultation = forms.CharField(label=_("Enquiries"), max_length=255, required=False)
    complaints = forms.CharField(label=_("Complaints"), max_length=255, required=False)
    special_steps = forms.CharField(label=_("Special steps"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].choices = [(name, name) for name in process_names()]

    def clean_fees(self) -> list[dict]:
        fees = []
        for number, line in enumerate(_lines(self.cleaned_data["fees"]), start=1):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3 or not parts[1].isdigit():
                raise ValidationError(
                    _("Line %(line)s: write name|amount in fen (a whole number)|basis"), params={"line": number},
                    code="fees")
            fees.append({"name": parts[0], "amount_fen": int(parts[1]), "basis": parts[2]})
        return fees

    def clean_form_fields(self) -> list:
        text = self.cleaned_data["form_fields"].strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError(_("This is not valid JSON: %(error)s"), params={"error": str(error)},
                                  code="form_fields") from None

    @classmethod
    def initial_from(cls, implementation) -> dict:
        return {
            **{name: getattr(implementation, name) for name in cls.base_fields if name not in ("department", "fees",
                                                                                                  "form_fields")},
            "department": implementation.department.code,
            "fees": "\n".join(f"{f.get('name', '')}|{f.get('amount_fen', 0)}|{f.get('basis', '')}"
                              for f in implementation.fees or ()),
            "form_fields": json.dumps(implementation.form_fields, ensure_ascii=False, indent=2)
            if implementation.form_fields else "",
        }


class NewImplementationForm(ImplementationForm):
    item_code = forms.CharField(label=_("Item code"), max_length=64)
    division = forms.CharField(label=_("Division code"), max_length=12)

    field_order = ["item_code", "division", "department"]


class MaterialForm(forms.Form):
    code = forms.CharField(label=_("Material code"), max_length=64, help_text=_("a-z, 0-9, _ and -"))
    name = forms.CharField(label=_("Material name"), max_length=200)
    copies = forms.IntegerField(label=_("Copies"), min_value=1, initial=1)
    form = forms.ChoiceField(label=_("Form"), choices=[(value, FORM_LABELS[value]) for value in MATERIAL_FORMS])
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    source = forms.ChoiceField(label=_("Source"), choices=MaterialSource.choices)
    source_ref = forms.CharField(label=_("Fetched from"), max_length=128, required=False,
                                 help_text=_("Sharing service code, licence type, or the producing item's code."))
    accepted_types = forms.CharField(label=_("Accepted file types"), max_length=100, required=False,
                                     help_text=", ".join(ACCEPTED_FILE_TYPES))
    max_bytes = forms.IntegerField(label=_("Largest upload (bytes)"), min_value=1, initial=10 * 1024 * 1024)
    basis = forms.CharField(label=_("Basis"), max_length=255, required=False)

    def has_changed(self) -> bool:
        # A row without a code or a name is the spare row left empty, whatever its defaults.
        filled = any(str(self.data.get(self.add_prefix(name), "")).strip() for name in ("code", "name"))
        return filled and super().has_changed()

    def clean_accepted_types(self) -> list[str]:
        return [t for t in self.cleaned_data["accepted_types"].replace("，", ",").replace(" ", ",").split(",") if t]


MaterialFormSet = forms.formset_factory(MaterialForm, extra=1, can_delete=True)


def material_initial(material) -> dict:
    return {
        "code": material.code, "name": material.name, "copies": material.copies, "form": material.form,
        "required": material.required, "source": material.source, "source_ref": material.source_ref,
        "accepted_types": ", ".join(material.accepted_types or ()), "max_bytes": material.max_bytes,
        "basis": material.basis,
    }


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Why is it suspended?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Applicants see that the service is suspended; the reason is kept in the ledger."))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx)"),
                           help_text=_("In the standard layout: export a file to start from. Nothing is imported if "
                                       "any row has an error."))
