"""The upload form of the dataset's load page (the whole file in one request, without JavaScript)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import LoadMode


def form_max_bytes() -> int:
    """Above this, the page's chunked upload (JavaScript) or the API is the way."""
    return int(getattr(settings, "INGEST_FORM_MAX_BYTES", 200 * 1024 * 1024))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK), Excel (.xlsx), Parquet or JSON lines, with the schema's fields as columns."),
        error_messages={"required": _("Choose the file to load."), "empty": _("The file is empty (0 bytes).")},
    )
    mode = forms.ChoiceField(
        label=_("How to load it"),
        choices=LoadMode.choices,
        initial=LoadMode.FULL,
        widget=forms.RadioSelect,
        help_text=_("Full replace makes the file the whole dataset; append adds its rows; upsert replaces rows "
                    "with the same primary key and adds the others."),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > form_max_bytes():
            raise forms.ValidationError(
                _("This form takes files up to %(limit)s; larger files need JavaScript on (the upload goes in "
                  "chunks) or the API."),
                params={"limit": filesizeformat(form_max_bytes())}, code="too_large",
            )
        return uploaded
