"""Readers: from a file or a database to one DuckDB relation of the schema's fields, as text.

Every reader gives the same shape: `__row` (where the row is in the source: the spreadsheet row or
file line, counting a header as row 1; the record number for Parquet and databases) and one
VARCHAR column per schema field, missing values already NULL. Nothing is read into Python memory
whole: CSV and JSON lines are scanned by DuckDB (after a streaming transcode to UTF-8 when they are
GBK/GB18030 or UTF-16), Parquet is read in place, Excel workbooks and database tables are streamed
in batches into a staging Parquet file.

Structural problems stop the load with an IngestError naming the file, row and column: an empty
file, content that is not what the name says, undecodable bytes, a header that does not match the
schema, ragged rows.
"""

import codecs
import csv
import datetime as dt
import io
import re
import sqlite3
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from zhengtong.data.catalog.public import FieldSpec, SchemaSpec

from .errors import CONTENT_LABELS, IngestError
from .rules_sql import field_date_formats, ident, lit, lit_list

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (.xlsx)", "parquet": "Parquet", "jsonl": "JSON Lines"}
EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}
PROBE_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
BATCH_ROWS = 50_000
# DuckDB sizes its CSV read buffers from this (16 times it, per thread): 8 MiB lines meant 128 MiB
# buffers, more than the rest of a bounded load needs. 2 MiB is its default.
MAX_LINE_BYTES = 2 * 1024 * 1024
ProgressFn = Callable[[str, int, int | None], None]

# (magic bytes, kind, what to call it in a message)
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png", "PNG image"),
    (b"\xff\xd8\xff", "jpeg", "JPEG image"),
    (b"GIF87a", "gif", "GIF image"),
    (b"GIF89a", "gif", "GIF image"),
    (b"%PDF-", "pdf", "PDF document"),
    (b"PK\x03\x04", "zip", "ZIP archive"),
    (b"PK\x05\x06", "zip", "ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2", "Office 97-2003 document"),
    (b"\x1f\x8b", "gzip", "gzip archive"),
    (b"PAR1", "parquet", "Parquet file"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "7-Zip archive"),
    (b"Rar!\x1a\x07", "rar", "RAR archive"),
    (b"\x7fELF", "elf", "program"),
    (b"SQLite format 3\x00", "sqlite", "SQLite database"),
    (b"BZh", "bzip2", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz", "xz archive"),
)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
GB_ENCODINGS = {"gbk", "gb2312", "gb18030", "cp936", "hz", "euc_cn"}


@dataclass(frozen=True)
class FileSource:
    path: Path
    name: str = ""  # what messages call it (an upload's original name); the path's name otherwise

    @property
    def display_name(self) -> str:
        return self.name or self.path.name


@dataclass(frozen=True)
class DatabaseSource:
    """A table or a query of a database: sqlite:///relative.db, sqlite:////absolute.db or
    postgres://user:password@host:port/name; the table or query may also ride on the URL
    (…?table=people or …?query=SELECT …)."""

    url: str
    table: str | None = None
    query: str | None = None

    @property
    def display_name(self) -> str:
        parsed = urlparse(self.url)
        shown = self.url.split("?", 1)[0]
        if parsed.password:
            shown = shown.replace(f":{parsed.password}@", ":***@", 1)
        return f"{shown} ({self.table or 'query'})"


Source = FileSource | DatabaseSource


def source_parse(source: Any, *, name: str = "") -> Source:
    """A FileSource or DatabaseSource from what a caller gives: a path, a URL or either object."""
    if isinstance(source, (FileSource, DatabaseSource)):
        return source
    text = str(source)
    if re.match(r"^(sqlite|postgres|postgresql)://", text):
        base, _, query_string = text.partition("?")
        query = parse_qs(query_string)
        table = (query.pop("table", [None]) or [None])[0]
        sql = (query.pop("query", [None]) or [None])[0]
        rest = urlencode({k: v[0] for k, v in query.items()})
        return DatabaseSource(url=f"{base}?{rest}" if rest else base, table=table, query=sql)
    path = Path(text[7:] if text.startswith("file://") else text)
    return FileSource(path=path, name=name)


def _sniff_kind(path: Path) -> tuple[str, str]:
    with open(path, "rb") as handle:
        head = handle.read(8192)
    for magic, kind, label in MAGIC:
        if head.startswith(magic):
            if kind == "zip":
                try:
                    with zipfile.ZipFile(path) as archive:
                        names = set(archive.namelist())
                except zipfile.BadZipFile:
                    return "zip", label
                if "xl/workbook.xml" in names:
                    return "xlsx", "Excel workbook"
            return kind, label
    return "text", "text"


