"""Why the open-data API refused: a stable code, an HTTP status and a message rendered when shown
(Chinese by default, English on Accept-Language: en).

Our API answers {"code": ..., "detail": ...} with the status below; the CKAN-compatible Action API
maps the same errors onto CKAN's shape ({"success": false, "error": {"__type": ..., "message": ...}})
in ckan.py. No message names a dataset the public may not see: an unknown dataset and a hidden one
get the same "dataset_unknown".
"""

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# code: (HTTP status, message)
ERRORS: dict[str, tuple[int, Promise]] = {
    "dataset_unknown": (404, _("There is no open dataset “%(dataset)s”.")),
    "resource_unknown": (404, _("There is no open resource “%(resource)s”.")),
    "no_data": (409, _("The dataset “%(dataset)s” has no data to serve yet.")),
    "field_unknown": (400, _("“%(field)s” is not a column of this dataset; its columns: %(columns)s.")),
    "filter_value_invalid": (400, _("“%(value)s” is not a valid %(type)s for the column %(field)s.")),
    "limit_too_large": (400, _("“limit” must be a whole number from 1 to %(max)s.")),
    "offset_invalid": (400, _("“offset” must be a whole number from 0 up.")),
    "cursor_invalid": (400, _("The cursor is not one this API gave.")),
    "query_invalid": (400, _("The query is malformed: %(detail)s")),
    "sort_invalid": (400, _("“%(sort)s” is not a sort this API offers; offered: %(allowed)s.")),
    "format_unknown": (404, _("“%(format)s” is not a download format; offered: %(allowed)s.")),
    "format_too_large": (409, _("The dataset has %(rows)s rows, more than an Excel sheet holds; download CSV, JSON or Parquet.")),
    "key_required": (401, _("This call needs a developer key: send the header “Authorization: Key zto_…” (create one under 开发者中心).")),
    "key_invalid": (401, _("The developer key is not valid.")),
    "key_expired": (401, _("The developer key expired at %(expired_at)s; create a new one.")),
    "key_revoked": (401, _("The developer key was revoked at %(revoked_at)s.")),
    "quota_exhausted": (429, _("The key's daily quota of %(quota)s calls is used up; it resets at midnight (China Standard Time).")),
    "rate_limited": (429, _("The key allows %(limit)s calls a minute; try again in %(retry_after)s s.")),
    "application_required": (403, _("The dataset “%(dataset)s” is open on application only: apply for it, and call with the key of the approved applicant.")),
    "application_expired": (403, _("Your approved use of “%(dataset)s” ended at %(expired_at)s; apply again.")),
    "not_allowed": (403, _("%(detail)s")),
    "bad_request": (400, _("%(detail)s")),
}


class OpenDataError(Exception):
    """A refusal with its code; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        if code not in ERRORS:
            raise ValueError(f"unknown open-data error code {code!r}")
        self.code = code
        self.params: Mapping[str, Any] = params
        super().__init__(code)

    @property
    def status(self) -> int:
        return ERRORS[self.code][0]

    @property
    def message(self) -> str:
        """Rendered in the active language."""
        return str(ERRORS[self.code][1]) % {k: _text(v) for k, v in self.params.items()}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message}


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        # A list reads "a、b" in Chinese and "a, b" in English.
        separator = "、" if (translation.get_language() or "zh-hans").startswith("zh") else ", "
        return separator.join(str(v) for v in value)
    return str(value)
