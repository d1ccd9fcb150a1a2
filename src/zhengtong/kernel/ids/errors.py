"""The one error every identifier check raises."""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import pgettext


def _render(template: str | Promise, params: Mapping[str, Any]) -> str:
    return str(template) % params


# The message is formatted when it is shown, not when the error is raised, so an error caught in
# one language (or at import time) still renders in the language active where it is displayed.
_render_lazy = lazy(_render, str)


def _enumerate(items: tuple[str, ...]) -> str:
    return pgettext("list separator", ", ").join(items)


# "1, 2, 3" in English, "1、2、3" in Chinese, decided when shown.
enumeration_lazy = lazy(_enumerate, str)


class IdValidationError(ValueError):
    """A rejected identifier: which rule (`code`), where (`position`, 1-based) and why (`message`).

    `code` is stable for machines ("resident_id.check_char", "uscc.org_code_check", …); `message`
    is lazily translated text naming the character and the rule; `params` are the values the
    message is built from (some of them lazily translated labels).
    """

    def __init__(
        self,
        code: str,
        template: str | Promise,
        *,
        position: int | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.position = position
        self.params: dict[str, Any] = {"position": position, **params} if position is not None else dict(params)
        self.message = _render_lazy(template, self.params)
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"IdValidationError(code={self.code!r}, position={self.position!r})"
