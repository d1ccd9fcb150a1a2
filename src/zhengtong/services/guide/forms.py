"""The questions of an implementation's application form (`ItemImplementation.form_fields`).

Each entry of the JSON list is a dict with exactly the keys of `FormField`:

    {"name": "birth_date", "label": {"zh": "出生日期", "en": "Date of birth"}, "kind": "date",
     "required": true, "choices": [], "prefill": "person.birth_date", "help": "", "max_length": null}

`label` and `help` are either plain text or {"zh": …, "en": …}; `FormField.label` and
`FormField.help` give the text of the active language. `prefill` names a registry attribute the
applications module fetches through the sharing gateway ("person.<attribute>" or
"company.<attribute>", see PREFILL_ATTRIBUTES), or is "" when the applicant types the answer.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import get_language, gettext, gettext_lazy as _, pgettext

from zhengtong.kernel.ids.public import (
    IdValidationError,
    division_code_known,
    division_code_parse,
    mobile_normalise,
    resident_id_parse,
    uscc_parse,
)

FORM_FIELD_KINDS = (
    "text",
    "textarea",
    "date",
    "number",
    "choice",
    "yesno",
    "resident_id",
    "uscc",
    "mobile",
    "division",
    "address",
    "email",
)
FORM_FIELD_KEYS = frozenset({"name", "label", "kind", "required", "choices", "prefill", "help", "max_length"})

# The registry attributes a field may be pre-filled from (data.registry's golden records).
PREFILL_ATTRIBUTES = {
    "person": ("resident_id", "name", "birth_date", "gender", "mobile", "address", "division_code"),
    "company": (
        "uscc",
        "name",
        "legal_representative",
        "established_on",
        "address",
        "division_code",
        "mobile",
    ),
}

# What a field of each kind may hold at most when the form sets no max_length: a line of text,
# a paragraph, an address line (GB/T 23705 addresses fit in 255 characters), an email (RFC 5321).
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "address": 255, "email": 254}
NUMBER_MAX_DIGITS = 18
YES = ("yes", "y", "true", "1", "是", "on")
NO = ("no", "n", "false", "0", "否", "off")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def localized_text(value: str | Mapping[str, str], language: str | None = None) -> str:
    """The text of `value` in the active language: {"zh": …, "en": …} or a plain string."""
    if isinstance(value, Mapping):
        language = (language or get_language() or "zh-hans").lower()
        key = "zh" if language.startswith("zh") else language.split("-")[0]
        return value.get(key) or value.get("zh") or next((text for text in value.values() if text), "")
    return value or ""


def _texts(value: str | Mapping[str, str] | tuple) -> tuple[tuple[str, str], ...]:
    """A hashable, ordered form of a label: (("", text),) for plain text, else the languages."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, Mapping):
        return tuple(sorted((str(key), str(text)) for key, text in value.items()))
    return (("", str(value or "")),)


def _untexts(texts: tuple[tuple[str, str], ...]) -> str | dict[str, str]:
    if len(texts) == 1 and texts[0][0] == "":
        return texts[0][1]
    return dict(texts)


