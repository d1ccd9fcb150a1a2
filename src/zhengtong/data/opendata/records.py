"""The data of open datasets: the served copy (masked, in key order, with `_id`), pages of records
by keyset or offset, estimated counts, and streamed downloads. DuckDB over the served Parquet.

The served copy of a dataset's current ingest version lives in the lake, next to the versions:

    <lake>/opendata/<dataset public_id>/v<version>-<build>/data.parquet      `_id` 1..n, then the columns
    <lake>/opendata/<dataset public_id>/v<version>-<build>/download.parquet  the same rows without `_id`

Both are written in a temporary folder and renamed into place in one step; each build has a folder
of its own (the `-<build>` suffix), so a rebuild of the same version never overwrites a file a
reader has open, and the previous folder is deleted only after the row naming the new one commits.

Rows are sorted by the schema's primary key (file order without one) and numbered `_id` 1, 2, …
in row groups of ROW_GROUP_ROWS, so the row-group statistics of `_id` let DuckDB read only the
groups a page needs: without filters a page at any depth is the `_id` range (after, after+limit],
one or two row groups. Masking happens here, once, in SQL that reproduces kernel.masking's
`mask_value` exactly (the tests compare them value by value): nothing downstream sees an unmasked
value of a field whose schema names a masking kind.
"""

import base64
import binascii
import datetime as dt
import logging
import math
import os
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from zhengtong.data.catalog.public import FieldSpec, schema_current
from zhengtong.data.ingest.public import duckdb_connect, version_current
from zhengtong.kernel.masking.public import FieldKind, mask_value

from .errors import OpenDataError
from .models import OpenDataset, ServedTable
from .visibility import XLSX_MAX_ROWS, open_dataset_sync

logger = logging.getLogger(__name__)

MAX_LIMIT = 1000  # records per page (open API and datastore_search)
DEFAULT_LIMIT = 100
PREVIEW_ROWS = 20

ROW_GROUP_ROWS = 65_536
SERVED_FILE = "data.parquet"
DOWNLOAD_FILE = "download.parquet"
# The CSV download, rendered once per build and kept gzip-compressed (a tenth of the CSV's size):
# a client that accepts gzip gets the file as it is; others get it decompressed on the fly.
CSV_GZIP_FILE = "download.csv.gz"
CSV_GZIP_LEVEL = 1  # the fastest level: most of gzip's gain on CSV, at a few seconds per million rows
SERVED_DIR = "opendata"
TMP_PREFIX = ".tmp-"
# Filtered counts: exact up to this many rows, estimated from a sample of _id ranges above it.
EXACT_COUNT_MAX_ROWS = 1_000_000
SAMPLE_RANGES = 8
# A filtered keyset page scans _id windows that grow by this factor until the page is full.
KEYSET_FIRST_WINDOW = 4 * ROW_GROUP_ROWS
KEYSET_WINDOW_GROWTH = 4
DOWNLOAD_BATCH_ROWS = 65_536

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DOWNLOAD_FORMAT_NAMES = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "XLSX"}

# How a filter value is described when it does not fit its column's type.
TYPE_LABELS = {
    "int": _("whole number"),
    "numeric": _("number"),
    "text": _("text"),
    "date": _("date (YYYY-MM-DD)"),
    "timestamp": _("date and time (YYYY-MM-DD hh:mm:ss)"),
    "bool": pgettext_lazy("column type", "true or false"),
}


@dataclass(frozen=True)
class RecordsPage:
    fields: list[dict[str, Any]]  # [{"id": name, "type": CKAN-ish type ("int", "text", "numeric", "date", "bool", …)}], "_id" first
    records: list[dict[str, Any]]  # each with "_id"
    next_cursor: str | None  # keyset pagination: pass as `after` for the next page
    total: int | None  # rows matching (None when not counted)
    total_was_estimated: bool  # True when `total` is an estimate


# ---------------------------------------------------------------------------------------------
# Where the served copies live

def lake_root() -> Path:
    """The lake's folder. ingest.public does not expose its own `lake_root`, so the same reading of
    LAKE_URL is repeated here (file:// lakes only, as ingest)."""
    url = str(settings.LAKE_URL)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme == "" and url:
        path = Path(url)
    else:
        raise ImproperlyConfigured(f"LAKE_URL {url!r}: only file:// lakes are supported so far")
    return path


