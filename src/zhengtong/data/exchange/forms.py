"""Forms of the exchange pages: the directory's search, the basket, decisions and grant actions.

Forms check the shape of the input (a date is a date, a choice is offered); the rules themselves
are the services', whose ValidationErrors come back next to the field they concern
(service_errors_add).
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ServiceKind, SharingGrant, SharingService
from .services import EVERY_ROW, SHANGHAI, ItemSpec

SHARE_TYPES = [("unconditional", _("Shared unconditionally")), ("conditional", _("Shared on conditions"))]
SHOWN_AS_IS = ("plain", "credit_code")
OWN_DIVISION = "own"  # the basket's row scope choice for the requester's own division (the default)


class _CheckedByTheService:
    """A field shown as needed whose emptiness the service refuses, together with every other
    problem of the basket (a form-level "required" would hide those until the next try)."""

    def validate(self, value):
        if value not in self.empty_values:
            super().validate(value)


class NeededChoices(_CheckedByTheService, forms.MultipleChoiceField):
    pass


class NeededChoice(_CheckedByTheService, forms.ChoiceField):
    pass


class NeededTypedChoice(_CheckedByTheService, forms.TypedChoiceField):
    pass


class NeededText(_CheckedByTheService, forms.CharField):
    pass


class NeededDate(_CheckedByTheService, forms.DateField):
    pass


def service_errors_add(form: forms.Form, error: ValidationError, mapping: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: each key on the field it maps to (or the field
    of that name), the rest on the form as a whole."""
    mapping = mapping or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = mapping.get(key, key)
        form.add_error(name if name in form.fields else None, messages)


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("Search the directory"), required=False, max_length=200,
                        help_text=_("Words from a service's name, description or fields, or its code."))
    department = forms.TypedChoiceField(label=_("Providing department"), required=False, coerce=int, empty_value=None)
    share_type = forms.ChoiceField(label=_("Share type"), required=False,
                                   choices=[("", _("Any share type")), *SHARE_TYPES])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *ServiceKind.choices])

    def __init__(self, *args, departments: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Any department")), *departments]


class BasketForm(forms.Form):
    """一揽子申请: several services in one form, each with its fields, unmasked fields and rows,
    and what the whole basket is for."""

    # The form checks only the shape of each value (a date, an offered system); the service says
    # what is missing or wrong, for the whole basket at once.
    api_client = NeededTypedChoice(
        label=_("The system that will call"), coerce=int, empty_value=None,
        help_text=_("One of your department's registered systems (API clients); the grants are for it."))
    purpose = NeededText(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("What the data is for, as the owning department and the people concerned "
                                          "will read it in the access log."))
    legal_basis = NeededText(label=_("Legal basis"),
                                  help_text=_("The law, regulation or policy that allows this use, e.g. "
                                              "《社会保险法》第七十五条."))
    expires_on = NeededDate(label=_("Grants expire on"), widget=forms.DateInput(format="%Y-%m-%d"),
                                 help_text=_("At most three years from today, for example 2027-06-30."))

    def __init__(self, *args, services: list[SharingService], clients: list, scopes: list[tuple[str, str]],
                 chosen: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.services = services
        self.fields["api_client"].choices = [("", _("Choose a system")), *((c.id, c.name) for c in clients)]
        if not self.is_bound:
            self.fields["expires_on"].initial = timezone.localdate(timezone=SHANGHAI) + timedelta(days=365)
        scope_choices = [(OWN_DIVISION, _("%(division)s (my division)") % {"division": name})
                         for _prefix, name in scopes[:1]]
        scope_choices += [(prefix, name) for prefix, name in scopes[1:]]
        scope_choices.append((EVERY_ROW, _("Every row")))
        for service in services:
            code = service.code
            self.fields[f"{code}-include"] = forms.BooleanField(
                label=_("Ask for “%(service)s”") % {"service": service.name}, required=False,
                initial=code in chosen)
            # Needed for a service asked for (and ignored for the others): the service says so.
            self.fields[f"{code}-fields"] = NeededChoices(
                label=_("Fields"), widget=forms.CheckboxSelectMultiple,
                choices=[(f["name"], f"{f['title']}（{f['name']}）") for f in service.fields])
            maskable = [f for f in service.fields if f.get("masking_kind") not in SHOWN_AS_IS]
            if maskable:
                self.fields[f"{code}-plain"] = forms.MultipleChoiceField(
                    label=_("Of those, unmasked"), required=False, widget=forms.CheckboxSelectMultiple,
                    help_text=_("Masked unless you ask and the owner agrees; ask only where the purpose needs it."),
                    choices=[(f["name"], f"{f['title']}（{f['name']}）") for f in maskable])
            if service.division_field:
                self.fields[f"{code}-scope"] = NeededChoice(
                    label=_("Row scope"), choices=scope_choices, initial=OWN_DIVISION,
                    help_text=_("Only the records of this division are given."))

    def sections(self) -> list[dict]:
        """Each service with its bound fields, for the template."""
        return [{
            "service": service,
            "include": self[f"{service.code}-include"],
            "fields": self[f"{service.code}-fields"],
            "plain": self[f"{service.code}-plain"] if f"{service.code}-plain" in self.fields else None,
            "scope": self[f"{service.code}-scope"] if f"{service.code}-scope" in self.fields else None,
        } for service in self.services]

    def items(self) -> list[ItemSpec]:
        data = self.cleaned_data
        def scope(service) -> str:
            value = data.get(f"{service.code}-scope") or OWN_DIVISION
            return "" if value == OWN_DIVISION else value

        return [ItemSpec(service.code, tuple(data.get(f"{service.code}-fields") or ()),
                         tuple(data.get(f"{service.code}-plain") or ()), scope(service))
                for service in self.services if data.get(f"{service.code}-include")]

    def error_mapping(self) -> dict[str, str]:
        mapping = {"api_client_id": "api_client", "items": "__all__"}
        for service in self.services:
            code = service.code
            mapping[f"items.{code}"] = f"{code}-include"
            mapping[f"items.{code}.fields"] = f"{code}-fields"
            mapping[f"items.{code}.clear_fields"] = f"{code}-plain"
            mapping[f"items.{code}.row_scope"] = f"{code}-scope"
        return mapping


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Your decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Needed when you reject: the requesting department reads it."))

    def __init__(self, *args, prefix_id: str = "", **kwargs):
        super().__init__(*args, prefix=f"item-{prefix_id}" if prefix_id else None, **kwargs)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revocation"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("The other department sees it. The grant stops working at once."))


class GrantChangeForm(forms.Form):
    fields_kept = NeededChoices(label=_("Fields granted"), widget=forms.CheckboxSelectMultiple,
                                            help_text=_("Untick a field to take it away; none can be added."))
    clear_kept = forms.MultipleChoiceField(label=_("Fields given unmasked"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(label=_("Expires on"), widget=forms.DateInput(format="%Y-%m-%d"))
    rate_limit_per_minute = forms.IntegerField(label=_("Calls per minute"), min_value=1, max_value=100_000)

    def __init__(self, *args, grant: SharingGrant, **kwargs):
        super().__init__(*args, **kwargs)
        titles = {f["name"]: f["title"] for f in grant.service.fields}
        self.fields["fields_kept"].choices = [(n, f"{titles.get(n, n)}（{n}）") for n in grant.fields]
        self.fields["clear_kept"].choices = [(n, f"{titles.get(n, n)}（{n}）") for n in grant.clear_fields]
        if not grant.clear_fields:
            del self.fields["clear_kept"]
        if not self.is_bound:
            self.initial.update({
                "fields_kept": list(grant.fields), "clear_kept": list(grant.clear_fields),
                "expires_on": timezone.localtime(grant.expires_at, SHANGHAI).date(),
                "rate_limit_per_minute": grant.rate_limit_per_minute,
            })


class SubscribeForm(forms.Form):
    url = forms.URLField(label=_("Your system's endpoint"), max_length=500, assume_scheme="https",
                         help_text=_("An HTTPS address; each new version of the service's data is announced "
                                     "there as a signed message."))


class MeterForm(forms.Form):
    days = forms.TypedChoiceField(label=_("Period"), coerce=int, required=False, empty_value=30,
                                  choices=[(7, _("Last 7 days")), (30, _("Last 30 days")), (90, _("Last 90 days"))])
    service = forms.ChoiceField(label=_("Service"), required=False)

    def __init__(self, *args, services: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Every service")), *services]
