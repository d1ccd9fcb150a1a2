"""Validation of a declared quality rule: its code, its field and its parameters per kind.

The parameters by kind are documented on models.QualityRule; every problem is reported against
the form field it belongs to ("code", "kind", "field" or "params").
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from .descriptors import _is_number, date_format_problem, regex_problem
from .models import RuleKind

RULE_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

# Kinds that check one named field.
FIELD_KINDS = {
    RuleKind.REQUIRED, RuleKind.PATTERN, RuleKind.ENUM, RuleKind.RANGE, RuleKind.DATE, RuleKind.RESIDENT_ID,
    RuleKind.USCC, RuleKind.MOBILE, RuleKind.DIVISION_CODE, RuleKind.REFERENCE,
}
PARAM_KEYS = {
    RuleKind.REQUIRED: set(),
    RuleKind.PATTERN: {"regex"},
    RuleKind.ENUM: {"values"},
    RuleKind.RANGE: {"minimum", "maximum"},
    RuleKind.DATE: {"format"},
    RuleKind.RESIDENT_ID: set(),
    RuleKind.USCC: set(),
    RuleKind.MOBILE: set(),
    RuleKind.DIVISION_CODE: set(),
    RuleKind.UNIQUE: {"fields"},
    RuleKind.CONSISTENCY: {"check", "fields"},
    RuleKind.REFERENCE: {"dataset", "field"},
    RuleKind.TIMELINESS: set(),
}
# The consistency checks and the fields (by role) each compares.
CONSISTENCY_CHECKS = {
    "birth_date_matches_resident_id": ("resident_id", "birth_date"),
    "gender_matches_resident_id": ("resident_id", "gender"),
}


def _range_value(value: Any) -> str | None:
    """"number" or "date" for a usable range bound, None otherwise."""
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return "date"
    return None


def rule_problems(
    *,
    code: str,
    kind: str,
    field: str,
    params: Any,
    field_names: list[str] | None,
    code_taken: bool,
    reference_fields: Callable[[str], list[str] | None],
) -> dict[str, list[str]]:
    """Problems by form field. `field_names` are the current schema's (None: no schema yet);
    `reference_fields(resource_code)` gives the field names of a dataset the actor may refer to,
    or None when there is no such dataset."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    if not RULE_CODE.match(code or ""):
        add("code", _("The rule code must start with a lower-case letter and hold only lower-case letters, "
                      "digits, “_” and “-”, at most 64 characters (codes with “:” belong to the rules the "
                      "schema implies)."))
    elif code_taken:
        add("code", _("The dataset already has a rule “%(code)s”; a code stays taken after its rule is "
                      "deactivated.") % {"code": code})
    if kind not in RuleKind.values:
        add("kind", _("“%(kind)s” is not a kind of rule.") % {"kind": kind})
        return problems
    kind = RuleKind(kind)
    names = field_names or []

    def known(name: Any) -> bool:
        return isinstance(name, str) and name in names

    if field_names is None and kind != RuleKind.TIMELINESS:
        add("field", _("Give the dataset a table schema first: rules check the fields it declares."))
    elif kind in FIELD_KINDS and not field:
        add("field", _("Choose the field this rule checks."))
    elif kind == RuleKind.TIMELINESS and field:
        add("field", _("A timeliness rule applies to the whole dataset: leave the field empty."))
    elif field and not known(field):
        add("field", _("The schema has no field “%(field)s”.") % {"field": field})

    if not isinstance(params, dict):
        add("params", _("The parameters must be a JSON object, such as {}."))
        return problems
    unknown = sorted(set(params) - PARAM_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(PARAM_KEYS[kind])) or _("none")
        add("params", _("A %(kind)s rule takes no parameter %(names)s (it takes: %(allowed)s).")
            % {"kind": kind.value, "names": ", ".join(f"“{name}”" for name in unknown), "allowed": allowed})

    if kind == RuleKind.PATTERN:
        regex = params.get("regex")
        if not isinstance(regex, str) or not regex:
            add("params", _("A pattern rule needs “regex”, a regular expression."))
        elif (problem := regex_problem(regex)) is not None:
            add("params", _("The regular expression “%(regex)s” cannot be used by the rules engine: %(error)s.")
                % {"regex": regex, "error": problem})
    elif kind == RuleKind.ENUM:
        values = params.get("values")
        if not isinstance(values, list) or not values:
            add("params", _("An enum rule needs “values”, a non-empty list of the allowed values."))
        elif not all(isinstance(v, (str, int, float, bool)) for v in values):
            add("params", _("The allowed values must be text, numbers or true/false."))
        elif len({(type(v), v) for v in values}) != len(values):
            add("params", _("An allowed value is listed twice."))
    elif kind == RuleKind.RANGE:
        present = [key for key in ("minimum", "maximum") if params.get(key) is not None]
        if not present:
            add("params", _("A range rule needs a “minimum”, a “maximum” or both."))
        kinds = {key: _range_value(params[key]) for key in present}
        for key, value_kind in kinds.items():
            if value_kind is None:
                add("params", _("“%(key)s” must be a number or a date written YYYY-MM-DD.") % {"key": key})
        if len(present) == 2 and None not in kinds.values():
            if kinds["minimum"] != kinds["maximum"]:
                add("params", _("The minimum and the maximum must both be numbers or both be dates."))
            elif params["minimum"] > params["maximum"]:
                add("params", _("The minimum %(minimum)s is greater than the maximum %(maximum)s.")
                    % {"minimum": params["minimum"], "maximum": params["maximum"]})
    elif kind == RuleKind.DATE:
        fmt = params.get("format")
        if fmt is not None and (not isinstance(fmt, str) or date_format_problem(fmt)):
            add("params", _("“format” must be a date pattern of %%-codes, such as “%%Y年%%m月%%d日”.") % {})
    elif kind == RuleKind.UNIQUE:
        fields = params.get("fields")
        if fields is None:
            if not field and field_names is not None:
                add("field", _("Choose the field whose values must be unique, or list several in “fields”."))
        elif field:
            add("params", _("Give either a field or “fields”, not both."))
        elif not isinstance(fields, list) or len(fields) < 2 or len(set(map(str, fields))) != len(fields):
            add("params", _("“fields” must list at least two different field names."))
        else:
            for name in fields:
                if not known(name):
                    add("params", _("The schema has no field “%(field)s”.") % {"field": name})
    elif kind == RuleKind.CONSISTENCY:
        check = params.get("check")
        if check not in CONSISTENCY_CHECKS:
            add("params", _("“check” must be one of %(checks)s.") % {"checks": ", ".join(CONSISTENCY_CHECKS)})
        else:
            roles = CONSISTENCY_CHECKS[check]
            fields = params.get("fields")
            if not isinstance(fields, dict) or set(fields) != set(roles):
                add("params", _("“fields” must name the field for each of %(roles)s, e.g. %(example)s.")
                    % {"roles": ", ".join(roles),
                       "example": "{" + ", ".join(f'"{role}": "{role}"' for role in roles) + "}"})
            else:
                for role in roles:
                    if not known(fields[role]):
                        add("params", _("The schema has no field “%(field)s”.") % {"field": fields[role]})
    elif kind == RuleKind.REFERENCE:
        resource_code, target_field = params.get("dataset"), params.get("field")
        if not isinstance(resource_code, str) or not resource_code or not isinstance(target_field, str) or not target_field:
            add("params", _("A reference rule needs “dataset” (a resource code) and “field” (a field of that dataset)."))
        else:
            target_fields = reference_fields(resource_code)
            if target_fields is None:
                add("params", _("There is no dataset “%(dataset)s” in the catalog.") % {"dataset": resource_code})
            elif target_field not in target_fields:
                add("params", _("The dataset “%(dataset)s” has no field “%(field)s”.")
                    % {"dataset": resource_code, "field": target_field})
    return problems