def served_root() -> Path:
    return lake_root() / SERVED_DIR


def served_file(served: ServedTable) -> Path:
    return lake_root() / served.path


def csv_gzip_file(served: ServedTable) -> Path:
    return served_file(served).parent / CSV_GZIP_FILE


def download_file(served: ServedTable) -> Path:
    return (lake_root() / served.path).with_name(DOWNLOAD_FILE)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# Masking in SQL: the same results as kernel.masking.mask_value, a column at a time

def _keep_ends_sql(v: str, head: int, tail: int) -> str:
    return (f"CASE WHEN length({v}) <= {head + tail} THEN repeat('*', length({v})) "
            f"ELSE left({v}, {head}) || repeat('*', length({v}) - {head + tail}) || right({v}, {tail}) END")


PROBE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _kept_ends(kind: FieldKind) -> tuple[int, int]:
    """How many characters mask_value keeps at each end for a keep-the-ends kind, asked of
    mask_value itself on a long probe (so a setting such as MASKING_RESIDENT_ID_STYLE is followed)."""
    masked = mask_value(kind, PROBE)
    head = len(masked) - len(masked.lstrip(PROBE))
    tail = len(masked) - len(masked.rstrip(PROBE))
    return head, tail


def mask_sql(kind: str, column: str) -> str:
    """A DuckDB expression masking `column` (any type; masked as its text) for a field declared as
    `kind`. NULL and '' pass through, as in mask_value. An unknown kind fails closed (free text)."""
    try:
        kind = FieldKind(kind)
    except ValueError:
        logger.warning("unknown masking kind %r: masked as free text", kind)
        kind = FieldKind.FREE_TEXT
    v = f"CAST({column} AS VARCHAR)"
    match kind:
        case FieldKind.PLAIN | FieldKind.CREDIT_CODE:
            return v
        case FieldKind.NAME | FieldKind.RESIDENT_ID | FieldKind.MOBILE | FieldKind.BANK_ACCOUNT:
            body = _keep_ends_sql(v, *_kept_ends(kind))
        case FieldKind.ADDRESS:
            body = (f"CASE WHEN length({v}) <= 8 THEN repeat('*', length({v})) "
                    f"ELSE left({v}, length({v}) - 8) || '********' END")
        case FieldKind.EMAIL:
            # local[:1] + "***" + "@" + domain, split at the last "@"; no "@": masked whole.
            body = (f"CASE WHEN strpos({v}, '@') = 0 THEN repeat('*', length({v})) "
                    f"ELSE left(regexp_extract({v}, '(?s)^(.*)@[^@]*$', 1), 1) || '***@' "
                    f"|| regexp_extract({v}, '(?s)@([^@]*)$', 1) END")
        case _:  # FREE_TEXT
            body = "'***'"
    return f"CASE WHEN {v} IS NULL OR {v} = '' THEN {v} ELSE {body} END"


# ---------------------------------------------------------------------------------------------
# Building the served copy

CKAN_TYPES = {
    "BIGINT": "int", "INTEGER": "int", "SMALLINT": "int", "TINYINT": "int", "HUGEINT": "int",
    "UBIGINT": "int", "UINTEGER": "int", "USMALLINT": "int", "UTINYINT": "int",
    "DOUBLE": "numeric", "FLOAT": "numeric", "REAL": "numeric",
    "BOOLEAN": "bool", "DATE": "date", "VARCHAR": "text",
}


def _ckan_type(duck_type: str) -> str:
    duck_type = duck_type.upper()
    if duck_type.startswith("DECIMAL"):
        return "numeric"
    if duck_type.startswith("TIMESTAMP"):
        return "timestamp"
    return CKAN_TYPES.get(duck_type, "text")


def _date_sql(spec: FieldSpec, column: str) -> str | None:
    """A typed DATE/TIMESTAMP expression for a date field kept as text in the lake, or None."""
    fmt = spec.format or ""
    value = f"NULLIF(CAST({column} AS VARCHAR), '')"
    if spec.type == "date":
        if "%" in fmt:
            return f"CAST(try_strptime({value}, {_lit(fmt)}) AS DATE)"
        return f"TRY_CAST({value} AS DATE)"
    if spec.type == "datetime":
        if "%" in fmt:
            return f"try_strptime({value}, {_lit(fmt)})"
        return f"TRY_CAST({value} AS TIMESTAMP)"
    return None


