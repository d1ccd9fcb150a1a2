"""Validation: compile a dataset's rules and run them over a source in one pass.

Used by loads (with the first failing rows of each rule) and on its own by `validate_source()`
(counts only: what the benchmark measures), both straight over the source: a CSV or JSON lines file
is scanned by DuckDB where it lies, never staged first.
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


# DuckDB's own default is 80% of RAM, which it fills as a cache: a 10M-row file then takes gigabytes.
# A quarter of the machine's (or the container's) memory, between these bounds, is plenty for one
# load: what does not fit (the uniqueness rule's hash table of a huge file) spills to disk.
MEMORY_LIMIT_FLOOR = 256 * 2**20
MEMORY_LIMIT_CAP = 512 * 2**20


def memory_total() -> int | None:
    """Bytes of memory this process may use: the cgroup's limit when there is one, else RAM."""
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text.isdigit():
            return int(text)
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit_default() -> str:
    total = memory_total()
    limit = MEMORY_LIMIT_CAP if total is None else min(max(total // 4, MEMORY_LIMIT_FLOOR), MEMORY_LIMIT_CAP)
    return f"{limit // 2**20}MiB"


def duckdb_connect(work_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB for one load or check: bounded in memory (INGEST_DUCKDB_MEMORY_LIMIT,
    default memory_limit_default()), spilling to the work folder past it, so a file of any size
    fits. Insertion order is not kept: no query here needs it (the samples are picked by row
    number), and keeping it makes DuckDB buffer more."""
    memory = (getattr(settings, "INGEST_DUCKDB_MEMORY_LIMIT", "") or os.environ.get("INGEST_DUCKDB_MEMORY_LIMIT")
              or memory_limit_default())
    config: dict[str, Any] = {"memory_limit": memory, "preserve_insertion_order": False}
    threads = getattr(settings, "INGEST_DUCKDB_THREADS", None) or os.environ.get("INGEST_DUCKDB_THREADS")
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
    watch: Callable[[str], tuple[list[str], list[tuple]]] | None = None,
) -> ValidationReport:
    """Run the one-pass query. `run(fn)` calls fn(relation) on the source (a reader's run, which
    also raises for structural problems seen in the scan). Type errors (a value that is not an
    integer, number or boolean where the schema says so) stop the load, naming the first one.
    `rows_relation()` gives the source with row numbers when the scanned relation has none;
    `watch(sql)` runs the query (to report progress) instead of a plain execute, returning its
    column names and rows."""
    checks = type_conditions(schema)
    holder: dict[str, Any] = {}

    def execute(relation: str):
        query = validation_sql(relation, compiled, type_checks=checks, samples=samples)
        if watch is not None:
            names, result = watch(query.sql)
        else:
            cursor = con.execute(query.sql)
            names = [d[0] for d in cursor.description]
            # fetchall, not fetchone: DuckDB finishes the scan (and writes the CSV rejects) only
            # once the result has been read to its end.
            result = cursor.fetchall()
        holder["row"] = dict(zip(names, result[0]))
        holder["query"] = query
        holder["relation"] = relation

    run(execute)
    row, query = holder["row"], holder["query"]
    rows = int(row["__rows"] or 0)
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
    for rule in compiled:
        failed = int(row[query.rule_columns[rule.code]] or 0)
        found = sorted(row[query.sample_columns[rule.code]] or [], key=lambda s: s["row"]) if samples else []
        results[rule.code] = RuleResult(
            rule.code, str(rule.kind), rule.field, rule.fields, failed, note=rule.note,
            samples=[{"row": int(s["row"]), "values": dict(zip(rule.fields, s["values"]))} for s in found],
        )
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