def format_detect(source: FileSource, declared: str | None) -> str:
    """The file's format: declared or named by its extension, and confirmed by its first bytes."""
    name = source.display_name
    if not source.path.is_file():
        raise IngestError("source_missing", file=name)
    if source.path.stat().st_size == 0:
        raise IngestError("empty_file", file=name)
    if declared:
        expected = declared.lower().lstrip(".")
        expected = {"excel": "xlsx", "json": "jsonl", "ndjson": "jsonl", "tsv": "csv"}.get(expected, expected)
        if expected not in FORMATS:
            raise IngestError("format_unsupported", format=declared)
    else:
        expected = EXTENSIONS.get(Path(name).suffix.lower()) or EXTENSIONS.get(source.path.suffix.lower())
    kind, label = _sniff_kind(source.path)
    if expected is None:
        if kind in ("xlsx", "parquet"):
            return kind
        if kind == "ole2":
            raise IngestError("xls_legacy", file=name)
        if kind != "text":
            raise IngestError("format_unknown", file=name)
        _binary_check(source.path, name)
        with open(source.path, "rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        return "jsonl" if head.startswith(b"{") else "csv"
    if expected in ("csv", "jsonl") and kind == "text":
        _binary_check(source.path, name)
    if expected in ("csv", "jsonl") and kind != "text":
        if kind == "xlsx":
            label = "Excel workbook"
        raise IngestError("not_format", file=name, expected=FORMAT_LABELS[expected], actual=_content_label(label))
    if expected == "xlsx" and kind != "xlsx":
        if kind == "ole2":
            raise IngestError("xls_legacy", file=name)
        if kind == "zip":
            raise IngestError("xlsx_not_workbook", file=name)
        raise IngestError("not_format", file=name, expected=FORMAT_LABELS[expected], actual=_content_label(label))
    if expected == "parquet" and kind != "parquet":
        raise IngestError("not_format", file=name, expected=FORMAT_LABELS[expected], actual=_content_label(label))
    return expected


def _binary_check(path: Path, name: str) -> None:
    """Text has no zero bytes (UTF-16 aside, which announces itself with a byte order mark)."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(UTF16_BOMS):
        return
    offset = head.find(b"\x00")
    if offset >= 0:
        raise IngestError("binary_content", file=name, offset=offset, row=head[:offset].count(b"\n") + 1)


def _content_label(label: str) -> str:
    # The key, not the text: the message is translated when shown.
    return label if label in CONTENT_LABELS else "text"


# ---- text encodings --------------------------------------------------------------------------


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise IngestError("encoding_unknown", encoding=encoding) from None


def encoding_detect(path: Path, declared: str | None, *, name: str) -> tuple[str, bool]:
    """(codec, whether it was detected rather than declared). UTF-8 unless the first bytes say
    otherwise: a UTF-16 byte order mark, or bytes that are not UTF-8 but are GB18030 (GBK's
    superset). Undecodable in both: the load stops, naming the first bad byte."""
    if declared:
        codec = _codec_name(declared)
        if codec in GB_ENCODINGS:
            codec = "gb18030"  # a superset: GBK files with the odd GB18030 character still read
        return codec, False
    with open(path, "rb") as handle:
        head = handle.read(PROBE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", True
    if head.startswith(UTF16_BOMS):
        return "utf-16", True
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return "utf-8", True
    except UnicodeDecodeError as utf8_error:
        try:
            codecs.getincrementaldecoder("gb18030")("strict").decode(head, final=False)
            return "gb18030", True
        except UnicodeDecodeError:
            offset = utf8_error.start
            raise IngestError(
                "encoding_undecodable", file=name, offset=offset, row=head[:offset].count(b"\n") + 1
            ) from None


def transcode(
    src: Path, dst: Path, encoding: str, *, name: str, progress: ProgressFn | None = None
) -> None:
    """Stream `src` in `encoding` to UTF-8 at `dst`, chunk by chunk; strict, so the first
    undecodable byte stops it with its offset and row."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    total = src.stat().st_size
    done = newlines = 0
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        while True:
            chunk = fin.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as error:
                pending = len(error.object) - len(chunk)
                offset = done - pending + error.start
                row = newlines + error.object[: error.start].count(b"\n") + 1
                raise IngestError("encoding_undecodable", file=name, offset=offset, row=row) from None
            except UnicodeError:  # e.g. UTF-16 declared for a file without a byte order mark
                raise IngestError("encoding_undecodable", file=name, offset=done, row=newlines + 1) from None
            if text.startswith("\ufeff") and done == 0:
                text = text[1:]
            fout.write(text)
            newlines += text.count("\n")
            done += len(chunk)
            if progress:
                progress("read", done, total)
            if final:
                break


def _first_record(path: Path, delimiter: str | None) -> tuple[list[str], str]:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        head = handle.read(1024 * 1024)
    head = head.lstrip("\ufeff")
    lines = head.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        return [], delimiter or ","
    if delimiter is None:
        counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    record = next(csv.reader(io.StringIO(head), delimiter=delimiter), [])
    return record, delimiter


def header_map(header: Sequence[str], schema: SchemaSpec, *, name: str) -> list[str]:
    """For each column of the file, the schema field it holds. A column may be headed by the
    field's name or its title (a Chinese header for an English field name). Exactly the schema's
    fields, in any order: an unknown, repeated or missing column stops the load."""
    by_name = {f.name: f.name for f in schema.fields}
    by_title = {f.title.strip(): f.name for f in schema.fields if f.title and f.title.strip() not in by_name}
    fields: list[str] = []
    for position, raw in enumerate(header, start=1):
        label = str(raw).strip().lstrip("\ufeff") if raw is not None else ""
        if not label:
            raise IngestError("header_empty_column", file=name, column=position)
        field = by_name.get(label) or by_title.get(label)
        if field is None:
            raise IngestError("header_unknown", file=name, column=position, name=label,
                              expected=list(schema.field_names))
        if field in fields:
            raise IngestError("header_duplicate", file=name, column=position, name=label)
        fields.append(field)
    missing = [f for f in schema.field_names if f not in fields]
    if missing:
        raise IngestError("header_missing", file=name, names=missing)
    return fields


def field_specs(schema: SchemaSpec) -> dict[str, FieldSpec]:
    return {f.name: f for f in schema.fields}


def cell_text(value: Any, spec: FieldSpec, missing: frozenset[str]) -> str | None:
    """A typed value from a workbook or a database as the text a CSV file would have held."""
    if value is None:
        return None
    if isinstance(value, str):
        return None if value in missing else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.datetime, dt.date)):
        if spec.type == "date" or spec.domain_type == "cn_date":
            return value.strftime(field_date_formats(spec)[0][0])
        if isinstance(value, dt.datetime):
            if spec.type == "datetime":
                fmt = spec.format
                return value.strftime(fmt) if fmt and fmt not in ("default", "any") else value.isoformat()
            return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
        return value.isoformat()
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# ---- the reader ------------------------------------------------------------------------------


