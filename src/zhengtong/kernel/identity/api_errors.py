"""The API's answer to Django's own errors raised by a service: {"code", "detail"} (and "fields" for
a validation error) in the request's language, as every /api/v1/ error reads."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response


def django_error_response(exc: Exception, *, not_found: str = "") -> Response:
    """400 for a ValidationError (each field's messages), 403 for PermissionDenied, else 404 with
    `not_found` as its detail (an object the caller may not see is as absent as a missing one)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            fields = {name: [str(m) for e in errors for m in e.messages] for name, errors in exc.error_dict.items()}
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        first = next(iter(fields.values()))[0]
        return Response({"code": "invalid", "detail": first, "fields": fields}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"code": "forbidden", "detail": str(exc) or _("You may not do this.")},
                        status=status.HTTP_403_FORBIDDEN)
    return Response({"code": "not_found", "detail": not_found or _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
