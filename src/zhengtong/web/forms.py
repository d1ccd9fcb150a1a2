"""Forms of the shared pages. The style guide's example form shows every field state."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ComponentsExampleForm(forms.Form):
    """Not used for data: the style guide binds it empty to show errors, hints and a fieldset."""

    full_name = forms.CharField(label=_("Full name"), help_text=_("As shown on your resident ID card."), max_length=64)
    contact = forms.ChoiceField(
        label=_("How should we contact you?"),
        choices=[("mobile", _("Text message")), ("post", _("Post"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class WebhookSubscriptionForm(forms.Form):
    """A department's endpoint for change events (一处变更、全网同步)."""

    url = forms.URLField(
        label=_("Endpoint URL"), max_length=500, assume_scheme="https",
        help_text=_("Your system's HTTPS address that will receive the signed events."),
    )
    events = forms.CharField(
        label=_("Events"), max_length=500,
        help_text=_("Event names or prefixes ending in a dot, separated by commas or spaces, e.g. "
                    "“registry.” for every change of the base registries."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def clean_events(self) -> list[str]:
        names = [name for name in self.cleaned_data["events"].replace("，", ",").replace(",", " ").split() if name]
        if not names:
            raise forms.ValidationError(_("Name at least one event or prefix."), code="required")
        return names