@dataclass(frozen=True, init=False)
class FormField:
    """One question of an application form (see the module docstring for the JSON shape)."""

    name: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...]
    prefill: str
    max_length: int | None
    label_texts: tuple[tuple[str, str], ...]
    help_texts: tuple[tuple[str, str], ...]

    def __init__(
        self,
        name: str,
        label: str | Mapping[str, str],
        kind: str,
        required: bool = False,
        choices: tuple[tuple[str, str], ...] = (),
        prefill: str = "",
        help: str | Mapping[str, str] = "",  # noqa: A002 - the contract's name for the hint
        max_length: int | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "required", bool(required))
        object.__setattr__(self, "choices", tuple((str(code), str(text)) for code, text in choices))
        object.__setattr__(self, "prefill", prefill or "")
        object.__setattr__(self, "max_length", max_length)
        object.__setattr__(self, "label_texts", _texts(label))
        object.__setattr__(self, "help_texts", _texts(help))

    @property
    def label(self) -> str:
        return localized_text(_untexts(self.label_texts))

    @property
    def help(self) -> str:
        return localized_text(_untexts(self.help_texts))

    @property
    def length_limit(self) -> int | None:
        """The longest answer accepted: max_length, or the kind's default."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.kind)

    def choice_label(self, code: str) -> str:
        return dict(self.choices).get(code, code)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FormField":
        return cls(
            name=data["name"],
            label=data.get("label") or "",
            kind=data["kind"],
            required=bool(data.get("required", False)),
            choices=tuple(tuple(choice) for choice in data.get("choices") or ()),
            prefill=data.get("prefill") or "",
            help=data.get("help") or "",
            max_length=data.get("max_length"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": _untexts(self.label_texts),
            "kind": self.kind,
            "required": self.required,
            "choices": [list(choice) for choice in self.choices],
            "prefill": self.prefill,
            "help": _untexts(self.help_texts),
            "max_length": self.max_length,
        }


def _error(message, field: FormField, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params={"label": field.label, **params})


def _id_error(field: FormField, error: IdValidationError) -> ValidationError:
    return ValidationError(
        _("“%(label)s”: %(reason)s"),
        code=error.code,
        params={"label": field.label, "reason": str(error.message)},
    )


def form_field_validate(field: FormField, raw: str | None) -> str:
    """The normalised answer to `field`, or ValidationError with a message naming the field.

    Empty answers are "" (or an error when the field is required). Identifiers are checked
    with kernel.ids (check digits and all) and returned in their normal form; dates as
    YYYY-MM-DD; yes/no as "yes" or "no"; numbers without exponent or trailing noise.
    """
    value = (raw if isinstance(raw, str) else "" if raw is None else str(raw)).strip()
    if not value:
        if field.required:
            if field.kind in ("choice", "yesno"):
                raise _error(_("“%(label)s”: choose an answer"), field, "required")
            raise _error(_("“%(label)s”: this answer is required"), field, "required")
        return ""
    limit = field.length_limit
    if limit is not None and len(value) > limit:
        raise _error(
            _("“%(label)s”: at most %(limit)s characters, not %(length)s"),
            field,
            "max_length",
            limit=limit,
            length=len(value),
        )
    kind = field.kind
    if kind in ("text", "textarea", "address"):
        return value
    if kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _error(_("“%(label)s”: enter a date as YYYY-MM-DD, for example 2024-03-01"), field, "date")
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise _error(_("“%(label)s”: %(value)s is not a date in the calendar"), field, "date", value=value) from None
    if kind == "number":
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise _error(_("“%(label)s”: enter a number, for example 12 or 3.5"), field, "number")
        if len(number.as_tuple().digits) > NUMBER_MAX_DIGITS:
            raise _error(_("“%(label)s”: the number is too long"), field, "number")
        text = format(number, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind == "choice":
        if value not in dict(field.choices):
            raise _error(
                _("“%(label)s”: choose one of %(choices)s"),
                field,
                "choice",
                choices=pgettext("list separator", ", ").join(text for _code, text in field.choices),
            )
        return value
    if kind == "yesno":
        if value.lower() in YES:
            return "yes"
        if value.lower() in NO:
            return "no"
        raise _error(_("“%(label)s”: answer yes or no"), field, "yesno")
    try:
        if kind == "resident_id":
            return resident_id_parse(value).number
        if kind == "uscc":
            return uscc_parse(value).code
        if kind == "mobile":
            return mobile_normalise(value)
        if kind == "division":
            code = division_code_parse(value)
            if not division_code_known(code):
                raise _error(_("“%(label)s”: %(division)s is not a division of this platform"), field, "division",
                             division=code)
            return code
    except IdValidationError as error:
        raise _id_error(field, error) from None
    if kind == "email":
        try:
            EmailValidator()(value)
        except ValidationError:
            raise _error(_("“%(label)s”: enter an email address such as name@example.cn"), field, "email") from None
        local, _at, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    raise _error(_("“%(label)s”: the form has an unknown kind of field (%(kind)s)"), field, "kind", kind=kind)


def form_fields_parse(data: Any) -> tuple[FormField, ...]:
    """Check an implementation's form_fields JSON and build its FormFields.

    Raises ValidationError with one message per problem, each naming the field's position (1-based)
    and what is wrong: keys, name, kind, choices, prefill attribute, max_length.
    """
    if data in (None, ""):
        return ()
    if not isinstance(data, list):
        raise ValidationError(_("The form fields must be a list"), code="form_fields")
    errors: list[ValidationError] = []
    fields: list[FormField] = []
    names: set[str] = set()
    for position, entry in enumerate(data, start=1):
        problems = _form_field_problems(entry, names)
        if problems:
            # Formatted now, in the caller's language, as the problems partly are already: a lazy
            # message would come out half in one language and half in another if read elsewhere.
            errors.extend(
                ValidationError(gettext("Form field %(position)s: %(problem)s")
                                % {"position": position, "problem": problem}, code="form_fields")
                for problem in problems
            )
            continue
        names.add(entry["name"])
        fields.append(FormField.from_json(entry))
    if errors:
        raise ValidationError(errors)
    return tuple(fields)


def _text_problem(value: Any) -> bool:
    if isinstance(value, str):
        return False
    if isinstance(value, Mapping):
        return not value or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return True


def _form_field_problems(entry: Any, names: set[str]) -> list:
    if not isinstance(entry, Mapping):
        return [_("it is not an object with the keys name, label, kind, required, choices, prefill, help, max_length")]
    problems: list = []
    missing = sorted(FORM_FIELD_KEYS - set(entry))
    unknown = sorted(set(entry) - FORM_FIELD_KEYS)
    if missing:
        problems.append(_("missing keys %(keys)s") % {"keys": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown keys %(keys)s") % {"keys": ", ".join(unknown)})
    if problems:
        return problems
    name = entry["name"]
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        problems.append(
            _("the name “%(name)s” must start with a lower-case letter and hold only a-z, 0-9 and _") % {"name": name}
        )
    elif name in names:
        problems.append(_("the name “%(name)s” is used twice") % {"name": name})
    if _text_problem(entry["label"]) or not localized_text(entry["label"]).strip():
        problems.append(_("the label must be text or {\"zh\": …, \"en\": …}"))
    if entry["help"] != "" and _text_problem(entry["help"]):
        problems.append(_("the help must be text or {\"zh\": …, \"en\": …}"))
    kind = entry["kind"]
    if kind not in FORM_FIELD_KINDS:
        problems.append(_("the kind “%(kind)s” is not one of %(kinds)s") % {"kind": kind, "kinds": ", ".join(FORM_FIELD_KINDS)})
    if not isinstance(entry["required"], bool):
        problems.append(_("required must be true or false"))
    choices = entry["choices"]
    choices_ok = isinstance(choices, list) and all(
        isinstance(choice, (list, tuple)) and len(choice) == 2 and all(isinstance(part, str) and part for part in choice)
        for choice in choices
    )
    if not choices_ok:
        problems.append(_("choices must be a list of [code, text] pairs"))
    elif kind == "choice" and not choices:
        problems.append(_("a choice field needs at least one choice"))
    elif kind != "choice" and choices:
        problems.append(_("only a choice field has choices"))
    elif len({code for code, _text in choices}) != len(choices):
        problems.append(_("two choices have the same code"))
    prefill = entry["prefill"]
    if not isinstance(prefill, str):
        problems.append(_("prefill must be text"))
    elif prefill:
        subject, _dot, attribute = prefill.partition(".")
        if attribute not in PREFILL_ATTRIBUTES.get(subject, ()):
            problems.append(
                _("the prefill “%(prefill)s” is not a registry attribute (person.… or company.…: %(known)s)")
                % {
                    "prefill": prefill,
                    "known": ", ".join(f"{s}.{a}" for s, attributes in PREFILL_ATTRIBUTES.items() for a in attributes),
                }
            )
    max_length = entry["max_length"]
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1):
        problems.append(_("max_length must be a positive whole number or null"))
    return problems