def _select_list(con, source: str, schema, file_types: dict[str, str]) -> tuple[list[str], list[dict]]:
    """The served columns: the schema's fields present in the version (a column the schema does not
    declare is left out, as mask_record does), masked or typed."""
    fields = [f for f in schema.fields if f.name in file_types] if schema else []
    # Dates are kept in the lake as written (a date breaking its rule stays as it was); they are
    # served as DATE/TIMESTAMP only when every value of the column reads as one, else as text.
    dates = {f.name: _date_sql(f, _ident(f.name)) for f in fields
             if not f.masking_kind or f.masking_kind == FieldKind.PLAIN}
    dates = {name: expr for name, expr in dates.items() if expr and file_types[name] == "VARCHAR"}
    typed: set[str] = set()
    if dates:
        checks = ", ".join(
            f"count(*) FILTER (WHERE NULLIF(CAST({_ident(name)} AS VARCHAR), '') IS NOT NULL AND {expr} IS NULL)"
            for name, expr in dates.items())
        failures = con.execute(f"SELECT {checks} FROM {source}").fetchone()
        typed = {name for name, failed in zip(dates, failures, strict=True) if failed == 0}
    items, columns = [], []
    for spec in fields:
        column = _ident(spec.name)
        masked = bool(spec.masking_kind) and spec.masking_kind != FieldKind.PLAIN
        if masked:
            items.append(f"{mask_sql(spec.masking_kind, column)} AS {column}")
        elif spec.name in typed:
            items.append(f"{dates[spec.name]} AS {column}")
        else:
            items.append(column)
        columns.append({"name": spec.name, "masked": masked})
    return items, columns


def _copy_options() -> str:
    return f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"


def served_table_build(open_dataset_id: int) -> ServedTable | None:
    """Make the served copy of the dataset's current ingest version (masking every field whose
    schema names a masking kind), replace the previous copy atomically, and update the dataset's
    formats and openness (visibility.open_dataset_sync). None when there is no version."""
    open_dataset = OpenDataset.objects.filter(id=open_dataset_id).first()
    if open_dataset is None:
        return None
    version = version_current(open_dataset.dataset_id)
    if version is None:
        return None
    schema = schema_current(open_dataset.dataset_id)
    dataset_dir = served_root() / str(open_dataset.public_id)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    _orphans_remove(dataset_dir, keep=getattr(ServedTable.objects.filter(open_dataset_id=open_dataset_id).first(),
                                               "path", None))
    build = uuid.uuid4().hex[:12]
    work = dataset_dir / f"{TMP_PREFIX}{build}"
    work.mkdir()
    target = dataset_dir / f"v{version.number}-{build}"
    try:
        columns, row_count = _write_copy(version.path, schema, work)
        _write_csv_gzip(work / DOWNLOAD_FILE, work / CSV_GZIP_FILE, [c["name"] for c in columns])
        _fsync(work / SERVED_FILE)
        _fsync(work / DOWNLOAD_FILE)
        _fsync(work / CSV_GZIP_FILE)
        shutil.rmtree(work / "spill", ignore_errors=True)
        os.rename(work, target)
        _fsync(dataset_dir)
        relative = str((target / SERVED_FILE).relative_to(lake_root()))
        byte_size = (target / SERVED_FILE).stat().st_size
        with transaction.atomic():
            # Builds of one dataset queue here; one that lost a race to a newer version gives way.
            locked = OpenDataset.objects.select_for_update().filter(id=open_dataset_id).first()
            if locked is None:
                raise _Discard
            previous = ServedTable.objects.filter(open_dataset=locked).first()
            if previous is not None and previous.version > version.number:
                raise _Discard
            served, _created = ServedTable.objects.update_or_create(open_dataset=locked, defaults={
                "version": version.number, "path": relative, "row_count": row_count,
                "columns": columns, "byte_size": byte_size,
            })
            if previous is not None and previous.path != relative:
                old_path = previous.path
                transaction.on_commit(lambda: served_files_remove(old_path), robust=True)
            open_dataset_sync(locked.dataset_id)
    except _Discard:
        shutil.rmtree(target, ignore_errors=True)
        return ServedTable.objects.filter(open_dataset_id=open_dataset_id).first()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        raise
    served.refresh_from_db()
    return served


