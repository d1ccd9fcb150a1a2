"""Why the exchange refused: a stable code, an HTTP status and a message rendered when shown.

The gateway answers {"code": ..., "detail": ..., "correlation_id": ...} with the status below, and
logs the refusal (ShareCall + ledger) like an allowed call. Messages are Chinese by default and
English when the caller asks (Accept-Language).
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# code: (HTTP status, message)
ERRORS: dict[str, tuple[int, Promise]] = {
    "service_unknown": (404, _("There is no sharing service “%(service)s”.")),
    "service_unpublished": (409, _("The service “%(service)s” has no published data yet.")),
    "grant_missing": (403, _("Your system has no grant for the service “%(service)s”: request it in a basket first.")),
    "grant_expired": (403, _("Your grant for “%(service)s” expired at %(expired_at)s.")),
    "grant_revoked": (403, _("Your grant for “%(service)s” was revoked at %(revoked_at)s: %(reason)s")),
    "out_of_scope": (403, _("The record is outside the rows your grant covers (division %(scope)s).")),
    "unknown_key": (404, _("The service “%(service)s” has no record with this key.")),
    "field_not_granted": (403, _("Your grant does not cover the field(s) %(fields)s.")),
    "plain_not_granted": (403, _("Your grant gives the field(s) %(fields)s masked only; plain values were asked for.")),
    "filter_not_allowed": (400, _("“%(field)s” is not a filter this service allows; allowed: %(allowed)s.")),
    "bad_request": (400, _("%(detail)s")),
    "rate_limited": (429, _("Your grant allows %(limit)s calls a minute; try again in %(retry_after)s s.")),
    "consent_required": (403, _("This record concerns a person or company who has not authorized your system.")),
    "consent_revoked": (403, _("The person or company concerned revoked your system's authorization at %(revoked_at)s.")),
    "consent_expired": (403, _("The authorization of the person or company concerned expired at %(expired_at)s.")),
    "aggregate_not_allowed": (400, _("“%(field)s” may not be used in this aggregate; allowed: %(allowed)s.")),
    # Added by the gateway work.
    "api_client_required": (401, _("Only registered systems may call the sharing gateway: send the header "
                                   "“Authorization: ApiKey zt_…” of your system's API client.")),
    "authentication_failed": (401, _("%(detail)s")),
    "operation_not_supported": (400, _("The service “%(service)s” does not offer %(operation)s.")),
    "internal_error": (500, _("The gateway could not answer this call; it was logged. Try again later.")),
}


class ShareError(Exception):
    """A refusal with its code; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        if code not in ERRORS:
            raise ValueError(f"unknown exchange error code {code!r}")
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


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    return str(value)
