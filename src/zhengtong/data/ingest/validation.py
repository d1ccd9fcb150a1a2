"""Validation: compile a dataset's rules and run them over a source in one pass.

Used by loads (over the staged source, with the first failing rows of each rule) and on its own by
`validate_source()` (straight over the file, counts only: what the benchmark measures).
"""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from zhengtong.data.catalog.public import RuleSpec, SchemaSpec

from .errors import IngestError
from .rules_sql import (
    CompiledRule,
    RuleCompileError,
    ident,
    lit,
    rule_compile,
    type_conditions,
    validation_sql,
)


@dataclass
class RuleResult:
    code: str
    kind: str
    field: str
    fields: tuple[str, ...]
    failed: int
    samples: list[dict[str, Any]] = field(default_factory=list)  # [{"row": n, "values": {field: value}}]
    note: str = ""


@dataclass
class ValidationReport:
    rows: int
    problem_rows: int
    rules: dict[str, RuleResult]

    def as_json(self) -> dict[str, dict[str, Any]]:
        report = {}
        for code, result in self.rules.items():
            entry = {"kind": result.kind, "field": result.field, "fields": list(result.fields),
                     "failed": result.failed, "samples": result.samples}
            if result.note:
                entry["note"] = result.note
            report[code] = entry
        return report


DEFAULT_MEMORY_LIMIT = "2GB"


def duckdb_connect(work_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB for one load: bounded in memory (INGEST_DUCKDB_MEMORY_LIMIT, default
    2GB), spilling to the load's folder past it, so a file of any size fits."""
    config: dict[str, Any] = {}
    memory = (getattr(settings, "INGEST_DUCKDB_MEMORY_LIMIT", "") or os.environ.get("INGEST_DUCKDB_MEMORY_LIMIT")
              or DEFAULT_MEMORY_LIMIT)
    config["memory_limit"] = memory
    threads = getattr(settings, "INGEST_DUCKDB_THREADS", None)
    if threads:
        config["threads"] = int(threads)
    if work_dir is not None:
        config["temp_directory"] = str(work_dir / "spill")
    con = duckdb.connect(config=config)
    # Progress is polled (query_progress), never printed over the command's own progress bar.
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    return con


def rules_compile(
    con: duckdb.DuckDBPyConnection,
    schema: SchemaSpec,
    rules: Sequence[RuleSpec],
    *,
    today: date,
    reference_relation: Callable[[str], str | None] | None = None,
) -> list[CompiledRule]:
    compiled = []
    for index, rule in enumerate(rules):
        try:
            result = rule_compile(rule, schema, index=index, today=today, reference_relation=reference_relation)
        except RuleCompileError as error:
            raise IngestError("rule_invalid", rule=rule.code, detail=str(error)) from None
        if result is None:
            continue
        regex = (rule.params or {}).get("regex") if str(rule.kind) == "pattern" else None
        if str(rule.kind) == "pattern":
            spec = next((f for f in schema.fields if f.name == rule.field), None)
            regex = regex or (spec.pattern if spec else None)
            try:  # RE2 (DuckDB) is not Python's re: ask the engine that will run it
                con.execute(f"SELECT regexp_full_match('', {lit(regex)})").fetchone()
            except duckdb.Error as error:
                raise IngestError("rule_invalid", rule=rule.code, detail=str(error).splitlines()[0][:200]) from None
        compiled.append(result)
    return compiled


def validate(
    con: duckdb.DuckDBPyConnection,
    run: Callable[[Callable[[str], Any]], Any],
    schema: SchemaSpec,
    compiled: Sequence[CompiledRule],
    *,
    samples: bool,
    name: str,
    rows_relation: Callable[[], str] | None = None,
    rescan_source: bool = False,
) -> ValidationReport:
    """Run the one-pass query. `run(fn)` calls fn(relation) on the source (a reader's run, which
    also raises for structural problems seen in the scan). Type errors (a value that is not an
    integer, number or boolean where the schema says so) stop the load, naming the first one.
    `rows_relation()` gives the source with row numbers when the scanned relation has none."""
    checks = type_conditions(schema)
    holder: dict[str, Any] = {}

    def execute(relation: str):
        query = validation_sql(relation, compiled, type_checks=checks, samples=samples, rescan_source=rescan_source)
        cursor = con.execute(query.sql)
        names = [d[0] for d in cursor.description]
        # fetchall, not fetchone: DuckDB finishes the scan (and writes the CSV rejects) only once
        # the result has been read to its end.
        holder["row"] = dict(zip(names, cursor.fetchall()[0]))
        holder["query"] = query
        holder["relation"] = relation

    run(execute)
    row, query = holder["row"], holder["query"]
    rows = int(row["__rows"])
    if rows == 0:
        raise IngestError("no_data_rows", file=name)
    for field_name, column in query.type_columns.items():
        count = int(row[column] or 0)
        if count:
            first = None
            if samples:
                first = (row[query.type_sample_columns[field_name]] or [None])[0]
            relation = rows_relation() if rows_relation else holder["relation"]
            located = _first_type_error(con, relation, field_name, checks[field_name], first)
            spec = next(f for f in schema.fields if f.name == field_name)
            raise IngestError("type_invalid", file=name, row=located[0], column=field_name,
                              value=_masked(spec, located[1]), type=spec.type, count=count)
    results: dict[str, RuleResult] = {}
    sample_rows: set[int] = set()
    for rule in compiled:
        failed = int(row[query.rule_columns[rule.code]] or 0)
        numbers = sorted(row[query.sample_columns[rule.code]] or []) if samples else []
        sample_rows.update(numbers)
        results[rule.code] = RuleResult(rule.code, str(rule.kind), rule.field, rule.fields, failed,
                                        samples=[{"row": int(n)} for n in numbers], note=rule.note)
    if samples and sample_rows:
        values = _rows_fetch(con, holder["relation"], schema, sorted(sample_rows))
        for result in results.values():
            for sample in result.samples:
                found = values.get(sample["row"], {})
                sample["values"] = {f: found.get(f) for f in result.fields}
    return ValidationReport(rows=rows, problem_rows=int(row["__problem"] or 0), rules=results)


def _masked(spec, value):
    from zhengtong.kernel.masking.public import mask_value

    if value is None:
        return ""
    return mask_value(spec.masking_kind, value) if spec.masking_kind else value


def _first_type_error(con, relation: str, field_name: str, condition: str, row_number: int | None):
    if row_number is not None:
        found = con.execute(
            f"SELECT __row, {ident(field_name)} FROM {relation} WHERE __row = {int(row_number)}"
        ).fetchone()
    else:
        found = con.execute(
            f"SELECT __row, {ident(field_name)} FROM {relation} WHERE {condition} ORDER BY __row LIMIT 1"
        ).fetchone()
    return (int(found[0]), found[1]) if found else ("?", "")


def _rows_fetch(con, relation: str, schema: SchemaSpec, numbers: Sequence[int]) -> dict[int, dict[str, Any]]:
    cols = ", ".join(ident(f) for f in schema.field_names)
    wanted = ", ".join(str(int(n)) for n in numbers)
    cursor = con.execute(f"SELECT __row, {cols} FROM {relation} WHERE __row IN ({wanted})")
    return {int(r[0]): dict(zip(schema.field_names, r[1:])) for r in cursor.fetchall()}
