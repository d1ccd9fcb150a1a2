"""Writes of ingest: run a load (validate a source, publish a new dataset version) and receive
chunked uploads for loads the worker runs.

A load is all or nothing. It works in its own folder of the lake while holding the dataset's lock;
the new version's Parquet file is complete and on disk before it is renamed into place, and the
DatasetVersion row, the load's report and the ingest.load_succeeded event commit together after
that. A failure at any step leaves the previous version, the catalog and the lake as they were.
"""

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from zhengtong.data.catalog.public import (
    DatasetRef,
    SchemaSpec,
    access_dataset_for_load,
    dataset_get,
    rules_for,
    schema_current,
)
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor

from . import lake
from .errors import IngestError
from .models import DatasetVersion, Load, LoadMode, LoadStatus, Upload, UploadStatus
from .readers import FileSource, Source, SourceReader, execute_watched, execute_watched_named, source_parse
from .rules_sql import ident, lit, typed_projection, version_type
from .validation import ValidationReport, duckdb_connect, rules_compile, validate

logger = logging.getLogger(__name__)

MODES = tuple(LoadMode.values)
ProgressFn = Callable[[str, int, int | None], None]


# ---- loads -----------------------------------------------------------------------------------


def load_start(
    *,
    actor: Actor,
    resource_code: str,
    source: Any,
    mode: str = LoadMode.FULL,
    source_format: str | None = None,
    encoding: str | None = None,
    upload: Upload | None = None,
) -> Load:
    """Record a queued load, if the actor may load into the dataset (PermissionDenied otherwise)."""
    dataset = access_dataset_for_load(actor=actor, resource_code=resource_code)
    if mode not in MODES:
        raise IngestError("mode_invalid", mode=mode)
    parsed = source_parse(source, name=upload.filename if upload else "")
    return Load.objects.create(
        dataset_id=dataset.id,
        actor_user_id=actor.user_id,
        actor_kind=actor.kind,
        source_name=parsed.display_name[:500],
        source_format=(source_format or "")[:16],
        encoding=(encoding or "")[:32],
        mode=mode,
        upload=upload,
    )


class _Progress:
    """Passes progress to the caller's callback and, at most once a second, to the Load row (the
    page polls it). Runs on the load's own thread only: see readers.execute_watched."""

    def __init__(self, load: Load, callback: ProgressFn | None):
        self.load_pk = load.pk
        self.callback = callback
        self.phase = None
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if self.callback:
            self.callback(phase, done, total)
        now = time.monotonic()
        if phase != self.phase or now - self.last >= 1.0 or (total and done >= total):
            self.phase, self.last = phase, now
            Load.objects.filter(pk=self.load_pk).update(
                progress_phase=phase, progress_done=done, progress_total=total
            )


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def load_fail(*, load: Load, error: IngestError) -> None:
    """Record why a load failed and announce it; the dataset and the lake are left as they were."""
    with transaction.atomic():
        Load.objects.filter(pk=load.pk).update(
            status=LoadStatus.FAILED,
            error_code=error.code,
            error_params=_json_safe(error.params),
            finished_at=timezone.now(),
        )
        publish("ingest.load_failed", {
            "load_id": str(load.public_id), "dataset_id": load.dataset_id, "error_code": error.code,
        })
    load.refresh_from_db()


def loads_interrupted_mark(*, dataset_id: int, except_pk: int | None = None) -> int:
    """Loads of the dataset still marked running whose process is gone. Call only while holding
    the dataset's lock: a running load holds it until it ends, so one marked running now is dead."""
    stale = Load.objects.filter(dataset_id=dataset_id, status=LoadStatus.RUNNING).exclude(pk=except_pk)
    count = 0
    for load in stale:
        load_fail(load=load, error=IngestError("interrupted"))
        count += 1
    return count


def load_refresh_if_dead(*, load: Load) -> Load:
    """A load shown as running whose process died (a killed worker) is marked failed, so a page
    does not poll it for ever. Only when the dataset's lock is free, which proves nobody runs it."""
    if load.status != LoadStatus.RUNNING:
        return load
    dataset = dataset_get(dataset_id=load.dataset_id)
    with lake.dataset_lock(dataset.public_id, blocking=False) as held:
        if held:
            load.refresh_from_db()
            if load.status == LoadStatus.RUNNING:
                load_fail(load=load, error=IngestError("interrupted"))
    return load