ORPHAN_AGE_SECONDS = 6 * 3600


def _orphans_remove(dataset_dir: Path, *, keep: str | None) -> None:
    """What builds that died left behind: temporary folders, and copies no row names, once they are
    old enough that no build or download of them can still be running."""
    import time

    kept = (lake_root() / keep).parent if keep else None
    for child in dataset_dir.iterdir():
        if not child.is_dir() or child == kept:
            continue
        try:
            old = time.time() - child.stat().st_mtime > ORPHAN_AGE_SECONDS
        except FileNotFoundError:
            continue
        if old and (child.name.startswith(TMP_PREFIX) or child.name.startswith("v")):
            shutil.rmtree(child, ignore_errors=True)


class _Discard(Exception):
    """The build is not needed any more (the dataset left the portal, or a newer copy is served)."""


def _write_copy(version_path: str, schema, work: Path) -> tuple[list[dict], int]:
    """Two streaming passes, each bounded in memory (DuckDB spills to work/spill past its limit):
    the masked rows in key order to download.parquet, then the same with `_id` (its row number in
    that file) to data.parquet."""
    con = duckdb_connect(work)
    try:
        # Order matters in both passes: the sort's order (or the file's) is the `_id` order.
        con.execute("SET preserve_insertion_order = true")
        source = f"read_parquet({_lit(version_path)}, file_row_number = true)"
        file_types = {name: str(kind) for name, kind, *_rest in
                      con.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM {source}").fetchall()}
        items, columns = _select_list(con, source, schema, file_types)
        if not items:
            raise ValueError("the version has no column the schema declares")
        key = [name for name in (schema.primary_key if schema else ()) if name in file_types]
        order = ", ".join([*(_ident(k) for k in key), "file_row_number"])
        download = work / DOWNLOAD_FILE
        con.execute(f"COPY (SELECT {', '.join(items)} FROM {source} ORDER BY {order}) "
                    f"TO {_lit(str(download))} {_copy_options()}")
        served = work / SERVED_FILE
        numbered = f"read_parquet({_lit(str(download))}, file_row_number = true)"
        con.execute(f"COPY (SELECT CAST(file_row_number + 1 AS BIGINT) AS _id, * EXCLUDE (file_row_number) "
                    f"FROM {numbered}) TO {_lit(str(served))} {_copy_options()}")
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(served))})").fetchall()
        types = {name: str(kind) for name, kind, *_rest in described}
        for column in columns:
            column["type"] = _ckan_type(types[column["name"]])
        row_count = con.execute(f"SELECT count(*) FROM read_parquet({_lit(str(served))})").fetchone()[0]
    finally:
        con.close()
    return columns, int(row_count)


def served_files_remove(path: str) -> None:
    """Delete a served copy's files (after the row that named them is gone)."""
    root = served_root().resolve()
    folder = (lake_root() / path).parent.resolve()
    if root not in folder.parents or folder.parent == root:
        logger.error("refusing to remove %s: not a served copy's folder", folder)
        return
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()  # the dataset's folder, once it holds nothing
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# Reading: one DuckDB database per process, a cursor per call

_lock = threading.Lock()
_database: dict[int, duckdb.DuckDBPyConnection] = {}


