"""The rules engine: each quality rule compiles to a SQL condition that is TRUE when a row breaks it.

All of a load's rules run in one pass (`count(*) FILTER (WHERE …)` per rule) over a relation whose
columns are the schema's fields as text (VARCHAR, the values as delivered; missing values already
NULL). The SQL is DuckDB's dialect and keeps to what SQLGlot can carry to Spark SQL, so the same
rules run on a cluster: `to_spark_sql()`.

The identifier checks compute their check characters in SQL, from substrings and weights:
- resident ID (GB 11643): the 17-digit body is cast to one BIGINT and its digits taken with
  integer division, since Σ aᵢ·2¹⁸⁻ⁱ over all 18 characters (X = 10) is 1 mod 11 exactly when the
  check character is right (ISO 7064 MOD 11-2) - one cast instead of seventeen substrings;
- credit code (GB 32100): each character's value is its position in the 31-symbol alphabet,
  weighted by 3ⁱ mod 31, MOD 31; the embedded organization code (GB 11714) has its own check.
The SQL is stricter than kernel.ids' parsers about form: it takes values as stored, so spaces,
full-width digits and 15-digit resident IDs (invalid since 2013) are violations here, where the
kernel's parsers normalise what a person types into a form.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlglot
from sqlglot import exp

from zhengtong.data.catalog.public import FieldSpec, RuleKind, RuleSpec, SchemaSpec

SAMPLE_LIMIT = 20
MASK_BITS = 62  # rule flags per BIGINT bit mask (signed in Spark: the sign bit stays unused)

# GB/T 2260 province codes (71 Taiwan, 81 Hong Kong, 82 Macao); resident IDs of Hong Kong, Macao
# and Taiwan residence permits use 83, central organs' credit codes 10. Kept equal to kernel.ids
# by tests that check the SQL against its parsers.
PROVINCE_CODES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
RESIDENT_ID_PROVINCES = (*PROVINCE_CODES, "83")
USCC_PROVINCES = (*PROVINCE_CODES, "10")
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 32100-2015 table 1: registration authority + institution category, the first two characters.
USCC_PREFIXES = (
    "11 12 13 19 21 29 31 32 33 34 35 39 41 49 51 52 53 59 61 62 69 71 72 79 81 89 91 92 93 "
    "A1 A9 N1 N2 N3 N9 Y1"
).split()
EARLIEST_BIRTH = date(1900, 1, 1)

INTEGER_SHAPE = r"[+-]?[0-9]+"
NUMBER_SHAPE = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|INF|-INF"
BOOLEAN_TRUE = ("true", "True", "TRUE", "1")
BOOLEAN_FALSE = ("false", "False", "FALSE", "0")
TYPE_CHECKED = ("integer", "number", "boolean")

# Date formats a "cn_date" field without a format of its own accepts: what Chinese offices write.
CN_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d")
ISO_DATE = "%Y-%m-%d"

MALE_VALUES = ("男", "M", "m", "male", "Male", "1")
FEMALE_VALUES = ("女", "F", "f", "female", "Female", "2")


class RuleCompileError(ValueError):
    """A rule that cannot be turned into SQL (unknown field or kind, bad parameters)."""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def lit_list(values: Sequence[Any]) -> str:
    return ", ".join(lit(v) for v in values)


def number_lit(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RuleCompileError(f"{value!r} is not a number") from None
    return repr(number) if not number.is_integer() else str(int(number))


# strftime directive → (shape regex when next to another digit directive, when next to a separator)
_DIRECTIVES = {
    "Y": ("[0-9]{4}", "[0-9]{4}"),
    "y": ("[0-9]{2}", "[0-9]{2}"),
    "m": ("[0-9]{2}", "[0-9]{1,2}"),
    "d": ("[0-9]{2}", "[0-9]{1,2}"),
    "H": ("[0-9]{2}", "[0-9]{1,2}"),
    "M": ("[0-9]{2}", "[0-9]{1,2}"),
    "S": ("[0-9]{2}", "[0-9]{1,2}"),
}
_DIRECTIVE = re.compile(r"%(.)")


def format_shape(fmt: str, *, strict_iso: bool = False) -> str | None:
    """The regex a value must fully match to be read with strptime format `fmt`, or None when the
    format has directives this does not know. A directive written next to another one (%Y%m%d)
    needs its full width; next to a separator (2024年3月5日) one digit is enough. strptime alone
    would read " 2024-03-05" or "2024035" too, and Spark's parser would not: the shape makes both
    engines agree."""
    parts = _DIRECTIVE.split(fmt)
    # parts alternate: literal, directive, literal, directive, …, literal
    shape = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            shape.append(re.escape(part))
            continue
        if part not in _DIRECTIVES:
            return None
        before, after = parts[index - 1], parts[index + 1] if index + 1 < len(parts) else ""
        adjacent = (before == "" and index > 1) or (after == "" and index + 2 < len(parts))
        narrow, loose = _DIRECTIVES[part]
        shape.append(narrow if adjacent or strict_iso else loose)
    return "".join(shape)


_REGEX_SPECIAL = set(".^$*+?()[]{}|\\")
_GLOB_SPECIAL = set("*?[]")


def glob_of(regex: str) -> str | None:
    """The GLOB pattern matching exactly the strings `regex` fully matches, when the regex is a
    fixed sequence of literal characters and ASCII character classes, each optionally repeated
    {n} times (1[3-9][0-9]{9}, [0-9]{4}-[0-9]{2}-[0-9]{2}); None for anything else. DuckDB
    matches a GLOB without the regex engine, in about two thirds of the time."""
    text = regex[1:] if regex.startswith("^") else regex
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    atoms: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1].isalnum():
                return None  # \d, \w, \b… are classes or assertions, not literals
            literal = text[i + 1]
            atoms.append(f"[{literal}]" if literal in _GLOB_SPECIAL else literal)
            i += 2
        elif char == "[":
            end = text.find("]", i + 1)
            if end < 0:
                return None
            body = text[i + 1:end]
            # ASCII members only, not negated: a GLOB class matches one byte where a regex class
            # matches one character, which is the same thing for ASCII alone.
            if (not body or not body.isascii() or any(c in "[\\^!]" for c in body)
                    or body.startswith("-") or body.endswith("-")):
                return None
            atoms.append(f"[{body}]")
            i = end + 1
        elif char == "{":
            end = text.find("}", i + 1)
            count = text[i + 1:end] if end > 0 else ""
            if not atoms or not count.isdigit():
                return None
            atoms.extend([atoms[-1]] * (int(count) - 1))
            i = end + 1
        elif char in _REGEX_SPECIAL:
            return None
        else:
            atoms.append(f"[{char}]" if char in _GLOB_SPECIAL else char)
            i += 1
    return "".join(atoms) if atoms else None


def glob_regex(pattern: str) -> str:
    """A GLOB pattern of glob_of's kind as a regex (for Spark, which has no GLOB)."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append(f"[^{body[1:]}]" if body.startswith("!") else f"[{body}]")
            i = end + 1
        elif char == "*":
            out.append(".*")
            i += 1
        elif char == "?":
            out.append(".")
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def full_match(column: str, regex: str) -> str:
    """TRUE when the whole value matches `regex`: a GLOB when the regex has one (glob_of)."""
    pattern = glob_of(regex)
    return f"({column} GLOB {lit(pattern)})" if pattern else f"regexp_full_match({column}, {lit(regex)})"


