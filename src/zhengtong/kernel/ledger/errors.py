"""Errors of the ledger. Messages are translated when shown (zh-Hans by default, English on request)."""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise, lazy


def _render(template: str | Promise, params: Mapping[str, Any]) -> str:
    return str(template) % params if params else str(template)


# Rendered where it is shown, so an error raised before the request's language is known still comes
# out in that language.
_render_lazy = lazy(_render, str)


class LedgerError(Exception):
    """Base of the ledger's errors: a stable `code` for machines and a translatable `message`."""

    def __init__(self, code: str, template: str | Promise, **params: Any):
        self.code = code
        self.message = _render_lazy(template, params)
        self.params = params
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)


class LedgerEntryError(LedgerError, ValueError):
    """ledger_append was given an entry the log cannot take (bad kind, non-JSON payload…)."""


class LedgerQueryError(LedgerError, ValueError):
    """A proof or tree head was asked for with parameters the log cannot answer (HTTP 400)."""


class LedgerNotFound(LedgerError, LookupError):
    """No such leaf or tree head (HTTP 404)."""


class LedgerPermissionDenied(LedgerError, PermissionError):
    """The caller may not see this (HTTP 403)."""


class LedgerIntegrityError(LedgerError, RuntimeError):
    """The stored log is not what it must be (a node missing, a profile switched under a running log).

    Never expected in a healthy deployment; `zhengtong ledger verify` says what is wrong.
    """
