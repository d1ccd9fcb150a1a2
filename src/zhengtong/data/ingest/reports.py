"""A load's report as people see it: failing rows masked by each field's maskingKind, and as CSV.

The stored report keeps the rows as delivered (the owner department's own data). Whatever leaves
the platform for a person goes through here: a field with a maskingKind is masked by it
(kernel.masking); a field without one is not personal data by its schema's declaration.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zhengtong.data.catalog.public import RuleKind, SchemaSpec, schema_current
from zhengtong.kernel.masking.public import mask_value

from .models import Load

# Spreadsheets run a cell starting with these as a formula (CSV injection, =cmd|' /C calc'!A0).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SampleRow:
    row: int
    values: list[tuple[str, str]]  # (field, masked value)


@dataclass(frozen=True)
class RuleLine:
    code: str
    kind: str
    field: str
    fields: list[str]
    failed: int
    samples: list[SampleRow]
    note: str = ""

    @property
    def kind_label(self) -> str:
        try:
            return str(RuleKind(self.kind).label)
        except ValueError:
            return self.kind


def _masking(schema: SchemaSpec | None) -> dict[str, str | None]:
    return {f.name: f.masking_kind for f in schema.fields} if schema else {}


def masked(value: Any, kind: str | None) -> str:
    if value is None:
        return ""
    text = str(value)
    return mask_value(kind, text) if kind else text


def report_lines(load: Load) -> list[RuleLine]:
    kinds = _masking(schema_current(load.dataset_id))
    lines = []
    for code, entry in (load.report or {}).items():
        fields = entry.get("fields") or ([entry.get("field")] if entry.get("field") else [])
        samples = [
            SampleRow(row=sample["row"], values=[(f, masked(sample.get("values", {}).get(f), kinds.get(f)))
                                                 for f in fields])
            for sample in entry.get("samples", [])
        ]
        lines.append(RuleLine(code=code, kind=entry.get("kind", ""), field=entry.get("field", ""), fields=fields,
                              failed=int(entry.get("failed", 0)), samples=samples, note=entry.get("note", "")))
    return lines


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting with a formula character gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def report_csv_rows(load: Load) -> Iterator[str]:
    """The report as CSV text: one line per failing row shown (a rule without any: one line),
    the rule's fields in the schema's columns, masked, formula characters neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    schema = schema_current(load.dataset_id)
    columns = list(schema.field_names) if schema else []
    lines = report_lines(load)
    for line in lines:
        columns += [f for f in line.fields if f not in columns]
    yield "\ufeff"  # so spreadsheet programs read the Chinese text as UTF-8
    writer.writerow([csv_cell(c) for c in ["rule", "kind", "failed", "row", *columns]])
    yield flush()
    for line in lines:
        if not line.samples:
            writer.writerow([csv_cell(c) for c in (line.code, line.kind, line.failed, "")] + [""] * len(columns))
        for sample in line.samples:
            shown = dict(sample.values)
            writer.writerow([csv_cell(c) for c in (line.code, line.kind, line.failed, sample.row)]
                            + [csv_cell(shown.get(c, "")) for c in columns])
        yield flush()