def _connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's DuckDB (a fresh one after a fork); its Parquet metadata cache
    keeps footers of served files, so a page reads only its row groups."""
    pid = os.getpid()
    with _lock:
        database = _database.get(pid)
        if database is None:
            _database.clear()
            config = {"threads": int(getattr(settings, "OPENDATA_DUCKDB_THREADS", 2) or 2),
                      "memory_limit": str(getattr(settings, "OPENDATA_DUCKDB_MEMORY_LIMIT", "") or "1GB")}
            database = duckdb.connect(config=config)
            database.execute("SET parquet_metadata_cache = true")
            _database[pid] = database
        return database.cursor()


def _served_or_refuse(open_dataset: OpenDataset) -> ServedTable:
    served = getattr(open_dataset, "served", None) if open_dataset.pk else None
    if served is None:
        served = ServedTable.objects.filter(open_dataset_id=open_dataset.pk).first()
    if served is None or not served_file(served).exists():
        raise OpenDataError("no_data", dataset=open_dataset.resource_code)
    return served


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(int(last_id)).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        text = str(cursor)
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise OpenDataError("cursor_invalid") from None
    if not raw.isdigit() or len(raw) > 18 or cursor_encode(int(raw)) != text.rstrip("="):
        raise OpenDataError("cursor_invalid")
    return int(raw)


def _filter_value(name: str, ckan_type: str, value: Any) -> Any:
    """The filter value in its column's type; filter_value_invalid when it is not one."""
    def refuse():
        return OpenDataError("filter_value_invalid", value=value, type=TYPE_LABELS.get(ckan_type, ckan_type),
                             field=name)

    if value is None:
        return None
    if isinstance(value, (dict, list, tuple, set)):
        raise refuse()
    if ckan_type == "int":
        if isinstance(value, bool):
            raise refuse()
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value).strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            number = int(text)
            if -(2 ** 63) <= number < 2 ** 63:
                return number
        raise refuse()
    if ckan_type == "numeric":
        if isinstance(value, bool):
            raise refuse()
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise refuse() from None
        if not math.isfinite(number):
            raise refuse()
        return number
    if ckan_type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise refuse()
    if ckan_type == "date":
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise refuse() from None
    if ckan_type == "timestamp":
        try:
            return dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise refuse() from None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _page_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise OpenDataError("limit_too_large", max=MAX_LIMIT)
    return limit


