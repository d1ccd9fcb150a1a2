"""Form fields that clean to an identifier's normal form or say exactly what is wrong with it."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError

from .credit_code import uscc_parse
from .errors import IdValidationError
from .mobile import mobile_normalise
from .resident_id import resident_id_parse


class IdentifierField(forms.CharField):
    """A CharField whose value is normalised by `normalise` (a parse function of this app)."""

    normalise: Callable[[str], str]
    input_attrs: dict[str, str] = {}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return self.normalise(value)
        except IdValidationError as error:
            raise ValidationError(error.message, code=error.code) from error

    def widget_attrs(self, widget):
        # Identifiers are not words: no spell-checking or auto-capitalising phones in the way.
        attrs = super().widget_attrs(widget)
        return {**attrs, "spellcheck": "false", "autocapitalize": "characters", **self.input_attrs}


def _resident_id_number(value: str) -> str:
    return resident_id_parse(value).number


def _credit_code(value: str) -> str:
    return uscc_parse(value).code


class ResidentIdField(IdentifierField):
    """居民身份证号码: cleans to 18 characters (a 15-digit number is converted)."""

    normalise = staticmethod(_resident_id_number)
    input_attrs = {"autocomplete": "off"}


class CreditCodeField(IdentifierField):
    """统一社会信用代码: cleans to 18 upper-case characters."""

    normalise = staticmethod(_credit_code)
    input_attrs = {"autocomplete": "off"}


class MobileField(IdentifierField):
    """手机号码: cleans to 11 digits."""

    normalise = staticmethod(mobile_normalise)
    input_attrs = {"autocomplete": "tel", "inputmode": "tel", "autocapitalize": "off"}
