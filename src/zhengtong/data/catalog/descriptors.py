"""Validation of a dataset's Frictionless Table Schema descriptor, with the platform's extras.

Every problem is reported at once, each naming the field (by position and name) and the property,
so a data officer can fix a whole descriptor in one pass.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.kernel.masking.public import FieldKind

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Frictionless Table Schema (v1) field types.
FIELD_TYPES = (
    "string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime", "year",
    "yearmonth", "duration", "geopoint", "geojson", "any",
)
STRING_FORMATS = ("default", "email", "uri", "binary", "uuid", "wkt")
GEOPOINT_FORMATS = ("default", "array", "object")
TEMPORAL_TYPES = ("date", "time", "datetime")

# The platform's domain types; each is checked by a rule of the same kind (catalog.public).
DOMAIN_TYPES = ("resident_id", "uscc", "division_code", "mobile", "cn_date")
MASKING_KINDS = tuple(kind.value for kind in FieldKind)

SCHEMA_KEYS = (
    "$schema", "fields", "primaryKey", "foreignKeys", "missingValues", "fieldsMatch", "name", "title",
    "description",
)
FIELD_KEYS = (
    "name", "title", "description", "type", "format", "constraints", "example", "rdfType",
    "trueValues", "falseValues", "decimalChar", "groupChar", "bareNumber", "missingValues",
    "domainType", "maskingKind",
)
CONSTRAINT_KEYS = ("required", "unique", "pattern", "enum", "minimum", "maximum", "minLength", "maxLength")

# Words that cannot be column names without quoting in the SQL the rules compile to (DuckDB,
# Spark SQL, PostgreSQL share these); refusing them here keeps every later query simple.
SQL_RESERVED = frozenset("""
    all analyse analyze and any array as asc asymmetric between both by case cast check collate column
    constraint create cross current_date current_time current_timestamp current_user default
    deferrable desc distinct do else end except exists false fetch for foreign from full grant group
    having in initially inner intersect into is join lateral leading left like limit localtime
    localtimestamp natural not null offset on only or order outer placing primary references
    returning right select session_user some symmetric table then to trailing true union unique
    user using variadic when where window with
