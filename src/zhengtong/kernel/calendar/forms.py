"""The upload form of the schedule administration page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import FIRST_YEAR, LAST_YEAR

# A full year is about 40 lines of 25 bytes; anything near this size is not a schedule file.
MAX_FILE_BYTES = 64 * 1024


class ScheduleUploadForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    source = forms.CharField(
        label=_("Notice title"),
        max_length=200,
        help_text=_("The notice the schedule comes from, e.g. 国务院办公厅关于2027年部分节假日安排的通知"),
    )
    file = forms.FileField(
        label=_("Schedule file (CSV)"),
        help_text=_(
            "One line per day: date,kind,name, e.g. 2027-01-01,holiday,元旦. Kind is holiday or "
            "workday (a swapped workday, always a Saturday or Sunday). List every holiday of the "
            "year, weekend days inside a holiday span included; days not listed follow the "
            "ordinary Monday-to-Friday week."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)d KB; a schedule file is far smaller than %(max)d KB."),
                params={"size": upload.size // 1024, "max": MAX_FILE_BYTES // 1024},
            )
        return upload