class SourceReader:
    """Opens one source against one schema on a DuckDB connection.

    run(fn) calls fn(relation) - a query over the source - then raises for any structural problem
    DuckDB noted during that scan. A CSV guessed to be UTF-8 from its first megabytes that turns
    out not to be is read again as GB18030 before giving up.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        schema: SchemaSpec,
        *,
        work_dir: Path,
        source_format: str | None = None,
        encoding: str | None = None,
        progress: ProgressFn | None = None,
    ):
        self.con = con
        self.source = source
        self.schema = schema
        self.work_dir = work_dir
        self.progress = progress
        self.name = source.display_name
        self.specs = field_specs(schema)
        self.missing = frozenset(schema.missing_values)
        self.encoding: str | None = None
        self.encoding_detected = False
        self._rejects: str | None = None
        self._delimiter: str | None = None
        self._utf8_path: Path | None = None
        self._scans = 0
        self._jsonl_checked: Path | None = None
        if isinstance(source, DatabaseSource):
            self.format = "database"
        else:
            self.format = format_detect(source, source_format)
            if self.format in ("csv", "jsonl"):
                self.encoding, self.encoding_detected = encoding_detect(
                    source.path, encoding, name=self.name
                )

    # The relation: __row and the fields, in the schema's order, as VARCHAR.
    def relation(self, *, with_rows: bool = True) -> str:
        if self.format == "csv":
            return self._csv_relation(with_rows)
        if self.format == "jsonl":
            return self._jsonl_relation(with_rows)
        if self.format == "parquet":
            return self._parquet_relation()
        if self.format == "xlsx":
            return self._staged(self._xlsx_batches())
        return self._staged(self._database_batches())

    def run(self, fn: Callable[[str], Any], *, with_rows: bool = True) -> Any:
        try:
            result = self._scan(fn, with_rows)
        except IngestError as error:
            retry = (error.code == "encoding_invalid" and self.encoding_detected and self.encoding == "utf-8")
            if not retry:
                raise
            self.encoding = "gb18030"
            self._utf8_path = None
            try:
                return self._scan(fn, with_rows)
            except IngestError as second:
                if second.code == "encoding_undecodable":
                    raise IngestError("encoding_undecodable", file=self.name, offset=error.params["offset"],
                                      row=error.params["row"]) from None
                raise
        return result

    def _scan(self, fn, with_rows):
        relation = self.relation(with_rows=with_rows)
        try:
            result = fn(relation)
        except duckdb.Error as error:
            self._rejects_check()
            raise self._duckdb_error(error) from None
        self._rejects_check()
        return result

    def _duckdb_error(self, error: duckdb.Error) -> IngestError:
        text = str(error)
        if self.format == "parquet":
            return IngestError("parquet_unreadable", file=self.name, detail=text.splitlines()[0][:300])
        match = re.search(r"line (\d+)", text)
        return IngestError("row_unreadable", file=self.name, row=int(match.group(1)) if match else "?",
                           detail=text.splitlines()[0][:300])

    # CSV ------------------------------------------------------------------------------------
    def _csv_path(self) -> Path:
        if self._utf8_path is None:
            path = self.source.path
            if self.encoding not in ("utf-8", "utf_8"):
                target = self.work_dir / "source.utf8.csv"
                transcode(path, target, self.encoding, name=self.name, progress=self.progress)
                path = target
            self._utf8_path = path
        return self._utf8_path

    def _csv_relation(self, with_rows: bool) -> str:
        path = self._csv_path()
        delimiter = "\t" if Path(self.name).suffix.lower() == ".tsv" else None
        header, self._delimiter = _first_record(path, delimiter)
        if not header:
            raise IngestError("empty_file", file=self.name)
        fields = header_map(header, self.schema, name=self.name)
        self._header_width = len(header)
        self._scans += 1
        self._rejects = f"__rejects_{self._scans}"
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(fields))) + "}"
        nulls = [v for v in self.schema.missing_values] or [""]
        scan = (
            f"read_csv({lit(str(path))}, header = true, auto_detect = false, columns = {columns}, "
            f"delim = {lit(self._delimiter)}, quote = '\"', escape = '\"', nullstr = [{lit_list(nulls)}], "
            f"strict_mode = true, null_padding = false, max_line_size = {MAX_LINE_BYTES}, "
            f"store_rejects = true, rejects_table = '{self._rejects}', rejects_scan = '{self._rejects}_scan')"
        )
        by_field = {field: f"c{i}" for i, field in enumerate(fields)}
        select = ", ".join(f"{by_field[f]} AS {ident(f)}" for f in self.schema.field_names)
        row = "row_number() OVER () + 1" if with_rows else "0"
        return f"(SELECT {row} AS __row, {select} FROM {scan})"

    def _rejects_check(self) -> None:
        if not self._rejects:
            return
        try:
            first = self.con.execute(
                f"SELECT line, byte_position, column_idx, error_type, csv_line, error_message "
                f"FROM {self._rejects} ORDER BY line LIMIT 1"
            ).fetchall()
            first = first[0] if first else None
        except duckdb.CatalogException:
            return
        finally:
            rejects, self._rejects = self._rejects, None
        self.con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
        if first is None:
            return
        line, byte_position, column, error_type, csv_line, message = first
        row = int(line)
        if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            found = len(next(csv.reader([csv_line or ""], delimiter=self._delimiter or ","), []))
            raise IngestError("ragged_row", file=self.name, row=row, found=found, expected=self._header_width)
        if error_type == "INVALID ENCODING" or "INVALID UNICODE" in str(error_type):
            raise IngestError("encoding_invalid", file=self.name, row=row, offset=max(int(byte_position or 1) - 1, 0),
                              column=column, encoding="UTF-8")
        if error_type == "UNQUOTED VALUE":
            raise IngestError("unquoted_value", file=self.name, row=row, column=column)
        if error_type == "LINE SIZE OVER MAXIMUM":
            raise IngestError("line_too_long", file=self.name, row=row, limit=MAX_LINE_BYTES)
        raise IngestError("row_unreadable", file=self.name, row=row, detail=str(message)[:300])

    # JSON lines -------------------------------------------------------------------------------
    def _jsonl_relation(self, with_rows: bool) -> str:
        path = self._csv_path()  # the same transcoding
        objects = f"read_ndjson_objects({lit(str(path))}, ignore_errors = true)"
        numbered = f"(SELECT row_number() OVER () AS __row, json FROM {objects})"
        if self._jsonl_checked != path:
            self._jsonl_check(numbered)
            self._jsonl_checked = path
        nulls = lit_list(self.schema.missing_values or [""])
        items = []
        for name in self.schema.field_names:
            path_sql = lit('$."' + name.replace('"', '\\"') + '"')
            value = f"json_extract_string(json, {path_sql})"
            items.append(f"CASE WHEN {value} IN ({nulls}) THEN NULL ELSE {value} END AS {ident(name)}")
        if not with_rows:
            numbered = f"(SELECT json FROM {objects})"
        row = "__row" if with_rows else "0 AS __row"
        return f"(SELECT {row}, {', '.join(items)} FROM {numbered})"

    def _jsonl_check(self, numbered: str) -> None:
        """Every line an object, and only the schema's keys (once per file: both scans share it)."""
        bad = self.con.execute(
            f"SELECT min(__row) FROM {numbered} WHERE json IS NULL OR json_type(json) <> 'OBJECT'"
        ).fetchall()[0][0]
        if bad is not None:
            raise IngestError("json_invalid", file=self.name, row=int(bad))
        keys = dict(self.con.execute(
            f"SELECT key, min(__row) FROM (SELECT __row, unnest(json_keys(json)) AS key FROM {numbered}) "
            f"GROUP BY key ORDER BY min(__row), key"
        ).fetchall())
        if not keys:
            raise IngestError("empty_file", file=self.name)
        for key, first_row in keys.items():
            if key not in self.specs:
                raise IngestError("json_key_unknown", file=self.name, name=key, row=int(first_row),
                                  expected=list(self.schema.field_names))
        missing = [f for f in self.schema.field_names if f not in keys]
        if missing:
            raise IngestError("header_missing", file=self.name, names=missing)

    # Parquet ----------------------------------------------------------------------------------
    def _parquet_relation(self) -> str:
        path = lit(str(self.source.path))
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
        except duckdb.Error as error:
            raise IngestError("parquet_unreadable", file=self.name, detail=str(error).splitlines()[0][:300]) from None
        types = {row[0]: row[1] for row in described}
        header_map(list(types), self.schema, name=self.name)
        nulls = lit_list(self.schema.missing_values or [""])
        items = []
        for name in self.schema.field_names:
            spec, c, kind = self.specs[name], ident(name), types[name].upper()
            if kind.startswith(("DATE", "TIMESTAMP")) and (spec.type in ("date",) or spec.domain_type == "cn_date"):
                text = f"strftime({c}, {lit(field_date_formats(spec)[0][0])})"
            elif kind in ("DOUBLE", "FLOAT", "REAL") and spec.type == "integer":
                text = f"CASE WHEN {c} = trunc({c}) THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END"
            elif kind == "BOOLEAN":
                text = f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
            else:
                text = f"CAST({c} AS VARCHAR)"
            items.append(f"CASE WHEN {text} IN ({nulls}) THEN NULL ELSE {text} END AS {c}")
        return (f"(SELECT file_row_number + 1 AS __row, {', '.join(items)} "
                f"FROM read_parquet({path}, file_row_number = true))")

    # Excel and databases: streamed into a staging Parquet file --------------------------------
    def _staged(self, batches: Iterator[tuple[list[str], Iterable[tuple[int, Sequence[Any]]]]]) -> str:
        target = self.work_dir / f"source.{self.format}.parquet"
        if not target.exists():
            fields = list(self.schema.field_names)
            arrow_schema = pa.schema([("__row", pa.int64())] + [(f, pa.string()) for f in fields])
            writer = pq.ParquetWriter(target, arrow_schema)
            try:
                for positions, rows in batches:
                    columns: list[list] = [[] for _ in range(len(fields) + 1)]
                    for row_number, values in rows:
                        columns[0].append(row_number)
                        for index, field in enumerate(fields, start=1):
                            columns[index].append(cell_text(values[positions[index - 1]], self.specs[field], self.missing))
                    writer.write_table(pa.Table.from_arrays([pa.array(c, type=t.type) for c, t in zip(columns, arrow_schema)],
                                                            schema=arrow_schema))
            except BaseException:
                writer.close()
                target.unlink(missing_ok=True)
                raise
            writer.close()
        return f"(SELECT * FROM read_parquet({lit(str(target))}))"

    def _xlsx_batches(self):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.source.path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            raise IngestError("xlsx_unreadable", file=self.name, detail=str(error)[:300]) from None
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = None
            header_row = 0
            for header_row, values in enumerate(rows, start=1):
                if any(v is not None and str(v).strip() for v in values):
                    header = list(values)
                    break
            if header is None:
                raise IngestError("empty_file", file=self.name)
            while header and (header[-1] is None or not str(header[-1]).strip()):
                header.pop()
            fields = header_map(header, self.schema, name=self.name)
            width = len(header)
            positions = [fields.index(f) for f in self.schema.field_names]
            total = sheet.max_row or None
            batch: list[tuple[int, Sequence[Any]]] = []
            for number, values in enumerate(rows, start=header_row + 1):
                if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue  # blank rows (Excel keeps formatted empty rows) carry no data
                for column in range(width, len(values)):
                    if values[column] is not None and str(values[column]).strip():
                        raise IngestError("ragged_cell", file=self.name, row=number, column=column + 1, expected=width)
                padded = tuple(values[:width]) + (None,) * max(0, width - len(values))
                batch.append((number, padded))
                if len(batch) >= BATCH_ROWS:
                    yield positions, batch
                    batch = []
                    if self.progress:
                        self.progress("read", number, total)
            yield positions, batch
        finally:
            workbook.close()

    def _database_batches(self):
        source: DatabaseSource = self.source
        if bool(source.table) == bool(source.query):
            raise IngestError("db_source_invalid", file=self.name)
        query = source.query or f"SELECT * FROM {ident(source.table)}"
        parsed = urlparse(source.url)
        try:
            if parsed.scheme == "sqlite":
                path = unquote(parsed.path)[1:] if parsed.path.startswith("/") else unquote(parsed.path)
                if not Path(path).is_file():
                    raise IngestError("db_unreadable", file=self.name, detail="no such database file")
                connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                cursor = connection.cursor()
            else:
                import psycopg

                connection = psycopg.connect(source.url.replace("postgres://", "postgresql://", 1),
                                             connect_timeout=10)
                connection.read_only = True
                cursor = connection.cursor(name="zhengtong_ingest")
            cursor.execute(query)
            first = cursor.fetchmany(BATCH_ROWS)
            header = [d[0] for d in cursor.description]
        except IngestError:
            raise
        except Exception as error:  # the drivers' errors have no common base class but Exception
            raise IngestError("db_unreadable", file=self.name, detail=_without_password(str(error), parsed)[:300]) from None
        try:
            fields = header_map(header, self.schema, name=self.name)
            positions = [fields.index(f) for f in self.schema.field_names]
            number = 0
            rows = first
            while rows:
                batch = []
                for values in rows:
                    number += 1
                    batch.append((number, values))
                yield positions, batch
                if self.progress:
                    self.progress("read", number, None)
                rows = cursor.fetchmany(BATCH_ROWS)
        finally:
            connection.close()