def _sort_clause(sort: str, types: dict[str, str]) -> str:
    allowed = [name for name in types if name != "_id"] + ["_id"]
    terms = []
    for part in str(sort).split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in types or (
                len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise OpenDataError("sort_invalid", sort=sort, allowed=allowed)
        direction = "DESC" if len(words) == 2 and words[1].lower() == "desc" else "ASC"
        terms.append(f"{_ident(words[0])} {direction} NULLS LAST")
    return ", ".join(terms)


def records_page(open_dataset: OpenDataset, *, filters: Mapping[str, Any] | None = None, fields: Sequence[str] = (),
                 limit: int = DEFAULT_LIMIT, after: str | None = None, offset: int | None = None,
                 sort: str | None = None, count: bool = True) -> RecordsPage:
    """A page of records: equality `filters` on columns, only `fields` (all by default), `limit`
    ≤ MAX_LIMIT, either keyset (`after`, a cursor from the previous page) or `offset` (CKAN
    datastore_search); `sort` a column name with optional " desc" (keyset needs the default _id
    order). Raises OpenDataError (no_data, field_unknown, filter_value_invalid, limit_too_large,
    offset_invalid, cursor_invalid, sort_invalid). Access is the caller's to check first
    (access.data_access_check).

    A filter's value may be a list (any of them, as CKAN's filters allow) or None (no value).
    `total` without filters is the served row count; with filters it is exact up to
    EXACT_COUNT_MAX_ROWS rows and estimated from a sample of the table above it."""
    served = _served_or_refuse(open_dataset)
    types = {"_id": "int", **{c["name"]: c.get("type", "text") for c in served.columns}}
    columns = [c["name"] for c in served.columns]
    limit = _page_limit(limit)
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int) or offset < 0):
        raise OpenDataError("offset_invalid")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    for name in fields:
        if name not in types:
            raise OpenDataError("field_unknown", field=name, columns=columns)
    # The caller's order of `fields`, as CKAN keeps it; `_id` always comes first.
    chosen = [name for name in dict.fromkeys(fields) if name != "_id"] if fields else columns
    conditions, params = [], []
    for name, value in (filters or {}).items():
        if name not in types:
            raise OpenDataError("field_unknown", field=name, columns=columns)
        values = value if isinstance(value, (list, tuple)) else [value]
        typed = [_filter_value(name, types[name], v) for v in values]
        column = _ident(name)
        present = [v for v in typed if v is not None]
        if not typed:
            conditions.append("FALSE")
        elif not present:
            conditions.append(f"{column} IS NULL")
        else:
            test = f"{column} IN ({', '.join('?' * len(present))})"
            conditions.append(f"({column} IS NULL OR {test})" if None in typed else test)
            params += present
    if after is not None:
        if sort:
            raise OpenDataError("sort_invalid", sort=sort, allowed=["_id"])
        if offset:
            raise OpenDataError("offset_invalid")
        start = cursor_decode(after)
    else:
        start = offset or 0
    order = _sort_clause(sort, types) if sort else None

    n = served.row_count
    relation = f"read_parquet({_lit(str(served_file(served)))})"
    select = ", ".join(["_id", *(_ident(c) for c in chosen)])
    con = _connection()
    try:
        if not conditions and order is None:
            # The page is an _id range: one or two row groups, at any depth.
            rows = con.execute(f"SELECT {select} FROM {relation} WHERE _id > ? AND _id <= ? ORDER BY _id",
                               [start, start + limit + 1]).fetchall()
        elif order is None and (after is not None or not offset):
            rows = _keyset_filtered(con, relation, select, conditions, params, start, limit + 1, n)
        else:
            by = order or "_id"
            where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            rows = con.execute(f"SELECT {select} FROM {relation} {where} ORDER BY {by}, _id LIMIT ? OFFSET ?",
                               [*params, limit + 1, start]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        total, estimated = None, False
        if count:
            if not conditions:
                total = n
            elif not more and after is None and not offset:
                total = len(rows)  # the whole result is on this page
            else:
                total, estimated = _count(con, relation, conditions, params, n)
    finally:
        con.close()
    names = ["_id", *chosen]
    records = [{name: _json_ready(value) for name, value in zip(names, row, strict=True)} for row in rows]
    next_cursor = cursor_encode(records[-1]["_id"]) if more and order is None and records else None
    return RecordsPage(
        fields=[{"id": name, "type": types[name]} for name in names], records=records,
        next_cursor=next_cursor, total=total, total_was_estimated=estimated,
    )


def _keyset_filtered(con, relation: str, select: str, conditions: list[str], params: list, after: int,
                     wanted: int, row_count: int) -> list[tuple]:
    """The first `wanted` matching rows after `after`, scanning _id windows that grow until the
    page is full: a common value costs a row group or two, a rare one a scan of what follows."""
    rows: list[tuple] = []
    low, window = after, KEYSET_FIRST_WINDOW
    where = " AND ".join(conditions)
    while len(rows) < wanted and low < row_count:
        high = low + window
        rows += con.execute(
            f"SELECT {select} FROM {relation} WHERE _id > ? AND _id <= ? AND {where} ORDER BY _id LIMIT ?",
            [low, high, *params, wanted - len(rows)]).fetchall()
        low, window = high, window * KEYSET_WINDOW_GROWTH
    return rows


# Counts of filtered results by (served file, conditions, values): a client paging through a
# result asks for the same count on every page. A new build has a new path, so nothing goes stale.
_COUNTS: "OrderedDict[tuple, tuple[int, bool]]" = OrderedDict()
COUNT_CACHE_SIZE = 512


def _count(con, relation: str, conditions: list[str], params: list, row_count: int) -> tuple[int, bool]:
    key = (relation, tuple(conditions), tuple(map(repr, params)), row_count <= EXACT_COUNT_MAX_ROWS)
    with _lock:
        if key in _COUNTS:
            _COUNTS.move_to_end(key)
            return _COUNTS[key]
    result = _count_uncached(con, relation, conditions, params, row_count)
    with _lock:
        _COUNTS[key] = result
        while len(_COUNTS) > COUNT_CACHE_SIZE:
            _COUNTS.popitem(last=False)
    return result


def _count_uncached(con, relation: str, conditions: list[str], params: list, row_count: int) -> tuple[int, bool]:
    where = " AND ".join(conditions)
    if row_count <= EXACT_COUNT_MAX_ROWS:
        return int(con.execute(f"SELECT count(*) FROM {relation} WHERE {where}", params).fetchone()[0]), False
    # SAMPLE_RANGES row-group-sized _id ranges spread evenly over the table; each is one or two
    # row groups (the others are skipped by their _id statistics).
    step = row_count // SAMPLE_RANGES
    size = min(ROW_GROUP_ROWS, step)
    ranges = [(i * step, i * step + size) for i in range(SAMPLE_RANGES)]
    parts = " UNION ALL ".join(
        f"SELECT count(*) AS c FROM {relation} WHERE _id > ? AND _id <= ? AND {where}" for _ in ranges)
    args = [arg for low, high in ranges for arg in (low, high, *params)]
    matched = con.execute(f"SELECT sum(c) FROM ({parts})", args).fetchone()[0] or 0
    sampled = SAMPLE_RANGES * size
    return int(round(matched * row_count / sampled)), True


def records_preview(open_dataset: OpenDataset, *, rows: int = PREVIEW_ROWS) -> RecordsPage:
    """The first rows, for the dataset page."""
    return records_page(open_dataset, limit=rows)


# ---------------------------------------------------------------------------------------------
# Downloads

def download_stream(open_dataset: OpenDataset, fmt: str) -> tuple[Iterator[bytes], str, int | None]:
    """The whole served copy as "csv", "json", "parquet" or "xlsx": (chunks, content type, length
    if known). Raises OpenDataError (no_data, format_unknown, format_too_large).

    Downloads carry the dataset's columns (not `_id`), in `_id` order, read a row group at a
    time: memory stays bounded whatever the size of the table."""
    name = str(fmt or "").lower()
    if name not in CONTENT_TYPES:
        raise OpenDataError("format_unknown", format=fmt, allowed=list(DOWNLOAD_FORMAT_NAMES.values()))
    served = _served_or_refuse(open_dataset)
    if name == "xlsx" and served.row_count > XLSX_MAX_ROWS:
        raise OpenDataError("format_too_large", rows=served.row_count)
    if name == "parquet":
        path = download_file(served)
        size = path.stat().st_size
        return _file_chunks(path.open("rb")), CONTENT_TYPES[name], size
    columns = [c["name"] for c in served.columns]
    if name == "csv" and csv_gzip_file(served).exists():
        return _gunzip_chunks(csv_gzip_file(served).open("rb")), CONTENT_TYPES[name], None
    chunks = {"csv": _csv_chunks, "json": _json_chunks, "xlsx": _xlsx_chunks}[name](served, columns)
    return chunks, CONTENT_TYPES[name], None


def download_csv_gzip(open_dataset: OpenDataset) -> tuple[Iterator[bytes], int] | None:
    """The CSV download as its gzip file, for a client that accepts `Content-Encoding: gzip`:
    (chunks, length), or None when this build has no such file. Refuses as download_stream does."""
    served = _served_or_refuse(open_dataset)
    path = csv_gzip_file(served)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    return _file_chunks(handle), os.fstat(handle.fileno()).st_size


FILE_CHUNK = 1 << 20


def _gunzip_chunks(handle) -> Iterator[bytes]:
    # ISA-L's inflate (the same format as zlib's) is about 2.5x faster on one core.
    from isal import isal_zlib

    inflater = isal_zlib.decompressobj(wbits=31)  # gzip framing
    with handle:
        while chunk := handle.read(FILE_CHUNK):
            yield inflater.decompress(chunk)
        tail = inflater.flush()
        if tail:
            yield tail


def _write_csv_gzip(download_parquet: Path, target: Path, columns: list[str]) -> None:
    """Render the CSV download once, gzip-compressed, beside the download Parquet file."""
    import gzip

    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=CSV_GZIP_LEVEL,
                                                 mtime=0) as packed:
        for chunk in _csv_chunks_of(download_parquet, columns):
            packed.write(chunk)


