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