def load_execute(*, load: Load, source: Any, progress: ProgressFn | None = None) -> Load:
    """Run a recorded load. Raises IngestError (with .load_id) after recording the failure."""
    dataset = dataset_get(dataset_id=load.dataset_id)
    tracker = _Progress(load, progress)
    with lake.dataset_lock(dataset.public_id):
        loads_interrupted_mark(dataset_id=dataset.id, except_pk=load.pk)
        Load.objects.filter(pk=load.pk).update(status=LoadStatus.RUNNING, started_at=timezone.now())
        load.refresh_from_db()
        committed = DatasetVersion.objects.filter(dataset_id=dataset.id).values_list("number", flat=True)
        removed = lake.orphans_remove(dataset.public_id, committed_numbers=list(committed))
        if removed:
            logger.info("ingest: removed %s left by dead loads of %s", removed, dataset.resource_code)
        work = lake.work_dir(dataset.public_id, load.public_id)
        try:
            _load_work(load=load, dataset=dataset, source=source_parse(source), work=work, tracker=tracker)
        except IngestError as error:
            load_fail(load=load, error=error)
            error.load_id = load.public_id
            raise
        except Exception as error:
            logger.exception("ingest: load %s of %s failed unexpectedly", load.public_id, dataset.resource_code)
            failure = IngestError("internal", detail=f"{type(error).__name__}: {error}"[:500])
            load_fail(load=load, error=failure)
            failure.load_id = load.public_id
            raise failure from error
        finally:
            shutil.rmtree(work, ignore_errors=True)
    load.refresh_from_db()
    return load


def load_run(
    *,
    actor: Actor,
    resource_code: str,
    source: Any,
    mode: str = LoadMode.FULL,
    source_format: str | None = None,
    encoding: str | None = None,
    progress: ProgressFn | None = None,
) -> Load:
    load = load_start(actor=actor, resource_code=resource_code, source=source, mode=mode,
                      source_format=source_format, encoding=encoding)
    return load_execute(load=load, source=source, progress=progress)


def reference_relation(resource_code: str) -> str | None:
    """The DuckDB relation of another dataset's current version, for reference rules."""
    dataset = dataset_get(resource_code=resource_code)
    if dataset is None:
        return None
    version = DatasetVersion.objects.filter(dataset_id=dataset.id).order_by("-number").first()
    return lake.parquet_relation(lake.lake_root() / version.lake_path) if version else None


def _load_work(*, load: Load, dataset: DatasetRef, source: Source, work: Path, tracker: _Progress) -> None:
    """Validate the source, then write the new version from it. A CSV or JSON lines file is read
    where it lies (after transcoding to UTF-8 when it is not), with no staging copy: a narrow scan
    of a uniqueness rule's key columns, one scan checking every rule (keeping each rule's first
    failing rows), then one scan writing the version. Excel workbooks and databases are streamed
    into a staging Parquet file first (the reader does that), which the scans then read.

    Why the write is a scan of its own: a DuckDB query sends its rows to one sink, either the
    aggregate counting the rules' failures or the COPY writing the version, and the verdicts may
    not ride along as columns of the version's file. Validating first also means nothing is
    written for a source a type error refuses."""
    schema = schema_current(dataset.id)
    if schema is None or not schema.fields:
        raise IngestError("schema_missing", dataset=dataset.resource_code)
    if load.mode == LoadMode.UPSERT and not schema.primary_key:
        raise IngestError("upsert_needs_key", dataset=dataset.resource_code)
    rules = rules_for(dataset.id)
    con = duckdb_connect(work)
    try:
        reader = SourceReader(con, source, schema, work_dir=work, source_format=load.source_format or None,
                              encoding=load.encoding or None, progress=tracker)
        size = source.path.stat().st_size if isinstance(source, FileSource) else None
        tracker("read", 0, size)
        compiled = rules_compile(con, schema, rules, today=timezone.localdate(), reference_relation=reference_relation)

        def watch(sql: str):
            return execute_watched_named(
                con, sql, (lambda fraction: tracker("read", int(fraction * size), size)) if size else None,
            )

        report = validate(con, reader.run, schema, compiled, samples=True, name=reader.name, watch=watch)
        tracker("validate", report.rows, report.rows)

        base = DatasetVersion.objects.filter(dataset_id=dataset.id).order_by("-number").first()
        out = work / "v" / lake.DATA_FILE
        out.parent.mkdir()
        tracker("write", 0, report.rows)
        written: list[tuple] = []

        def write(relation: str) -> None:
            sql = _version_sql(con, schema, relation, base, load.mode)
            # The version keeps the source's order of rows (a person reading it expects to).
            con.execute("SET preserve_insertion_order = true")
            written[:] = execute_watched(
                con, f"COPY ({sql}) TO {lit(str(out))} (FORMAT parquet, COMPRESSION zstd)",
                lambda fraction: tracker("write", int(fraction * report.rows), report.rows),
            )

        reader.run(write, with_rows=False)
        row_count = int(written[0][0]) if written and written[0] else 0
    finally:
        con.close()
    # Everything is written; the callback may see this step (the atomicity test stops a load here).
    tracker("write", report.rows, report.rows)
    _version_commit(load=load, dataset=dataset, schema=schema, reader=reader, report=report, base=base,
                    staged_file=out, row_count=row_count)