def _file_chunks(handle) -> Iterator[bytes]:
    # Opened before the generator starts, so a copy replaced meanwhile still streams whole.
    with handle:
        while chunk := handle.read(FILE_CHUNK):
            yield chunk


def _batches(served: ServedTable, columns: list[str]):
    import pyarrow.parquet as pq

    # The download file has the columns in order and no `_id`; its row groups are in `_id` order.
    parquet = pq.ParquetFile(download_file(served))
    yield from parquet.iter_batches(batch_size=DOWNLOAD_BATCH_ROWS, columns=columns, use_threads=True)


CSV_WORKERS = 2
CSV_AHEAD = 4  # row groups formatted ahead of the one being sent: bounds the memory


def _csv_row_group(parquet_file, metadata, index: int, columns: list[str]) -> bytes:
    """One row group of the download file as CSV rows (no header), read and written on the
    calling thread: Arrow decodes and formats without the GIL."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = pq.ParquetFile(parquet_file, metadata=metadata).read_row_group(index, columns=columns, use_threads=False)
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink, write_options=pcsv.WriteOptions(
        include_header=False, quoting_style="needed", batch_size=max(1, DOWNLOAD_BATCH_ROWS)))
    return sink.getvalue().to_pybytes()


def _csv_chunks(served: ServedTable, columns: list[str]) -> Iterator[bytes]:
    return _csv_chunks_of(download_file(served), columns)


def _csv_chunks_of(path: Path, columns: list[str]) -> Iterator[bytes]:
    """A BOM (so Excel reads the Chinese text as UTF-8), the header, then each row group of the
    download file written by Arrow's CSV writer. Each row group is decoded and formatted on one
    of CSV_WORKERS threads (Arrow holds no GIL meanwhile; one thread per core, none left over to
    contend with them), a few ahead of the one being sent, in order.

    The file is memory-mapped once before the first row is sent, so a copy replaced meanwhile
    still streams whole; the workers read it at their own offsets."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    mapped = pa.memory_map(str(path))
    try:
        metadata = pq.ParquetFile(mapped).metadata
        yield "\ufeff".encode() + (_csv_header(columns) + "\n").encode()
        with ThreadPoolExecutor(max_workers=CSV_WORKERS, thread_name_prefix="zt-csv") as pool:
            pending: deque = deque()
            for index in range(metadata.num_row_groups):
                pending.append(pool.submit(_csv_row_group, mapped, metadata, index, columns))
                if len(pending) > CSV_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        mapped.close()