def _without_password(text: str, parsed) -> str:
    return text.replace(parsed.password, "***") if parsed.password else text


def execute_watched(
    con: duckdb.DuckDBPyConnection, sql: str, report: Callable[[float], None] | None = None, interval: float = 0.5
) -> list[tuple]:
    """Run one query, calling report(fraction done) every `interval` seconds while it runs."""
    return execute_watched_named(con, sql, report, interval)[1]


def execute_watched_named(
    con: duckdb.DuckDBPyConnection, sql: str, report: Callable[[float], None] | None = None, interval: float = 0.5
) -> tuple[list[str], list[tuple]]:
    """Run one query, calling report(fraction done) every `interval` seconds while it runs; returns
    the names of its columns and its rows.

    The query runs on a helper thread and the caller's thread polls DuckDB's progress, so the
    caller may write progress to the database from its own connection and transaction."""
    outcome: dict[str, Any] = {}

    def work():
        try:
            cursor = con.execute(sql)
            outcome["names"] = [d[0] for d in cursor.description] if cursor.description else []
            outcome["rows"] = cursor.fetchall()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    if report is None:
        work()
    else:
        thread = threading.Thread(target=work, name="ingest-query", daemon=True)
        thread.start()
        while True:
            thread.join(interval)
            if not thread.is_alive():
                break
            try:
                value = con.query_progress()
            except duckdb.Error:
                value = -1
            if value is not None and value >= 0:
                report(min(float(value), 100.0) / 100.0)
    if "error" in outcome:
        raise outcome["error"]
    if report is not None:
        report(1.0)
    return outcome["names"], outcome["rows"]