def _version_sql(con, schema: SchemaSpec, relation: str, base: DatasetVersion | None, mode: str) -> str:
    new = f"SELECT {typed_projection(schema)} FROM {relation}"
    if mode == LoadMode.FULL or base is None:
        return new
    previous_path = lake.lake_root() / base.lake_path
    previous_relation = lake.parquet_relation(previous_path)
    columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {previous_relation}").fetchall()}
    items = []
    for spec in schema.fields:
        c = ident(spec.name)
        if spec.name in columns:
            items.append(f"TRY_CAST({c} AS {version_type(spec)}) AS {c}")
        else:  # a field added to the schema since: empty in the earlier rows
            items.append(f"CAST(NULL AS {version_type(spec)}) AS {c}")
    previous = f"SELECT {', '.join(items)} FROM {previous_relation}"
    if mode == LoadMode.APPEND:
        return f"{previous} UNION ALL {new}"
    # Upsert: earlier rows whose key comes again are replaced by the new ones (the new win).
    on = " AND ".join(f"__old.{ident(k)} = __new.{ident(k)}" for k in schema.primary_key)
    return (f"SELECT * FROM ({previous}) AS __old WHERE NOT EXISTS (SELECT 1 FROM ({new}) AS __new WHERE {on}) "
            f"UNION ALL {new}")


def _version_commit(*, load, dataset, schema, reader, report: ValidationReport, base, staged_file, row_count) -> None:
    number = (base.number if base else 0) + 1
    if DatasetVersion.objects.filter(dataset_id=dataset.id, number=number).exists():
        raise IngestError("concurrent_load", dataset=dataset.resource_code)
    path = lake.version_publish(staged_file, dataset.public_id, number)
    relative = str(path.relative_to(lake.lake_root()))
    rules_payload = {code: {"kind": r.kind, "field": r.field, "failed": r.failed} for code, r in report.rules.items()}
    try:
        with transaction.atomic():
            DatasetVersion.objects.create(
                dataset_id=dataset.id, number=number, lake_path=relative, row_count=row_count,
                schema_version=schema.version, load=load, mode=load.mode,
            )
            Load.objects.filter(pk=load.pk).update(
                status=LoadStatus.SUCCEEDED,
                source_format=reader.format,
                encoding=reader.encoding or "",
                rows_read=report.rows,
                problem_rows=report.problem_rows,
                report=_json_safe(report.as_json()),
                progress_phase="done",
                progress_done=report.rows,
                progress_total=report.rows,
                finished_at=timezone.now(),
            )
            publish("ingest.load_succeeded", {
                "load_id": str(load.public_id),
                "dataset_id": dataset.id,
                "dataset_public_id": str(dataset.public_id),
                "version": number,
                "rows": row_count,
                "problem_rows": report.problem_rows,
                "rules": rules_payload,
            })
    except IntegrityError:
        # Another machine published this number first; ours is an orphan the next load removes.
        raise IngestError("concurrent_load", dataset=dataset.resource_code) from None


# ---- uploads ---------------------------------------------------------------------------------


class UploadError(Exception):
    """A chunk or an upload request that cannot be accepted; `received` tells the client where
    to resume."""

    def __init__(self, code: str, message: str, *, received: int | None = None, status: int = 409):
        self.code, self.message, self.received, self.status = code, message, received, status
        super().__init__(message)