def _csv_header(columns: list[str]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(columns)
    return out.getvalue()


def _json_chunks(served: ServedTable, columns: list[str]) -> Iterator[bytes]:
    """A JSON array of objects, one per row. DuckDB renders each row as ",\n{…}" (vectorised) and
    the batch's string buffer is sent as it is: no Python object per row. The result keeps
    insertion order, so rows come in the file's (`_id`) order."""
    pairs = ", ".join(f"{_lit(c)}, {_ident(c)}" for c in columns)
    relation = f"read_parquet({_lit(str(download_file(served)))})"
    con = _connection()
    try:
        reader = con.sql(f"SELECT ',\n' || CAST(json_object({pairs}) AS VARCHAR) FROM {relation}") \
            .to_arrow_reader(DOWNLOAD_BATCH_ROWS)
        yield b"["
        first = True
        for batch in reader:
            body = _string_bytes(batch.column(0))
            if first and body:
                body = b"\n" + body[2:]  # no comma before the first object
                first = False
            if body:
                yield body
        yield b"\n]\n"
    finally:
        con.close()


def _string_bytes(array) -> bytes:
    """The concatenated values of an Arrow string array (no nulls), straight from its buffers."""
    import pyarrow as pa

    if len(array) == 0:
        return b""
    if pa.types.is_large_string(array.type):
        width = "q"
    elif pa.types.is_string(array.type):
        width = "i"
    else:
        array = array.cast(pa.large_string())
        width = "q"
    offsets = memoryview(array.buffers()[1]).cast(width)
    start, end = offsets[array.offset], offsets[array.offset + len(array)]
    return array.buffers()[2][start:end].to_pybytes()


def _xlsx_chunks(served: ServedTable, columns: list[str]) -> Iterator[bytes]:
    """xlsxwriter in constant-memory mode writes the rows to its temporary files as they come; the
    finished workbook (a zip) is then streamed and deleted."""
    import xlsxwriter

    scratch = Path(settings.HOME_DIR) / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="zt-xlsx-", suffix=".xlsx", dir=scratch)
    os.close(handle)
    path = Path(name)
    try:
        workbook = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": str(scratch), "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False, "default_date_format": "yyyy-mm-dd",
        })
        sheet = workbook.add_worksheet("data")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, columns, bold)
        row = 1
        for batch in _batches(served, columns):
            for values in zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True):
                sheet.write_row(row, 0, [_xlsx_value(v) for v in values])
                row += 1
        workbook.close()
        with path.open("rb") as handle_:
            while chunk := handle_.read(FILE_CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def download_filename(open_dataset: OpenDataset, fmt: str) -> str:
    """The file name a download is offered under: the resource code, the version, the format."""
    version = getattr(getattr(open_dataset, "served", None), "version", None) or open_dataset.version or 0
    return f"{open_dataset.resource_code}-v{version}.{str(fmt).lower()}"


__all__ = [
    "DEFAULT_LIMIT", "MAX_LIMIT", "PREVIEW_ROWS", "RecordsPage", "cursor_decode", "cursor_encode",
    "download_filename", "download_stream", "mask_sql", "records_page", "records_preview",
    "served_files_remove", "served_table_build",
]
