"""How the applications API says no: {"code": …, "detail": …} in the request's language, and for
bad input also "fields": {field: [messages]} (a material's errors under "materials.<code>"), the
shape of the open-data and exchange APIs.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

# code: (HTTP status, message)
ERRORS: dict[str, tuple[int, Any]] = {
    "invalid": (400, _("The request has errors: see “fields”.")),
    "forbidden": (403, _("You may not do this.")),
    "not_found": (404, _("There is no such application or task.")),
    "idempotency_key_required": (400, _("Send the header Idempotency-Key (1 to 128 characters) so a retry cannot "
                                        "submit twice.")),
    "not_authenticated": (401, _("Sign in first.")),
    "bad_request": (400, "%(detail)s"),
}


def error_body(code: str, detail: str | None = None, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": str(detail if detail is not None else ERRORS[code][1])}
    if fields:
        body["fields"] = fields
    return body


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def exception_body(exc: Exception) -> tuple[int, dict] | None:
    """The status and JSON body for an exception the services raise; None for anything else."""
    if isinstance(exc, ValidationError):
        fields = _messages(exc)
        first = next(iter(fields.values()))[0] if fields else None
        return 400, error_body("invalid", first, fields)
    if isinstance(exc, PermissionDenied):
        return 403, error_body("forbidden", str(exc) or None)
    if isinstance(exc, ObjectDoesNotExist):
        return 404, error_body("not_found")
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return exc.status_code, error_body("not_authenticated", str(exc.detail))
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, error_body("forbidden", str(exc.detail))
    if isinstance(exc, exceptions.NotFound):
        return 404, error_body("not_found")
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, error_body(getattr(exc, "default_code", "bad_request"), str(exc.detail))
    return None
