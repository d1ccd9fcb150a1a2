"""Forms of the mydata pages: a correction, checking the department's answer, an authorization."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services import PROPOSED_MAX_LENGTH, REASON_MAX_LENGTH

CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_CONSENT_DAYS = 90


class CorrectionForm(forms.Form):
    proposed_value = forms.CharField(
        label=_("What is right"), max_length=PROPOSED_MAX_LENGTH,
        help_text=_("Write the value as it should be, e.g. the correct address."),
    )
    reason = forms.CharField(
        label=_("Why"), required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: I moved on 1 March; my household register shows the new address."),
    )


class VerifyForm(forms.Form):
    resolved = forms.ChoiceField(
        label=_("Is your data right now?"), widget=forms.RadioSelect,
        choices=[("yes", _("Yes, it is corrected: close the request")),
                 ("no", _("No, it is still wrong: send it back to the department"))],
    )
    note = forms.CharField(
        label=_("What is still wrong"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you send it back."),
    )

    def clean(self):
        data = super().clean()
        if data.get("resolved") == "no" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what is still wrong, so the department can put it right."))
        return data


def china_today() -> date:
    return timezone.localdate(timezone.now(), CHINA)


def end_of_day(day: date) -> datetime:
    """An authorization ending "on" a date lasts to the end of that day, Beijing time."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA)


class AuthorizationForm(forms.Form):
    """授权第三方: which system, which of my data, what for, until when."""

    api_client = forms.TypedChoiceField(label=_("System"), coerce=int, empty_value=None)
    services = forms.MultipleChoiceField(
        label=_("Data services"), widget=forms.CheckboxSelectMultiple,
        help_text=_("The departments' data about you the system may read."),
    )
    data_fields = forms.MultipleChoiceField(
        label=_("Fields"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Only these fields of the services you chose."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=500,
                              help_text=_("What the system may use your data for, e.g. a mortgage application."))
    expires_on = forms.DateField(
        label=_("Authorization ends on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("At most one year from today. You can revoke it at any time before."),
    )
    agree = forms.BooleanField(label=_("I agree to the authorization text above."))

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["api_client"].choices = [("", _("Choose a system"))] + [
            (c.id, f"{c.name}（{c.department_name}）" if c.department_name else c.name) for c in options.clients]
        self.fields["services"].choices = [(s.code, f"{s.name}（{s.department_name}）") for s in options.services]
        seen: dict[str, str] = {}
        for service in options.services:
            for name, title in service.fields:
                seen.setdefault(name, title)
        self.fields["data_fields"].choices = list(seen.items())
        if not self.is_bound:
            self.initial.setdefault("expires_on", china_today() + timedelta(days=DEFAULT_CONSENT_DAYS))

    def expires_at(self) -> datetime:
        return end_of_day(self.cleaned_data["expires_on"])