""".split())


@dataclass(frozen=True)
class SchemaProblem:
    path: str  # e.g. "fields[2].constraints.pattern"
    code: str
    message: str


class SchemaInvalid(ValidationError):
    """The descriptor has problems; `.problems` lists them all, in descriptor order."""

    def __init__(self, problems: list[SchemaProblem]):
        super().__init__([ValidationError(p.message, code=p.code) for p in problems])
        self.problems = problems


class _Collector:
    def __init__(self):
        self.problems: list[SchemaProblem] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.problems.append(SchemaProblem(path, code, message))


def _field_label(number: int, name: Any) -> str:
    if isinstance(name, str) and name:
        return _("Field %(number)s (%(name)s)") % {"number": number, "name": name}
    return _("Field %(number)s") % {"number": number}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def regex_problem(pattern: str) -> str | None:
    """Why the pattern cannot be used, or None: it must compile in Python and in the rules engine
    (DuckDB's RE2, which has no look-around and no back-references)."""
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    import duckdb  # the rules engine; imported here so the catalog's pages do not load it

    try:
        with duckdb.connect() as connection:
            connection.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.Error as error:
        return str(error).removeprefix("Invalid Input Error: ")
    return None


def date_format_problem(fmt: str) -> bool:
    """True when `fmt` is not a usable strptime pattern (it must contain at least one % code)."""
    if "%" not in fmt:
        return True
    try:
        sample = datetime(2024, 1, 5, 13, 4, 5).strftime(fmt)
        datetime.strptime(sample, fmt)
    except (ValueError, TypeError):
        return True
    return False


def _bound_ok(value: Any, kind: str) -> bool:
    if kind == "number":
        return _is_number(value)
    if kind in ("integer", "year"):
        return _is_integer(value)
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    if kind == "datetime":
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return False


def _bound_kind(field_type: str, domain_type: Any) -> str | None:
    """What minimum and maximum are compared as for this field, or None if they do not apply."""
    if field_type in ("integer", "number", "year", "date", "datetime"):
        return field_type
    if domain_type == "cn_date":
        return "date"
    return None


BOUND_KIND_WORDS = {
    "number": gettext_lazy("a number"),
    "integer": gettext_lazy("a whole number"),
    "year": gettext_lazy("a year (a whole number)"),
    "date": gettext_lazy("a date written YYYY-MM-DD"),
    "datetime": gettext_lazy("a date and time written YYYY-MM-DDTHH:MM:SS"),
}


def _enum_value_ok(value: Any, field_type: str) -> bool:
    if field_type == "integer" or field_type == "year":
        return _is_integer(value)
    if field_type == "number":
        return _is_number(value)
    if field_type == "boolean":
        return isinstance(value, bool)
    if field_type in ("string", "date", "time", "datetime", "yearmonth", "duration"):
        return isinstance(value, str)
    return True


def _check_constraints(out: _Collector, path: str, label: str, field: dict, field_type: str) -> None:
    constraints = field.get("constraints")
    if constraints is None:
        return
    if not isinstance(constraints, dict):
        out.add(path, "constraints_not_object", _("%(field)s: “constraints” must be an object.") % {"field": label})
        return
    for key in constraints:
        if key not in CONSTRAINT_KEYS:
            out.add(f"{path}.{key}", "constraint_unknown",
                    _("%(field)s: “%(key)s” is not a constraint; use %(choices)s.")
                    % {"field": label, "key": key, "choices": ", ".join(CONSTRAINT_KEYS)})
    for key in ("required", "unique"):
        if key in constraints and not isinstance(constraints[key], bool):
            out.add(f"{path}.{key}", "constraint_not_boolean",
                    _("%(field)s: “%(key)s” must be true or false.") % {"field": label, "key": key})
    if "pattern" in constraints:
        pattern = constraints["pattern"]
        if not isinstance(pattern, str) or not pattern:
            out.add(f"{path}.pattern", "pattern_invalid",
                    _("%(field)s: “pattern” must be a regular expression, written as a string.") % {"field": label})
        elif (problem := regex_problem(pattern)) is not None:
            out.add(f"{path}.pattern", "pattern_invalid",
                    _("%(field)s: the pattern “%(pattern)s” is not a valid regular expression for the rules engine: %(error)s.")
                    % {"field": label, "pattern": pattern, "error": problem})
    if "enum" in constraints:
        values = constraints["enum"]
        if not isinstance(values, list) or not values:
            out.add(f"{path}.enum", "enum_invalid",
                    _("%(field)s: “enum” must be a non-empty list of the allowed values.") % {"field": label})
        else:
            seen: list[Any] = []
            for value in values:
                if not _enum_value_ok(value, field_type):
                    out.add(f"{path}.enum", "enum_value_type",
                            _("%(field)s: the allowed value %(value)s is not of the field's type (%(type)s).")
                            % {"field": label, "value": _json(value), "type": field_type})
                elif value in seen:
                    out.add(f"{path}.enum", "enum_duplicate",
                            _("%(field)s: the allowed value %(value)s is listed twice.")
                            % {"field": label, "value": _json(value)})
                else:
                    seen.append(value)
    bound_kind = _bound_kind(field_type, field.get("domainType"))
    bounds_ok = True
    for key in ("minimum", "maximum"):
        if key not in constraints:
            continue
        if bound_kind is None:
            bounds_ok = False
            out.add(f"{path}.{key}", "bound_not_applicable",
                    _("%(field)s: “%(key)s” applies only to numbers, years and dates, not to a %(type)s field.")
                    % {"field": label, "key": key, "type": field_type})
        elif not _bound_ok(constraints[key], bound_kind):
            bounds_ok = False
            out.add(f"{path}.{key}", "bound_invalid",
                    _("%(field)s: “%(key)s” must be %(what)s, not %(value)s.")
                    % {"field": label, "key": key, "what": BOUND_KIND_WORDS[bound_kind],
                       "value": _json(constraints[key])})
    if bounds_ok and bound_kind and "minimum" in constraints and "maximum" in constraints:
        low, high = constraints["minimum"], constraints["maximum"]
        if bound_kind in ("date", "datetime"):
            low, high = datetime.fromisoformat(low), datetime.fromisoformat(high)
        if low > high:
            out.add(f"{path}.minimum", "bounds_reversed",
                    _("%(field)s: the minimum %(minimum)s is greater than the maximum %(maximum)s.")
                    % {"field": label, "minimum": _json(constraints["minimum"]),
                       "maximum": _json(constraints["maximum"])})
    lengths_ok = True
    for key in ("minLength", "maxLength"):
        if key in constraints and not (_is_integer(constraints[key]) and constraints[key] >= 0):
            lengths_ok = False
            out.add(f"{path}.{key}", "length_invalid",
                    _("%(field)s: “%(key)s” must be a whole number of at least 0.") % {"field": label, "key": key})
    if lengths_ok and "minLength" in constraints and "maxLength" in constraints:
        if constraints["minLength"] > constraints["maxLength"]:
            out.add(f"{path}.minLength", "lengths_reversed",
                    _("%(field)s: minLength %(minimum)s is greater than maxLength %(maximum)s.")
                    % {"field": label, "minimum": constraints["minLength"], "maximum": constraints["maxLength"]})


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _check_field(out: _Collector, number: int, field: Any, names: dict[str, int]) -> None:
    path = f"fields[{number - 1}]"
    if not isinstance(field, dict):
        out.add(path, "field_not_object",
                _("Field %(number)s must be an object with at least a “name”.") % {"number": number})
        return
    name = field.get("name")
    label = _field_label(number, name)
    if not isinstance(name, str) or not name:
        out.add(f"{path}.name", "name_missing", _("%(field)s has no name.") % {"field": label})
    elif not FIELD_NAME.match(name):
        out.add(f"{path}.name", "name_invalid",
                _("%(field)s: the name must start with a lower-case letter and hold only lower-case letters, "
                  "digits and underscores, at most 63 characters, so that it can be a database column.")
                % {"field": label})
    elif name in SQL_RESERVED:
        out.add(f"{path}.name", "name_reserved",
                _("%(field)s: “%(name)s” is a reserved word in SQL; choose another name, such as “%(name)s_value”.")
                % {"field": label, "name": name})
    elif name in names:
        out.add(f"{path}.name", "name_duplicate",
                _("%(field)s: the name is already used by field %(first)s.") % {"field": label, "first": names[name]})
    else:
        names[name] = number
    for key in field:
        if key not in FIELD_KEYS:
            out.add(f"{path}.{key}", "field_property_unknown",
                    _("%(field)s: “%(key)s” is not a field property.") % {"field": label, "key": key})
    for key in ("title", "description"):
        if key in field and not isinstance(field[key], str):
            out.add(f"{path}.{key}", "text_invalid",
                    _("%(field)s: “%(key)s” must be text.") % {"field": label, "key": key})
    field_type = field.get("type", "string")
    if field_type not in FIELD_TYPES:
        out.add(f"{path}.type", "type_unknown",
                _("%(field)s: “%(type)s” is not a Table Schema type; use one of %(choices)s.")
                % {"field": label, "type": field_type, "choices": ", ".join(FIELD_TYPES)})
        field_type = None
    fmt = field.get("format")
    if fmt is not None and field_type is not None:
        if not isinstance(fmt, str):
            ok = False
        elif field_type in TEMPORAL_TYPES:
            ok = fmt in ("default", "any") or not date_format_problem(fmt)
        elif field_type == "string":
            # A date pattern needs type date: Frictionless (and the Data Package export) allows string
            # fields only their own formats.
            ok = fmt in STRING_FORMATS
        elif field_type == "geopoint":
            ok = fmt in GEOPOINT_FORMATS
        else:
            ok = fmt == "default"
        if not ok:
            out.add(f"{path}.format", "format_invalid",
                    _("%(field)s: “%(format)s” is not a format for a %(type)s field; dates take “default”, "
                      "“any” or a pattern of %%-codes such as “%%Y年%%m月%%d日”.")
                    % {"field": label, "format": fmt, "type": field_type})
    domain_type = field.get("domainType")
    if domain_type is not None:
        if domain_type not in DOMAIN_TYPES:
            out.add(f"{path}.domainType", "domain_type_unknown",
                    _("%(field)s: “%(value)s” is not a domain type; use one of %(choices)s.")
                    % {"field": label, "value": domain_type, "choices": ", ".join(DOMAIN_TYPES)})
        elif domain_type == "cn_date":
            if field_type not in (None, "string", "date"):
                out.add(f"{path}.domainType", "domain_type_mismatch",
                        _("%(field)s: a cn_date field must have type string or date, not %(type)s.")
                        % {"field": label, "type": field_type})
        elif field_type not in (None, "string"):
            out.add(f"{path}.domainType", "domain_type_mismatch",
                    _("%(field)s: a %(domain_type)s field must have type string (identifiers keep their "
                      "leading zeros and the letter X), not %(type)s.")
                    % {"field": label, "domain_type": domain_type, "type": field_type})
    masking_kind = field.get("maskingKind")
    if masking_kind is not None and masking_kind not in MASKING_KINDS:
        out.add(f"{path}.maskingKind", "masking_kind_unknown",
                _("%(field)s: “%(value)s” is not a masking kind; use one of %(choices)s.")
                % {"field": label, "value": masking_kind, "choices": ", ".join(MASKING_KINDS)})
    if field_type is not None:
        _check_constraints(out, f"{path}.constraints", label, field, field_type)


def descriptor_problems(descriptor: Any) -> list[SchemaProblem]:
    """Every problem of the descriptor, in order; an empty list when it is valid."""
    out = _Collector()
    if not isinstance(descriptor, dict):
        out.add("", "not_object", _("The table schema must be a JSON object with a “fields” list."))
        return out.problems
    for key in descriptor:
        if key not in SCHEMA_KEYS:
            out.add(key, "schema_property_unknown",
                    _("“%(key)s” is not a Table Schema property; use %(choices)s.")
                    % {"key": key, "choices": ", ".join(SCHEMA_KEYS)})
    fields = descriptor.get("fields")
    if not isinstance(fields, list) or not fields:
        out.add("fields", "no_fields", _("The table schema needs a “fields” list with at least one field."))
        fields = []
    names: dict[str, int] = {}
    for number, field in enumerate(fields, start=1):
        _check_field(out, number, field, names)
    primary_key = descriptor.get("primaryKey")
    if primary_key is not None:
        keys = [primary_key] if isinstance(primary_key, str) else primary_key
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            out.add("primaryKey", "primary_key_invalid",
                    _("The primary key must be a field name or a list of field names."))
        else:
            seen: set[str] = set()
            for key in keys:
                if key not in names:
                    out.add("primaryKey", "primary_key_unknown",
                            _("The primary key names “%(name)s”, which is not a field of the schema.") % {"name": key})
                elif key in seen:
                    out.add("primaryKey", "primary_key_duplicate",
                            _("The primary key names “%(name)s” twice.") % {"name": key})
                seen.add(key)
    missing_values = descriptor.get("missingValues")
    if missing_values is not None and not (
        isinstance(missing_values, list) and all(isinstance(v, str) for v in missing_values)
    ):
        out.add("missingValues", "missing_values_invalid",
                _("“missingValues” must be a list of strings, such as [\"\", \"NA\"]."))
    return out.problems


def descriptor_validate(descriptor: Any) -> None:
    """Raise SchemaInvalid listing every problem, if there is any."""
    problems = descriptor_problems(descriptor)
    if problems:
        raise SchemaInvalid(problems)


def descriptor_field_names(descriptor: dict) -> list[str]:
    return [f["name"] for f in descriptor.get("fields", []) if isinstance(f, dict) and "name" in f]
