"""What other modules may use of ingest (数据归集): run loads, validate sources, read versions.

    from zhengtong.data.ingest.public import load_run, version_relation_sql

    result = load_run(actor=Actor(kind="system"), resource_code="330100-SJ-00001", source="people.csv")
    duckdb.sql(f"SELECT count(*) FROM {version_relation_sql(result.dataset_id)}")

A load either publishes a new immutable version or changes nothing (IngestError says why, naming
file, row and column). Rows that break quality rules are loaded and counted per rule: problem data
is tracked, not dropped. Events, after commit:
  ingest.load_succeeded {load_id, dataset_id, dataset_public_id, version, rows, problem_rows,
                         rules: {code: {kind, field, failed}}}
  ingest.load_failed    {load_id, dataset_id, error_code}
"""

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils import timezone

from zhengtong.data.catalog.public import RuleSpec, SchemaSpec
from zhengtong.kernel.identity.public import Actor

from . import lake, selectors, services
from .errors import IngestError
from .models import DatasetVersion, Load
from .readers import DatabaseSource, FileSource, SourceReader, source_parse
from .rules_sql import to_spark_sql
from .validation import duckdb_connect, rules_compile, validate

__all__ = [
    "DatabaseSource",
    "FileSource",
    "IngestError",
    "LoadResult",
    "RulesQuery",
    "ValidationSummary",
    "VersionRef",
    "load_get",
    "load_run",
    "rules_validation_sql",
    "to_spark_sql",
    "validate_source",
    "version_current",
    "version_list",
    "version_relation_sql",
]

ProgressFn = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class VersionRef:
    dataset_id: int
    number: int
    path: str  # the Parquet file, absolute
    url: str  # the same as a file:// URL
    row_count: int
    schema_version: int
    mode: str
    load_id: UUID
    created_at: datetime


@dataclass(frozen=True)
class LoadResult:
    load_id: UUID
    dataset_id: int
    status: str  # queued, running, succeeded, failed
    mode: str
    source_name: str
    source_format: str
    encoding: str
    rows_read: int
    problem_rows: int
    # {rule code: {kind, field, fields, failed, samples: [{row, values}]}}; samples are unmasked
    report: Mapping[str, Any]
    error_code: str
    error_message: str
    version: VersionRef | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class ValidationSummary:
    rows: int
    per_rule: dict[str, int]
    problem_rows: int


def _version_ref(version: DatasetVersion) -> VersionRef:
    path = lake.lake_root() / version.lake_path
    return VersionRef(
        dataset_id=version.dataset_id, number=version.number, path=str(path), url=path.as_uri(),
        row_count=version.row_count, schema_version=version.schema_version, mode=version.mode,
        load_id=version.load.public_id, created_at=version.created_at,
    )


def _load_result(load: Load) -> LoadResult:
    version = DatasetVersion.objects.select_related("load").filter(load=load).first()
    return LoadResult(
        load_id=load.public_id, dataset_id=load.dataset_id, status=load.status, mode=load.mode,
        source_name=load.source_name, source_format=load.source_format, encoding=load.encoding,
        rows_read=load.rows_read, problem_rows=load.problem_rows, report=load.report,
        error_code=load.error_code, error_message=str(load.error_message),
        version=_version_ref(version) if version else None,
        created_at=load.created_at, finished_at=load.finished_at,
    )