def field_date_formats(spec: FieldSpec, params: Mapping[str, Any] | None = None) -> tuple[tuple[str, bool], ...]:
    """(format, strict) pairs a date field's values may take; the default is ISO 8601."""
    fmt = (params or {}).get("format") or spec.format
    if fmt and fmt not in ("default", "any"):
        formats = fmt if isinstance(fmt, (list, tuple)) else [fmt]
        return tuple((f, False) for f in formats)
    if spec.domain_type == "cn_date" or fmt == "any":
        return tuple((f, f == ISO_DATE) for f in CN_DATE_FORMATS)
    return ((ISO_DATE, True),)


def date_expr(column: str, formats: Sequence[tuple[str, bool]]) -> str:
    """A TIMESTAMP, or NULL when the value is not a date in one of the formats."""
    options = []
    for fmt, strict in formats:
        shape = format_shape(fmt, strict_iso=strict)
        parse = f"try_strptime({column}, {lit(fmt)})"
        options.append(f"CASE WHEN {full_match(column, shape)} THEN {parse} END" if shape else parse)
    return options[0] if len(options) == 1 else f"coalesce({', '.join(options)})"


def _datetime_expr(column: str, spec: FieldSpec, params: Mapping[str, Any] | None) -> str:
    fmt = (params or {}).get("format") or spec.format
    if spec.type == "datetime" and (not fmt or fmt in ("default", "any")):
        return f"TRY_CAST({column} AS TIMESTAMP)"
    return date_expr(column, field_date_formats(spec, params))


