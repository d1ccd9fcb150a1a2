"""Forms of the catalog pages. Field names match the services' keyword arguments, so a service's
ValidationError lands on the field it is about."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DatasetStatus, Grade, Licence, OpenType, RuleKind, Sensitivity, ShareType, UpdateCycle
from .vocabularies import Theme

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SearchForm(forms.Form):
    """The catalog's search box and facet selections (all optional; a bad value is ignored)."""

    q = forms.CharField(label=_("Search the catalog"), required=False, max_length=200)
    department = forms.CharField(required=False, max_length=32)
    theme = forms.ChoiceField(required=False, choices=Theme.choices)
    share_type = forms.ChoiceField(required=False, choices=ShareType.choices)
    open_type = forms.ChoiceField(required=False, choices=OpenType.choices)
    grade = forms.ChoiceField(required=False, choices=Grade.choices)
    sensitivity = forms.ChoiceField(required=False, choices=Sensitivity.choices)
    update_cycle = forms.ChoiceField(required=False, choices=UpdateCycle.choices)
    status = forms.ChoiceField(required=False, choices=DatasetStatus.choices)

    FACET_NAMES = ("department", "theme", "share_type", "open_type", "grade", "sensitivity", "update_cycle", "status")

    def selections(self) -> dict:
        """The valid facet selections; invalid ones are dropped rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.FACET_NAMES if name not in self.errors}

    def query(self) -> str:
        self.is_valid()
        return "" if "q" in self.errors else (getattr(self, "cleaned_data", {}).get("q") or "")


class DatasetForm(forms.Form):
    """Registration (with department and optional resource code) or metadata editing."""

    resource_code = forms.CharField(
        label=_("Resource code"), required=False, max_length=64,
        help_text=_("Leave empty to have one generated from the department code, such as 330106-GA-00001."),
    )
    owner_department_id = forms.TypedChoiceField(
        label=_("Providing department"), coerce=int,
        error_messages={"required": _("Choose the department that provides the data.")},
    )
    title = forms.CharField(label=_("Dataset title"), max_length=200,
                            error_messages={"required": _("Give the dataset a title.")})
    title_en = forms.CharField(label=_("Dataset title in English"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What the dataset holds"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Whose records, which facts about them, where they come from."),
        error_messages={"required": _("Describe what the dataset holds.")},
    )
    description_en = forms.CharField(
        label=_("Description in English"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    keywords = forms.CharField(
        label=_("Keywords"), required=False, help_text=_("Separate keywords with commas or 、, e.g. 户籍、人口."),
    )
    theme = forms.ChoiceField(label=_("Data theme"), required=False, choices=[("", _("Choose a theme")), *Theme.choices])
    spatial_code = forms.CharField(
        label=_("Area covered"), required=False, max_length=12,
        help_text=_("A division code (GB/T 2260), such as 330106. Leave empty for the department's own area."),
    )
    temporal_start = forms.DateField(label=_("Records from"), required=False, widget=DATE_INPUT)
    temporal_end = forms.DateField(label=_("Records until"), required=False, widget=DATE_INPUT)
    share_type = forms.ChoiceField(label=_("Sharing between departments"), choices=ShareType.choices,
                                   widget=forms.RadioSelect,
                                   error_messages={"required": _("Choose how the dataset is shared.")})
    open_type = forms.ChoiceField(
        label=_("Opening to the public"), choices=OpenType.choices, widget=forms.RadioSelect,
        help_text=_("L4 data is never opened; L2 and L3 data only on application. Data not shared is not opened."),
        error_messages={"required": _("Choose whether the dataset is opened to the public.")},
    )
    grade = forms.ChoiceField(
        label=_("Data grade (GB/T 43697)"), choices=Grade.choices, widget=forms.RadioSelect, initial=Grade.GENERAL,
        help_text=_("Core data is L4; important data is L3 or L4."),
        error_messages={"required": _("Choose the data grade.")},
    )
    sensitivity = forms.ChoiceField(label=_("Sensitivity level (DB33/T 2350)"), choices=Sensitivity.choices,
                                    widget=forms.RadioSelect,
                                    error_messages={"required": _("Choose the sensitivity level.")})
    update_cycle = forms.ChoiceField(label=_("Update cycle"), choices=[("", _("Choose an update cycle")),
                                                                      *UpdateCycle.choices],
                                     error_messages={"required": _("Choose how often the data is updated.")})
    licence = forms.ChoiceField(label=_("Licence when opened"), choices=Licence.choices, initial=Licence.CC_BY_4_0)
    contact_name = forms.CharField(label=_("Contact point"), required=False, max_length=64,
                                   help_text=_("A team or post rather than a person's name."))
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Contact telephone"), required=False, max_length=32)

    def __init__(self, *args, departments=None, registering: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if registering:
            self.fields["owner_department_id"].choices = [("", _("Choose a department"))] + [
                (department.id, department.name) for department in departments
            ]
            if len(self.fields["owner_department_id"].choices) == 2:
                self.fields["owner_department_id"].initial = self.fields["owner_department_id"].choices[1][0]
        else:
            del self.fields["resource_code"]
            del self.fields["owner_department_id"]

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        if "resource_code" in data:
            data["resource_code"] = data["resource_code"] or None
        return data

    @staticmethod
    def initial_from(dataset) -> dict:
        return {
            "title": dataset.title, "title_en": dataset.title_en, "description": dataset.description,
            "description_en": dataset.description_en, "keywords": "、".join(dataset.keywords),
            "theme": dataset.theme, "spatial_code": dataset.spatial.code if dataset.spatial_id else "",
            "temporal_start": dataset.temporal_start, "temporal_end": dataset.temporal_end,
            "share_type": dataset.share_type, "open_type": dataset.open_type, "grade": dataset.grade,
            "sensitivity": dataset.sensitivity, "update_cycle": dataset.update_cycle, "licence": dataset.licence,
            "contact_name": dataset.contact_name, "contact_email": dataset.contact_email,
            "contact_phone": dataset.contact_phone,
        }


def _json_field(value: str, message) -> object:
    """`message` names what failed to parse, with %(line)s, %(column)s and %(error)s."""
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            message, code="json", params={"line": error.lineno, "column": error.colno, "error": error.msg},
        ) from None


class SchemaForm(forms.Form):
    descriptor = forms.CharField(
        label=_("Table schema (Frictionless JSON)"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "zt-code-input"}),
        help_text=_(
            "A Frictionless Table Schema: a “fields” list of {name, title, type, format, constraints}, and a "
            "“primaryKey”. Fields may add “domainType” (resident_id, uscc, division_code, mobile, cn_date) "
            "and “maskingKind” (name, resident_id, mobile, address, email, credit_code, bank_account, "
            "free_text, plain). Saving makes a new version; earlier versions stay as they were."
        ),
    )

    def clean_descriptor(self):
        return _json_field(self.cleaned_data["descriptor"],
                           _("The schema is not valid JSON: line %(line)s, column %(column)s: %(error)s."))


class RuleForm(forms.Form):
    code = forms.CharField(label=_("Rule code"), max_length=64,
                           help_text=_("Lower-case letters, digits, “_” and “-”, such as id-in-population-register."))
    kind = forms.ChoiceField(label=_("Kind of rule"), choices=RuleKind.choices)
    field = forms.ChoiceField(label=_("Field checked"), required=False)
    params = forms.CharField(
        label=_("Parameters (JSON)"), required=False, initial="{}",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "By kind: pattern {\"regex\": …}; enum {\"values\": […]}; range {\"minimum\": …, \"maximum\": …}; "
            "date {\"format\": a date pattern}; unique over several fields {\"fields\": […]}; "
            "consistency {\"check\": \"birth_date_matches_resident_id\", \"fields\": {\"resident_id\": …, "
            "\"birth_date\": …}}; reference {\"dataset\": resource code, \"field\": …}; others {}."
        ),
    )
    description = forms.CharField(label=_("What the rule is for"), required=False, max_length=200)

    def __init__(self, *args, field_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("No single field"))] + [(name, name) for name in field_names]

    def clean_params(self):
        value = self.cleaned_data["params"].strip() or "{}"
        return _json_field(value, _("The parameters are not valid JSON: line %(line)s, column %(column)s: %(error)s."))


class RetireForm(forms.Form):
    reason = forms.CharField(label=_("Why the dataset is retired"), required=False, max_length=200)