def load_run(
    *,
    actor: Actor,
    resource_code: str,
    source: Any,
    mode: str = "full",
    source_format: str | None = None,
    encoding: str | None = None,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load `source` (a path, a FileSource, or a database URL / DatabaseSource) into the dataset
    and publish its next version. mode: full (replace), append, or upsert (by the schema's
    primary key; the new rows win). progress(phase, done, total) is called as it goes (phases
    read, validate, write; bytes while reading a file, rows after).

    PermissionDenied when the actor may not load into the dataset (nothing is recorded); IngestError
    when the source is refused (the failed load is recorded, its id in error.load_id)."""
    load = services.load_run(actor=actor, resource_code=resource_code, source=source, mode=mode,
                             source_format=source_format, encoding=encoding, progress=progress)
    return _load_result(load)


def validate_source(
    *,
    schema: SchemaSpec,
    rules: Sequence[RuleSpec],
    source: Any,
    source_format: str | None = None,
    encoding: str | None = None,
) -> ValidationSummary:
    """Check a source against a schema and rules without loading it: the same structural checks and
    the same one-pass rule query as a load, straight over the file, writing no version."""
    parsed = source_parse(source)
    with tempfile.TemporaryDirectory(prefix="zt-validate-", dir=lake.scratch_dir()) as tmp:
        work = Path(tmp)
        con = duckdb_connect(work)
        try:
            reader = SourceReader(con, parsed, schema, work_dir=work, source_format=source_format, encoding=encoding)
            compiled = rules_compile(con, schema, rules, today=timezone.localdate(),
                                     reference_relation=services.reference_relation)
            report = validate(
                con, lambda fn: reader.run(fn, with_rows=False), schema, compiled, samples=False,
                name=reader.name, rows_relation=lambda: reader.relation(with_rows=True),
            )
        finally:
            con.close()
    return ValidationSummary(
        rows=report.rows, per_rule={code: r.failed for code, r in report.rules.items()},
        problem_rows=report.problem_rows,
    )


@dataclass(frozen=True)
class RulesQuery:
    sql: str
    rule_columns: dict[str, str]  # rule code → the column counting its failures
    rows_column: str = "__rows"
    problem_column: str = "__problem"


def rules_validation_sql(
    *, schema: SchemaSpec, rules: Sequence[RuleSpec], relation: str, dialect: str = "duckdb",
) -> RulesQuery:
    """The one-pass rule query over `relation` (a table, view or relation expression whose columns
    are the schema's fields as text), in DuckDB's or Spark's SQL: how a deployment past one machine
    runs a load's checks on a cluster. Type checks are included as columns too."""
    from .rules_sql import rule_compile, type_conditions, validation_sql

    compiled = []
    for index, rule in enumerate(rules):
        result = rule_compile(rule, schema, index=index, today=timezone.localdate(),
                              reference_relation=services.reference_relation)
        if result is not None:
            compiled.append(result)
    # The portable shape (uniqueness by a window): the grouped one uses DuckDB's list functions.
    query = validation_sql(relation, compiled, type_checks=type_conditions(schema), samples=False,
                           portable=dialect != "duckdb")
    sql = to_spark_sql(query.sql) if dialect == "spark" else query.sql
    return RulesQuery(sql=sql, rule_columns=dict(query.rule_columns))


def version_current(dataset_id: int) -> VersionRef | None:
    version = selectors.version_current(dataset_id=dataset_id)
    return _version_ref(version) if version else None


def version_list(dataset_id: int) -> list[VersionRef]:
    return [_version_ref(v) for v in selectors.version_list(dataset_id=dataset_id).select_related("load")]


def version_relation_sql(dataset_id: int, version: int | None = None) -> str:
    """A DuckDB relation over a version's rows (the current one by default), e.g.
    "read_parquet('/…/v3/data.parquet')". LookupError when there is no such version."""
    versions = selectors.version_list(dataset_id=dataset_id)
    found = versions.filter(number=version).first() if version is not None else versions.first()
    if found is None:
        raise LookupError(f"dataset {dataset_id} has no version {version if version is not None else ''}".strip())
    return lake.parquet_relation(lake.lake_root() / found.lake_path)


def load_get(load_id: UUID | str) -> LoadResult | None:
    """A load by its public id, without an access check (for module-internal use)."""
    try:
        load = Load.objects.filter(public_id=load_id).first()
    except ValidationError:
        return None
    return _load_result(load) if load else None