def _days_in_month(y: str, m: str) -> str:
    leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
    return (f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
            f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")


def resident_id_parts(column: str, alias: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Columns computed once per row before the checks (string work is what costs: do it once).
    Stage 1: the value as a number (NULL unless it has the shape of an ID). Stage 2: the 17-digit
    body and the check character's value (X = 10). Stage 3: the province, the birth date as
    YYYYMMDD and the weighted sum."""
    body, check, ymd, total = (f"{alias}_{n}" for n in ("body", "check", "ymd", "sum"))
    # Σ wᵢ·aᵢ over the 17 digits aᵢ = q₁₇₋ᵢ - 10·q₁₈₋ᵢ with q_k = body DIV 10^k: regrouped by q_k,
    # 16 divisions instead of 17 divisions and 17 remainders. Coefficients are reduced mod 11 to
    # -5..5, so the sum stays far inside a BIGINT.
    coefficients: dict[int, int] = {}
    for i, w in enumerate(RESIDENT_ID_WEIGHTS, start=1):
        coefficients[17 - i] = coefficients.get(17 - i, 0) + w
        if 18 - i < 17:
            coefficients[18 - i] = coefficients.get(18 - i, 0) - 10 * w
    terms = [
        f"{body} * {c}" if k == 0 else f"({body} // {10 ** k}) * {c}"
        for k, c in sorted((k, (v % 11 + 5) % 11 - 5) for k, v in coefficients.items())
        if c
    ]
    weighted = " + ".join(terms)
    number = f"{alias}_n"
    digits = "[0-9]" * 17
    return (
        (
            # All 18 characters as one BIGINT when the last is a digit (fits: < 10^18); when it is
            # X, minus one minus the body. One cast of the whole value, no substrings.
            (number, f"CASE WHEN {column} GLOB '{digits}[0-9]' THEN TRY_CAST({column} AS BIGINT) "
                     f"WHEN {column} GLOB '{digits}[Xx]' THEN -1 - TRY_CAST(left({column}, 17) AS BIGINT) END"),
        ),
        (
            (body, f"CASE WHEN {number} >= 0 THEN {number} // 10 ELSE -1 - {number} END"),
            (check, f"CASE WHEN {number} >= 0 THEN {number} % 10 ELSE 10 END"),
        ),
        (
            (f"{alias}_province", f"{body} // 1000000000000000"),
            (ymd, f"({body} // 1000) % 100000000"),
            (f"{alias}_y", f"({body} // 10000000) % 10000"),
            (f"{alias}_m", f"({body} // 100000) % 100"),
            (f"{alias}_d", f"({body} // 1000) % 100"),
            (total, f"(({weighted} + {check}) % 11 + 11) % 11"),
        ),
    )


def in_ranges(expr: str, codes: Sequence[str]) -> str:
    """`expr IN (codes)` for numeric codes, written as ranges of consecutive values: a handful of
    comparisons, where a long IN list becomes a join in DuckDB's plan (twice the cost here)."""
    values = sorted({int(c) for c in codes})
    ranges: list[list[int]] = []
    for value in values:
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    parts = [f"{expr} = {a}" if a == b else f"{expr} BETWEEN {a} AND {b}" for a, b in ranges]
    return f"({' OR '.join(parts)})"


def resident_id_valid(alias: str, *, today: date) -> str:
    """TRUE when the parts (resident_id_parts) are those of a valid 18-character resident ID: a
    province code, a real birth date from 1900-01-01 to today, the right check character. Date
    and province are read with integer arithmetic from the body, not parsed again from text."""
    body, ymd, total, province = (f"{alias}_{n}" for n in ("body", "ymd", "sum", "province"))
    y, m, d = f"{alias}_y", f"{alias}_m", f"{alias}_d"
    return (
        f"({body} IS NOT NULL AND {in_ranges(province, RESIDENT_ID_PROVINCES)}"
        f" AND {ymd} >= {EARLIEST_BIRTH:%Y%m%d} AND {ymd} <= {today:%Y%m%d}"
        f" AND {m} BETWEEN 1 AND 12 AND {d} >= 1 AND {d} <= {_days_in_month(y, m)}"
        f" AND {total} = 1)"
    )


def _alphabet_value(alphabet: str, char_sql: str) -> str:
    return f"(strpos({lit(alphabet)}, {char_sql}) - 1)"


def uscc_valid(column: str) -> str:
    """TRUE when a value is a unified social credit code whose two check characters are right."""
    v = f"upper({column})"
    alphabet = f"[{USCC_ALPHABET}]"
    total = " + ".join(
        f"{_alphabet_value(USCC_ALPHABET, f'substr({v}, {i}, 1)')} * {w}" for i, w in enumerate(USCC_WEIGHTS, start=1)
    )
    org_total = " + ".join(
        f"{_alphabet_value(ORG_CODE_ALPHABET, f'substr({v}, {8 + i}, 1)')} * {w}"
        for i, w in enumerate(ORG_CODE_WEIGHTS, start=1)
    )
    # GB 11714: c = 11 - (Σ % 11); 10 is written X and 11 is written 0.
    org_check = f"substr('123456789X0', 11 - (({org_total}) % 11), 1)"
    final_check = f"substr({lit(USCC_ALPHABET)}, ((31 - (({total}) % 31)) % 31) + 1, 1)"
    return (
        f"(regexp_full_match({v}, '{alphabet}{{2}}[0-9]{{6}}{alphabet}{{10}}')"
        f" AND substr({v}, 1, 2) IN ({lit_list(USCC_PREFIXES)})"
        f" AND substr({v}, 3, 2) IN ({lit_list(USCC_PROVINCES)})"
        f" AND substr({v}, 17, 1) = {org_check}"
        f" AND substr({v}, 18, 1) = {final_check})"
    )


@dataclass(frozen=True)
class DuplicateKey:
    """Rows whose values of `fields` occur more than once (NULLs never count as duplicates)."""

    alias: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """Values of `field` must occur in `ref_field` of another dataset's current version."""

    alias: str
    field: str
    relation: str | None  # None: the referenced dataset has no version yet
    ref_field: str


@dataclass(frozen=True)
class CompiledRule:
    code: str
    kind: str
    field: str
    fields: tuple[str, ...]  # shown with each failing row
    condition: str  # TRUE when a row breaks the rule
    # Columns computed before the condition, stage by stage (a stage may use the ones before).
    prepare: tuple[tuple[tuple[str, str], ...], ...] = ()
    duplicate_key: DuplicateKey | None = None
    reference: Reference | None = None
    note: str = ""


def _spec(schema: SchemaSpec, name: str, rule: RuleSpec) -> FieldSpec:
    for spec in schema.fields:
        if spec.name == name:
            return spec
    raise RuleCompileError(f"rule {rule.code}: the schema has no field {name!r}")


def rule_compile(
    rule: RuleSpec,
    schema: SchemaSpec,
    *,
    index: int,
    today: date,
    reference_relation: Callable[[str], str | None] | None = None,
) -> CompiledRule | None:
    """The SQL of one rule; None for rules that are not about rows (timeliness)."""
    kind = str(rule.kind)
    params = dict(rule.params or {})
    if kind == RuleKind.TIMELINESS:
        return None
    if kind == RuleKind.UNIQUE:
        names = tuple(params.get("fields") or ([rule.field] if rule.field else []))
        if not names:
            raise RuleCompileError(f"rule {rule.code}: a uniqueness rule needs a field or fields")
        for name in names:
            _spec(schema, name, rule)
        key = DuplicateKey(alias=f"__dup{index}", fields=names)
        # No condition of its own: validation_sql counts the key's rows in the way its query's shape needs.
        return CompiledRule(rule.code, kind, rule.field, names, "", duplicate_key=key)
    if kind == RuleKind.CONSISTENCY:
        return _consistency(rule, schema, params)
    if not rule.field:
        raise RuleCompileError(f"rule {rule.code}: a {kind} rule needs a field")
    spec = _spec(schema, rule.field, rule)
    c = ident(rule.field)
    present = f"{c} IS NOT NULL"
    fields = (rule.field,)
    if kind == RuleKind.REQUIRED:
        condition = f"{c} IS NULL"
    elif kind == RuleKind.PATTERN:
        regex = params.get("regex") or spec.pattern
        if not regex:
            raise RuleCompileError(f"rule {rule.code}: a pattern rule needs a regex")
        condition = f"{present} AND NOT {full_match(c, regex)}"
    elif kind == RuleKind.ENUM:
        values = params.get("values", spec.enum)
        if values is None:
            raise RuleCompileError(f"rule {rule.code}: an enum rule needs values")
        condition = f"{present} AND {c} NOT IN ({lit_list(values)})" if values else present
    elif kind == RuleKind.RANGE:
        condition = _range(rule, spec, params, c)
    elif kind == RuleKind.DATE:
        condition = f"{present} AND {_datetime_expr(c, spec, params)} IS NULL"
    elif kind == RuleKind.RESIDENT_ID:
        alias = f"__p{index}"
        return CompiledRule(rule.code, kind, rule.field, fields,
                            f"{present} AND NOT coalesce({resident_id_valid(alias, today=today)}, FALSE)",
                            prepare=resident_id_parts(c, alias))
    elif kind == RuleKind.USCC:
        condition = f"{present} AND NOT {uscc_valid(c)}"
    elif kind == RuleKind.MOBILE:
        condition = f"{present} AND NOT {full_match(c, '1[3-9][0-9]{9}')}"
    elif kind == RuleKind.DIVISION_CODE:
        condition = (
            f"{present} AND NOT (regexp_full_match({c}, '[0-9]{{6}}([0-9]{{3}})?')"
            f" AND substr({c}, 1, 2) IN ({lit_list(PROVINCE_CODES)}))"
        )
    elif kind == RuleKind.REFERENCE:
        target, ref_field = params.get("dataset"), params.get("field")
        if not target or not ref_field:
            raise RuleCompileError(f"rule {rule.code}: a reference rule needs a dataset and a field")
        relation = reference_relation(target) if reference_relation else None
        reference = Reference(alias=f"__ref{index}", field=rule.field, relation=relation, ref_field=ref_field)
        if relation is None:
            return CompiledRule(rule.code, kind, rule.field, fields, present, reference=None,
                                note="reference_has_no_version")
        return CompiledRule(rule.code, kind, rule.field, fields, f"{present} AND {reference.alias}.__k IS NULL",
                            reference=reference)
    else:
        raise RuleCompileError(f"rule {rule.code}: unknown kind {kind!r}")
    return CompiledRule(rule.code, kind, rule.field, fields, condition)


def _range(rule: RuleSpec, spec: FieldSpec, params: Mapping[str, Any], c: str) -> str:
    """Values that cannot be read as the field's type are the type or date rule's business, not
    the range's: a range judges only what it can compare."""
    low, high = params.get("minimum"), params.get("maximum")
    if low is None and high is None:
        raise RuleCompileError(f"rule {rule.code}: a range rule needs a minimum or a maximum")
    if spec.type in ("date", "datetime") or spec.domain_type == "cn_date":
        value = _datetime_expr(c, spec, params)

        def bound(b):
            return f"TIMESTAMP {lit(str(b) if ' ' in str(b) or 'T' in str(b) else f'{b} 00:00:00')}"
    else:
        value = f"TRY_CAST({c} AS DOUBLE)"
        bound = number_lit
    outside = []
    if low is not None:
        outside.append(f"{value} < {bound(low)}")
    if high is not None:
        outside.append(f"{value} > {bound(high)}")
    return f"{c} IS NOT NULL AND ({' OR '.join(outside)})"


def _consistency(rule: RuleSpec, schema: SchemaSpec, params: Mapping[str, Any]) -> CompiledRule:
    """consistency {"check": "birth_date_matches_resident_id" | "gender_matches_resident_id",
    "fields": {"resident_id": …, "birth_date": … | "gender": …}} (rule.field may name the ID field).
    Only rows where both values can be read are judged; a malformed ID is the ID rule's business."""
    check = params.get("check")
    names = dict(params.get("fields") or {})
    id_field = names.get("resident_id") or rule.field
    if not id_field:
        raise RuleCompileError(f"rule {rule.code}: a consistency rule needs the resident ID field")
    _spec(schema, id_field, rule)
    v = f"upper({ident(id_field)})"
    id_shape = f"regexp_full_match({v}, '[0-9]{{17}}[0-9X]')"
    if check == "birth_date_matches_resident_id":
        other = names.get("birth_date")
        if not other:
            raise RuleCompileError(f"rule {rule.code}: needs fields.birth_date")
        spec = _spec(schema, other, rule)
        born = f"CAST({_datetime_expr(ident(other), spec, None)} AS DATE)"
        in_id = f"CAST(try_strptime(substr({v}, 7, 8), '%Y%m%d') AS DATE)"
        condition = f"{id_shape} AND {born} IS NOT NULL AND {in_id} IS NOT NULL AND {born} <> {in_id}"
    elif check == "gender_matches_resident_id":
        other = names.get("gender")
        if not other:
            raise RuleCompileError(f"rule {rule.code}: needs fields.gender")
        _spec(schema, other, rule)
        male = tuple(params.get("male_values") or MALE_VALUES)
        female = tuple(params.get("female_values") or FEMALE_VALUES)
        g = ident(other)
        digit = f"TRY_CAST(substr({v}, 17, 1) AS INTEGER)"
        condition = (
            f"{id_shape} AND (({g} IN ({lit_list(male)}) AND {digit} % 2 = 0)"
            f" OR ({g} IN ({lit_list(female)}) AND {digit} % 2 = 1))"
        )
    else:
        raise RuleCompileError(f"rule {rule.code}: unknown consistency check {check!r}")
    return CompiledRule(rule.code, RuleKind.CONSISTENCY, rule.field or id_field, (id_field, other), condition)


def type_conditions(schema: SchemaSpec) -> dict[str, str]:
    """Per field of a checked type (integer, number, boolean): TRUE when a value does not read as
    that type. These are not quality rules: a load with any of them fails."""
    conditions = {}
    for spec in schema.fields:
        c = ident(spec.name)
        if spec.type == "integer":
            conditions[spec.name] = (
                f"{c} IS NOT NULL AND (NOT regexp_full_match({c}, {lit(INTEGER_SHAPE)})"
                f" OR TRY_CAST({c} AS BIGINT) IS NULL)"
            )
        elif spec.type == "number":
            conditions[spec.name] = (
                f"{c} IS NOT NULL AND (NOT regexp_full_match({c}, {lit(NUMBER_SHAPE)})"
                f" OR TRY_CAST({c} AS DOUBLE) IS NULL)"
            )
        elif spec.type == "boolean":
            conditions[spec.name] = f"{c} IS NOT NULL AND {c} NOT IN ({lit_list(BOOLEAN_TRUE + BOOLEAN_FALSE)})"
    return conditions


def typed_projection(schema: SchemaSpec, source_columns: Sequence[str] | None = None) -> str:
    """SELECT list turning the text columns into the version's columns: integers, numbers and
    booleans typed (type_conditions guarantee they cast), everything else kept as delivered -
    dates too, since a date that breaks its rule is kept as it was written."""
    items = []
    available = set(source_columns) if source_columns is not None else None
    for spec in schema.fields:
        c = ident(spec.name)
        if available is not None and spec.name not in available:
            items.append(f"CAST(NULL AS {version_type(spec)}) AS {c}")
        elif spec.type == "boolean":
            items.append(f"CASE WHEN {c} IN ({lit_list(BOOLEAN_TRUE)}) THEN TRUE "
                         f"WHEN {c} IS NULL THEN NULL ELSE FALSE END AS {c}")
        elif spec.type in ("integer", "number"):
            items.append(f"TRY_CAST({c} AS {version_type(spec)}) AS {c}")
        else:
            items.append(f"CAST({c} AS VARCHAR) AS {c}")
    return ", ".join(items)


def version_type(spec: FieldSpec) -> str:
    return {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}.get(spec.type, "VARCHAR")


@dataclass
class ValidationQuery:
    """The one-pass validation query and what each of its output columns means."""

    sql: str
    rule_columns: dict[str, str] = field(default_factory=dict)  # rule code → count column
    sample_columns: dict[str, str] = field(default_factory=dict)  # rule code → [{row, values}] column
    type_columns: dict[str, str] = field(default_factory=dict)  # field → count column
    type_sample_columns: dict[str, str] = field(default_factory=dict)  # field → [row] column
    shape: str = "flat"  # flat (no uniqueness rule), grouped or windowed: see validation_sql


def _not_null(columns: Sequence[str]) -> str:
    return " AND ".join(f"{c} IS NOT NULL" for c in columns)


def validation_sql(
    relation: str,
    compiled: Sequence[CompiledRule],
    *,
    type_checks: Mapping[str, str] | None = None,
    samples: bool = False,
    row_column: str = "__row",
    portable: bool = False,
) -> ValidationQuery:
    """One query, one scan of `relation`: the row count, each rule's failure count, the rows with
    any problem, and (samples=True, DuckDB only) the first SAMPLE_LIMIT failing rows of each rule
    with the values of its fields, and the first failing row numbers of each type check.
    `relation` must have `row_column` when samples are asked for.

    Shape: the relation → __prep1… (columns rules compute once per row) → __flags (one boolean per
    rule, references joined in) → one aggregate. Uniqueness needs every row's key before any row's
    verdict; the source is still read once, never kept whole:
    - grouped (no samples, one key, DuckDB): __flags grouped by the key, each key keeping its
      count of rows and the list of its failing rows' flags packed into bit masks (empty for a
      clean key); the aggregate counts every row of a key with more than one as a duplicate, and
      each rule's failures from the masks. One small entry per distinct key (a hash aggregate,
      which spills to disk past DuckDB's memory limit); the rows themselves are not kept.
    - joined (samples, or several keys): the keys occurring more than once are found first by a
      GROUP BY over the key's columns alone (a second, narrow scan of the relation: DuckDB reads
      only those columns), then joined to every row, so the aggregate sees each row's own verdict
      and can pick its row number for the samples. Only the repeated keys are held for the join.
    - windowed (portable=True, for Spark): count(*) OVER (PARTITION BY the key) per row."""
    stages: list[list[str]] = []
    for rule in compiled:
        for depth, stage in enumerate(rule.prepare):
            while len(stages) <= depth:
                stages.append([])
            stages[depth].extend(f"{expr} AS {alias}" for alias, expr in stage)
    ctes = []
    source = f"(SELECT * FROM {relation}) AS __src"
    for depth, items in enumerate(stages, start=1):
        ctes.append(f"__prep{depth} AS (SELECT *, {', '.join(items)} FROM {source})")
        source = f"__prep{depth}"
    scope = "__src" if not stages else source
    joins = []
    for rule in compiled:
        if rule.reference:
            ref = rule.reference
            rc = ident(ref.ref_field)
            ctes.append(
                f"{ref.alias} AS (SELECT DISTINCT CAST({rc} AS VARCHAR) AS __k FROM {ref.relation} "
                f"WHERE {rc} IS NOT NULL)"
            )
            joins.append(f"LEFT JOIN {ref.alias} ON {scope}.{ident(ref.field)} = {ref.alias}.__k")
    keys = {rule.duplicate_key.fields for rule in compiled if rule.duplicate_key}
    if not keys:
        shape = "flat"
    elif portable:
        shape = "windowed"
    elif samples or len(keys) > 1:
        shape = "joined"
    else:
        shape = "grouped"
    query = ValidationQuery(sql="", shape=shape)
    if shape == "joined":
        for rule in compiled:
            if rule.duplicate_key:
                key = rule.duplicate_key
                cols = ", ".join(ident(f) for f in key.fields)
                names = ", ".join(f"{ident(f)} AS __k{n}" for n, f in enumerate(key.fields))
                # The relation again (not a CTE, which DuckDB would keep whole to read twice):
                # a scan of the key's columns only.
                ctes.append(
                    f"{key.alias} AS (SELECT {names} FROM (SELECT * FROM {relation}) AS __keys "
                    f"WHERE {_not_null([ident(f) for f in key.fields])} GROUP BY {cols} HAVING count(*) > 1)"
                )
                on = " AND ".join(f"{scope}.{ident(f)} = {key.alias}.__k{n}" for n, f in enumerate(key.fields))
                joins.append(f"LEFT JOIN {key.alias} ON {on}")
    checks = list((type_checks or {}).items())

    items = []  # the columns of __flags
    if samples:
        items.append(f"{scope}.{ident(row_column)} AS __row")
    key_columns: list[str] = []
    if shape == "grouped":
        (key,) = keys
        key_columns = [f"__key{n}" for n in range(len(key))]
        items += [f"{scope}.{ident(f)} AS {k}" for f, k in zip(key, key_columns)]
    per_row = []  # rules with a verdict per row in __flags
    shown: dict[str, str] = {}  # field → its column in __flags, for the samples
    for n, rule in enumerate(compiled):
        query.rule_columns[rule.code] = f"__n{n}"
        if rule.duplicate_key and shape == "grouped":
            continue
        if rule.duplicate_key and shape == "joined":
            condition = f"{rule.duplicate_key.alias}.__k0 IS NOT NULL"
        elif rule.duplicate_key:
            cols = [f"{scope}.{ident(f)}" for f in rule.duplicate_key.fields]
            condition = f"{_not_null(cols)} AND count(*) OVER (PARTITION BY {', '.join(cols)}) > 1"
        else:
            condition = rule.condition
        # NULL counts as FALSE in every use below (FILTER, OR, CASE WHEN): no coalesce needed.
        items.append(f"({condition}) AS __r{n}")
        per_row.append(n)
        if samples:
            query.sample_columns[rule.code] = f"__s{n}"
            for name in rule.fields:
                if name not in shown:
                    shown[name] = f"__x{len(shown)}"
                    items.append(f"{scope}.{ident(name)} AS {shown[name]}")
    for n, (name, condition) in enumerate(checks):
        items.append(f"({condition}) AS __t{n}")
        query.type_columns[name] = f"__tn{n}"
        if samples:
            query.type_sample_columns[name] = f"__ts{n}"
    ctes.append(f"__flags AS (SELECT {', '.join(items) if items else 'FALSE AS __none'} "
                f"FROM {source} {' '.join(joins)})")

    if shape == "grouped":
        # Each row's flags packed into bit masks (MASK_BITS to a BIGINT); per key, its rows and the
        # masks of those that fail anything (usually few: the list stays empty for clean keys, and
        # two aggregate states per key cost less than one count per rule).
        flags = [f"__r{n}" for n in per_row] + [f"__t{n}" for n in range(len(checks))]
        bit = {name: (index // MASK_BITS, 1 << (index % MASK_BITS)) for index, name in enumerate(flags)}
        masks = [f"__m{j}" for j in range(max(1, (len(flags) + MASK_BITS - 1) // MASK_BITS))]
        packed = []
        for j, mask in enumerate(masks):
            terms = [f"CASE WHEN {name} THEN {value} ELSE 0 END" for name, (k, value) in bit.items() if k == j]
            packed.append(f"{' + '.join(terms) if terms else '0'} AS {mask}")
        element = masks[0] if len(masks) == 1 else f"[{', '.join(masks)}]"
        failing = " OR ".join(f"{m} <> 0" for m in masks)
        ctes.append(
            f"__groups AS (SELECT {', '.join(key_columns)}, count(*) AS __c, "
            f"list({element}) FILTER (WHERE {failing}) AS __l "
            f"FROM (SELECT {', '.join(key_columns)}, {', '.join(packed)} FROM __flags) AS __packed "
            f"GROUP BY {', '.join(key_columns)})"
        )
        duplicated = f"__c > 1 AND {_not_null(key_columns)}"

        def test(bits: dict[int, int]) -> str:
            """Rows of a key whose masks have any of `bits` ({mask index: bits})."""
            parts = [f"(x{'' if len(masks) == 1 else f'[{j + 1}]'} & {value}) <> 0" for j, value in bits.items() if value]
            return f"len(list_filter(__l, lambda x: {' OR '.join(parts) or 'FALSE'}))"

        def rows_with(name: str) -> str:
            j, value = bit[name]
            return f"coalesce(sum(CASE WHEN __l IS NOT NULL THEN {test({j: value})} END), 0)"

        rule_bits: dict[int, int] = {}
        for n in per_row:
            j, value = bit[f"__r{n}"]
            rule_bits[j] = rule_bits.get(j, 0) | value
        aggregates = ["coalesce(sum(__c), 0) AS __rows"]
        for n, rule in enumerate(compiled):
            if rule.duplicate_key:
                aggregates.append(f"coalesce(sum(CASE WHEN {duplicated} THEN __c END), 0) AS __n{n}")
            else:
                aggregates.append(f"{rows_with(f'__r{n}')} AS __n{n}")
        # Every row of a duplicated key, and elsewhere the rows failing another rule.
        aggregates.append(f"coalesce(sum(CASE WHEN {duplicated} THEN __c WHEN __l IS NOT NULL THEN {test(rule_bits)} END), 0)"
                          " AS __problem")
        aggregates += [f"{rows_with(f'__t{n}')} AS __tn{n}" for n in range(len(checks))]
        query.sql = f"WITH {', '.join(ctes)} SELECT {', '.join(aggregates)} FROM __groups"
        return query

    aggregates = ["count(*) AS __rows"]
    aggregates += [f"count(*) FILTER (WHERE __r{n}) AS __n{n}" for n in per_row]
    rule_flags = " OR ".join(f"__r{n}" for n in per_row)
    aggregates.append(f"count(*) FILTER (WHERE {rule_flags}) AS __problem" if per_row else "0 AS __problem")
    aggregates += [f"count(*) FILTER (WHERE __t{n}) AS __tn{n}" for n in range(len(checks))]
    if samples:
        for n in per_row:
            values = ", ".join(shown[f] for f in compiled[n].fields) or "NULL"
            # The struct is built for failing rows only: CASE evaluates THEN for those alone.
            sample = f"CASE WHEN __r{n} THEN {{'row': __row, 'values': [{values}]}} END"
            aggregates.append(f"arg_min({sample}, __row, {SAMPLE_LIMIT}) FILTER (WHERE __r{n}) AS __s{n}")
        aggregates += [f"min(__row, {SAMPLE_LIMIT}) FILTER (WHERE __t{n}) AS __ts{n}" for n in range(len(checks))]
    query.sql = f"WITH {', '.join(ctes)} SELECT {', '.join(aggregates)} FROM __flags"
    return query


def failing_rows_sql(relation: str, rule: CompiledRule, *, row_column: str = "__row") -> str:
    """Every row number that breaks one rule (for tests and for exporting a rule's problem rows)."""
    query = validation_sql(relation, [rule], samples=True, row_column=row_column).sql
    head, _, _ = query.rpartition(" SELECT count(*) AS __rows")
    return f"{head} SELECT __row FROM __flags WHERE __r0 ORDER BY __row"


# ---- Spark -----------------------------------------------------------------------------------

_JAVA_DIRECTIVES = {"Y": "yyyy", "y": "yy", "m": "M", "d": "d", "H": "H", "M": "m", "S": "s"}
_JAVA_DIRECTIVES_WIDE = {"m": "MM", "d": "dd", "H": "HH", "M": "mm", "S": "ss"}


def java_date_format(fmt: str) -> str:
    """A strftime format as a Spark (java.time) pattern. One-letter fields read one or two digits,
    like DuckDB's %m; next to another field they need their full width (the SQL's shape regex
    already insists on it)."""
    parts = _DIRECTIVE.split(fmt)
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            # Letters are pattern symbols in java.time: quote literal text that has any.
            out.append(f"'{part}'" if re.search(r"[A-Za-z']", part) else part)
            continue
        before, after = parts[index - 1], parts[index + 1] if index + 1 < len(parts) else ""
        adjacent = (before == "" and index > 1) or (after == "" and index + 2 < len(parts))
        out.append((_JAVA_DIRECTIVES_WIDE if adjacent else _JAVA_DIRECTIVES).get(part, _JAVA_DIRECTIVES.get(part, part)))
    return "".join(out)


def _spark_transform(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Glob) and isinstance(node.expression, exp.Literal):
        regex = exp.Literal.string(f"^(?:{glob_regex(node.expression.this)})$")
        return exp.RegexpLike(this=node.this, expression=regex)
    if isinstance(node, exp.RegexpFullMatch):
        pattern = node.expression
        if isinstance(pattern, exp.Literal):
            anchored = exp.Literal.string(f"^(?:{pattern.this})$")
        else:
            anchored = exp.func("concat", exp.Literal.string("^(?:"), pattern, exp.Literal.string(")$"))
        return exp.RegexpLike(this=node.this, expression=anchored)
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # a DuckDB hint Spark does not take
        return node
    if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":
        value, fmt = node.expressions
        if not isinstance(fmt, exp.Literal):
            raise ValueError("try_strptime with a computed format cannot be carried to Spark")
        return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[value, exp.Literal.string(java_date_format(fmt.this))])
    return node


def to_spark_sql(sql: str) -> str:
    """The same query in Spark SQL (SQLGlot), with what SQLGlot leaves in DuckDB's words rewritten:
    regexp_full_match → RLIKE '^(?:…)$', try_strptime → try_to_timestamp with a java.time pattern.
    Run it with spark.sql.legacy.timeParserPolicy=CORRECTED (the default since Spark 3.0 fails on
    dates the old parser read differently instead of returning NULL)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(_spark_transform)
    return tree.sql(dialect="spark")
