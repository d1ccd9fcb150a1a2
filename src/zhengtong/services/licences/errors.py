"""Errors of licences: a stable code and a message in the reader's language."""


class LicenceError(Exception):
    """Base: `code` is stable ("forbidden", "not_found", "invalid", …), `message` says why."""

    code = "invalid"

    def __init__(self, message, *, code: str | None = None):
        self.message = message
        if code:
            self.code = code
        super().__init__(str(message))


class LicencePermissionDenied(LicenceError):
    code = "forbidden"


class LicenceNotFound(LicenceError):
    code = "not_found"


class LicenceInvalid(LicenceError):
    code = "invalid"


class ShowTokenInvalid(LicenceError):
    """A show token (亮证码) that is malformed, altered, signed by another key or expired."""

    code = "token_invalid"
