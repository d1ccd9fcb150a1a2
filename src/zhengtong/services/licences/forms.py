"""Forms of the licence pages: they parse; the services validate."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Licence number, or the scanned show code"), max_length=4000, required=False,
        help_text=_("Type the number printed on the licence, or scan the holder's show code (亮证码) or the "
                    "licence's QR code."))
    pdf = forms.FileField(
        label=_("Or the licence PDF"), required=False,
        help_text=_("Upload the licence's PDF file (at most 5 MB): its seal and its content are checked."))

    def clean(self):
        data = super().clean()
        if not (data.get("code") or "").strip() and not data.get("pdf"):
            raise forms.ValidationError(_("Enter a licence number or scan a show code."), code="required")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("电子证照", "Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Give the reason.")})