def upload_dir() -> Path:
    path = Path(getattr(settings, "INGEST_UPLOAD_DIR", "") or Path(settings.HOME_DIR) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(upload: Upload) -> Path:
    return upload_dir() / f"{upload.public_id}.part"


def upload_max_size() -> int:
    return int(getattr(settings, "INGEST_UPLOAD_MAX_BYTES", 200 * 1024**3))


def upload_create(*, actor: Actor, resource_code: str, filename: str, size: int) -> Upload:
    """Open a resumable upload of `size` bytes into the dataset (PermissionDenied if not allowed)."""
    dataset = access_dataset_for_load(actor=actor, resource_code=resource_code)
    name = Path(str(filename).replace("\\", "/")).name.strip()[:255]
    if not name:
        raise UploadError("filename_invalid", "filename", status=400)
    if size <= 0:
        raise IngestError("empty_file", file=name)
    if size > upload_max_size():
        raise UploadError("too_large", f"{size} > {upload_max_size()}", status=400)
    upload = Upload.objects.create(dataset_id=dataset.id, user_id=actor.user_id, api_client_id=actor.api_client_id,
                                   filename=name, size=size)
    with open(upload_path(upload), "wb"):
        pass
    return upload


def access_upload(*, actor: Actor, public_id: UUID | str) -> Upload:
    """The upload, if the actor started it and may still load into its dataset."""
    upload = Upload.objects.filter(public_id=public_id).first()
    if upload is None:
        raise Upload.DoesNotExist
    owner = (upload.user_id is not None and upload.user_id == actor.user_id) or (
        upload.api_client_id is not None and upload.api_client_id == actor.api_client_id
    )
    if not owner:
        raise Upload.DoesNotExist  # another person's upload: as if it did not exist
    dataset = dataset_get(dataset_id=upload.dataset_id)
    access_dataset_for_load(actor=actor, resource_code=dataset.resource_code)
    return upload


def upload_chunk_write(*, actor: Actor, public_id: UUID | str, start: int, end: int, total: int,
                       stream: BinaryIO) -> Upload:
    """Write bytes start..end (inclusive) of the file. Idempotent: sending a chunk again writes the
    same bytes at the same place. A chunk must start at or before the received offset, so the file
    never has a gap; `received` only grows."""
    upload = access_upload(actor=actor, public_id=public_id)
    if upload.status != UploadStatus.RECEIVING:
        raise UploadError("complete", "upload already complete", received=upload.received)
    if total != upload.size or not (0 <= start <= end < upload.size):
        raise UploadError("range_invalid", f"bytes {start}-{end}/{total} do not fit {upload.size}",
                          received=upload.received, status=416)
    if start > upload.received:
        raise UploadError("gap", f"chunk starts at {start}, {upload.received} received", received=upload.received)
    length = end - start + 1
    written = 0
    with open(upload_path(upload), "r+b") as handle:
        handle.seek(start)
        while written < length:
            piece = stream.read(min(1024 * 1024, length - written))
            if not piece:
                break
            handle.write(piece)
            written += len(piece)
    if written != length:
        raise UploadError("short_body", f"{written} of {length} bytes arrived", received=upload.received, status=400)
    Upload.objects.filter(pk=upload.pk, received__gte=start).update(
        received=Greatest(F("received"), end + 1), updated_at=timezone.now()
    )
    upload.refresh_from_db()
    return upload


def upload_complete(*, actor: Actor, public_id: UUID | str, mode: str = LoadMode.FULL,
                    source_format: str | None = None, encoding: str | None = None) -> Load:
    """All bytes are in: queue the load (the worker runs it) and return it."""
    from .tasks import load_execute_task

    upload = access_upload(actor=actor, public_id=public_id)
    if upload.status == UploadStatus.COMPLETE:
        load = Load.objects.filter(upload=upload).first()
        if load is not None:
            return load  # completing twice is harmless
    if upload.received < upload.size:
        raise IngestError("upload_incomplete", file=upload.filename, received=upload.received, size=upload.size)
    if mode not in MODES:
        raise IngestError("mode_invalid", mode=mode)
    path = upload_path(upload)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    dataset = dataset_get(dataset_id=upload.dataset_id)
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETE)
        upload.refresh_from_db()
        load = load_start(actor=actor, resource_code=dataset.resource_code,
                          source=FileSource(path=path, name=upload.filename), mode=mode,
                          source_format=source_format, encoding=encoding, upload=upload)
        transaction.on_commit(lambda: load_execute_task.enqueue(str(load.public_id)))
    return load


def upload_from_file(*, actor: Actor, resource_code: str, uploaded, mode: str = LoadMode.FULL) -> Load:
    """A small file posted in one piece (the page without JavaScript): stored like a chunked
    upload, then queued the same way."""
    upload = upload_create(actor=actor, resource_code=resource_code, filename=uploaded.name, size=uploaded.size)
    with open(upload_path(upload), "wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    Upload.objects.filter(pk=upload.pk).update(received=uploaded.size)
    return upload_complete(actor=actor, public_id=upload.public_id, mode=mode)


def load_execute_uploaded(*, load_public_id: UUID) -> str:
    """The worker's side of an uploaded load. Returns the final status; the upload's file is
    removed once the load has ended either way."""
    load = Load.objects.select_related("upload").get(public_id=load_public_id)
    if load.status != LoadStatus.QUEUED:
        return load.status  # a repeated task: the load already ran
    upload = load.upload
    try:
        source = FileSource(path=upload_path(upload), name=upload.filename) if upload else FileSource(
            path=Path("/nonexistent"), name=load.source_name)
        try:
            load_execute(load=load, source=source)
        except IngestError:
            pass  # recorded on the load
    finally:
        if upload is not None:
            upload_path(upload).unlink(missing_ok=True)
            upload.delete()
    load.refresh_from_db()
    return load.status
