"""Publishing a dataset version to its sharing service's serving index (owner: gateway work).

The gateway reads a dataset service's records from ShareRecord, one indexed row per key, so a
keyed lookup is one read (DESIGN.md "Serving"). service_publish() fills that index from a version
in the lake:

- the version is streamed out of its Parquet file by DuckDB in batches (bounded memory, however
  many rows), each row turned into its canonical JSON payload (orjson, sorted keys; dates stay the
  ISO strings the lake holds), encrypted at rest, with the row's key, subject ref and division;
- the old records are deleted and the new ones inserted in ONE transaction, holding the service
  row's lock: readers see the old version until the commit, and a publish that fails anywhere
  leaves the old version served, untouched;
- the service's published_version, published_at and record_count change in that transaction,
  which also publishes the event "share.<code>.changed" {service, version, records} (ids and
  counts only, never values) for subscribers (一处变更、全网同步).

Rows without a key, or with a key longer than the index holds (128), cannot be looked up and are
left out; when a version holds a key more than once (ingest loads rows breaking a uniqueness rule
and reports them as problem data) one row of each such key is served, and the repeats are logged.
"""

import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from zhengtong.data.ingest.public import duckdb_connect, version_current, version_relation_sql
from zhengtong.kernel.events.public import publish

from zhengtong.kernel.crypto.public import blind_index

from .models import ServiceKind, ShareRecord, SharingService, SubjectKind
from .subjects import PURPOSE as SUBJECT_PURPOSE

logger = logging.getLogger(__name__)

BATCH_ROWS = 5_000
KEY_MAX_LENGTH = ShareRecord._meta.get_field("key").max_length
DIVISION_MAX_LENGTH = ShareRecord._meta.get_field("division").max_length

# The key's column in the publishing query (a name no schema field has: fields are identifiers).
_KEY = "__zt_key"


def service_event_name(code: str) -> str:
    """The event announcing a new version of a service: "share.<code>.changed", with the code's
    hyphens as underscores (event names are lower-case dotted words: kernel.events)."""
    return f"share.{code.replace('-', '_')}.changed"


def ident(name: str) -> str:
    """A DuckDB identifier, quoted. Only ever given names from a service's own field list."""
    return '"' + name.replace('"', '""') + '"'


def payload_json(row: dict[str, Any]) -> str:
    """The canonical JSON of one record: sorted keys, UTF-8, no whitespace; dates and times as ISO
    strings; decimals as strings (exact)."""
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=_json_default).decode("utf-8")


def _json_default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON")


def subject_ref_function(kind: str) -> Callable[[Any], str]:
    """subjects.subject_ref for one kind, checked once rather than per row (a million rows call it
    a million times); tests check the refs are the same."""
    if kind not in SubjectKind.values:
        raise ValueError(f"unknown subject kind {kind!r}")
    prefix = f"{kind}:"

    def ref(identifier: Any) -> str:
        normalized = "".join(str(identifier or "").split()).upper()
        return prefix + blind_index(normalized, purpose=SUBJECT_PURPOSE) if normalized else ""

    return ref


def service_publish(*, service_id: int, version: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Replace the service's ShareRecords by the rows of the dataset's version (the current one by
    default), atomically; sets published_version and record_count; publishes the event
    "share.<code>.changed". Returns the number of records.

    ValueError for a registry service (served live from the registry) or a dataset without that
    version. progress(done, total) is called after each batch."""
    service = SharingService.objects.get(pk=service_id)
    if service.kind != ServiceKind.DATASET or service.dataset_id is None:
        raise ValueError(f"the service {service.code} is not a dataset service: nothing to publish")
    if version is None:
        current = version_current(service.dataset_id)
        if current is None:
            raise ValueError(f"the dataset of {service.code} has no version yet")
        version = current.number
    try:
        relation = version_relation_sql(service.dataset_id, version)
    except LookupError:
        raise ValueError(f"the dataset of {service.code} has no version {version}") from None
    names = [f["name"] for f in service.fields]
    names += [n for n in (service.key_field, service.subject_field, service.division_field) if n and n not in names]
    con = duckdb_connect()
    try:
        columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        missing = [n for n in names if n not in columns]
        if missing:
            raise ValueError(f"the version {version} of {service.code} lacks the fields {', '.join(missing)}")
        with transaction.atomic():
            service = SharingService.objects.select_for_update().get(pk=service_id)
            _records_delete(service.pk)
            count = 0
            for rows in _rows(con, relation, service, version):
                _records_insert(rows)
                count += len(rows)
                if progress is not None:
                    progress(count, 0)
            service.published_version = version
            service.published_at = timezone.now()
            service.record_count = count
            service.save(update_fields=["published_version", "published_at", "record_count", "updated_at"])
            publish(service_event_name(service.code), {"service": service.code, "version": version, "records": count})
    finally:
        con.close()
    logger.info("published %s version %s: %s records", service.code, version, count)
    return count


def _rows(con, relation: str, service: SharingService, version: int) -> Iterator[list[tuple]]:
    """The version's rows as ShareRecord tuples (service_id, key, subject_ref, division, payload
    token, version), BATCH_ROWS at a time."""
    key = ident(service.key_field)
    key_text = f"CAST({key} AS VARCHAR)"
    fields = [f["name"] for f in service.fields]
    extra = [n for n in (service.subject_field, service.division_field) if n and n not in fields]
    selected = ", ".join(ident(n) for n in [*fields, *extra])
    usable = f"{key} IS NOT NULL AND {key_text} <> '' AND length({key_text}) <= {int(KEY_MAX_LENGTH)}"
    (duplicates,) = con.execute(
        f"SELECT count(*) - count(DISTINCT {key_text}) FROM {relation} WHERE {usable}").fetchall()[0]
    source = f"SELECT {key_text} AS {_KEY}, {selected} FROM {relation} WHERE {usable}"
    if duplicates:
        logger.warning("%s: %s rows repeat a key; the first of each is served", service.code, duplicates)
        source = f"SELECT * FROM ({source}) QUALIFY row_number() OVER (PARTITION BY {_KEY}) = 1"
    reader = con.sql(source).to_arrow_reader(BATCH_ROWS)
    subject_field = service.subject_field if service.subject_kind else ""
    subject_of = subject_ref_function(service.subject_kind) if subject_field else None
    division_field = service.division_field
    seal = ShareRecord._meta.get_field("payload").get_prep_value
    service_id = service.pk
    pending: list[tuple] = []
    for batch in reader:
        for row in batch.to_pylist():
            record_key = row.pop(_KEY)
            subject = subject_of(row.get(subject_field)) if subject_of is not None else ""
            division = row.get(division_field) if division_field else None
            division = "" if division is None else str(division)[:DIVISION_MAX_LENGTH]
            for name in extra:
                del row[name]
            pending.append((service_id, record_key, subject, division, seal(payload_json(row)), version))
        if len(pending) >= BATCH_ROWS:
            yield pending
            pending = []
    if pending:
        yield pending


def _table() -> str:
    return connection.ops.quote_name(ShareRecord._meta.db_table)


_COLUMNS = ("service_id", "key", "subject_ref", "division", "payload", "version")


def _records_delete(service_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE service_id = %s", [service_id])


def _records_insert(rows: list[tuple]) -> None:
    """Insert a batch: COPY on PostgreSQL (the fastest load it has), executemany on SQLite."""
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {_table()} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(_COLUMNS))
        cursor.executemany(f"INSERT INTO {_table()} ({columns}) VALUES ({marks})", rows)
