"""Why a load failed: a stable code, where (file, row, column, byte offset) and a message.

The message is rendered when it is shown, from the code and its parameters, so a load that failed
in a Chinese-speaking worker reads in English on an English page (Load keeps code and params).
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _, pgettext

MESSAGES: dict[str, Promise] = {
    "source_missing": _("The file %(file)s does not exist."),
    "empty_file": _("The file %(file)s is empty (0 bytes)."),
    "no_data_rows": _("The file %(file)s has no data rows, only a header."),
    "not_format": _("The file %(file)s is not a %(expected)s file: its content is %(actual)s."),
    "xlsx_not_workbook": _("The file %(file)s is a ZIP archive but not an Excel workbook (.xlsx)."),
    "xls_legacy": _(
        "The file %(file)s is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx) "
        "and load it again."
    ),
    "format_unknown": _(
        "Cannot tell the format of %(file)s: name it .csv, .xlsx, .parquet or .jsonl, or give the format."
    ),
    "format_unsupported": _("“%(format)s” is not a format that can be loaded: use csv, xlsx, parquet or jsonl."),
    "encoding_unknown": _("“%(encoding)s” is not a known text encoding."),
    "encoding_undecodable": _(
        "The file %(file)s is neither UTF-8 nor GBK/GB18030 text: the bytes at offset %(offset)s "
        "(row %(row)s) cannot be decoded."
    ),
    "encoding_invalid": _(
        "Row %(row)s of %(file)s is not valid %(encoding)s text (byte offset %(offset)s, column %(column)s)."
    ),
    "binary_content": _(
        "The file %(file)s holds binary data (a zero byte at offset %(offset)s, row %(row)s), not text."
    ),
    "header_empty_column": _("Column %(column)s of the header row of %(file)s has no name."),
    "header_duplicate": _("Column %(column)s of %(file)s (“%(name)s”) repeats the name of an earlier column."),
    "header_unknown": _(
        "Column %(column)s of %(file)s (“%(name)s”) is not a field of the dataset's schema; "
        "the schema's fields are %(expected)s."
    ),
    "header_missing": _("The file %(file)s has no column for the schema's field(s) %(names)s."),
    "ragged_row": _("Row %(row)s of %(file)s has %(found)s columns; the header has %(expected)s."),
    "ragged_cell": _(
        "Row %(row)s of %(file)s has a value in column %(column)s, beyond the header's %(expected)s columns."
    ),
    "unquoted_value": _(
        "Row %(row)s of %(file)s, column %(column)s: a quote that is not closed, or a quote inside a value "
        "that is not quoted."
    ),
    "line_too_long": _("Row %(row)s of %(file)s is longer than %(limit)s bytes."),
    "row_unreadable": _("Row %(row)s of %(file)s cannot be read: %(detail)s"),
    "type_invalid": _(
        "Row %(row)s of %(file)s, column “%(column)s”: “%(value)s” is not %(type)s "
        "(%(count)s such values in the column)."
    ),
    "json_invalid": _("Line %(row)s of %(file)s is not a JSON object."),
    "json_key_unknown": _(
        "Line %(row)s of %(file)s has the key “%(name)s”, which is not a field of the dataset's schema; "
        "the schema's fields are %(expected)s."
    ),
    "parquet_unreadable": _("The file %(file)s is not a readable Parquet file: %(detail)s"),
    "xlsx_unreadable": _("The file %(file)s is not a readable Excel workbook: %(detail)s"),
    "db_source_invalid": _("A database source needs a table or a query: %(file)s"),
    "db_unreadable": _("Cannot read from the database %(file)s: %(detail)s"),
    "schema_missing": _("The dataset %(dataset)s has no table schema yet."),
    "rule_invalid": _("Rule %(rule)s cannot be checked: %(detail)s"),
    "mode_invalid": _("“%(mode)s” is not a load mode: use full, append or upsert."),
    "upsert_needs_key": _("An upsert needs a primary key in the schema of %(dataset)s."),
    "concurrent_load": _("Another load changed %(dataset)s while this one ran: load the file again."),
    "interrupted": _("The load stopped before it finished (its process ended); nothing was changed."),
    "upload_incomplete": _("The upload of %(file)s is not complete: %(received)s of %(size)s bytes received."),
    "internal": _("The load failed unexpectedly: %(detail)s"),
}

# What a file's first bytes say it is, for not_format.
CONTENT_LABELS: dict[str, Promise] = {
    "PNG image": _("a PNG image"),
    "JPEG image": _("a JPEG image"),
    "GIF image": _("a GIF image"),
    "PDF document": _("a PDF document"),
    "ZIP archive": _("a ZIP archive"),
    "Office 97-2003 document": _("an Office 97-2003 document"),
    "gzip archive": _("a gzip archive"),
    "Parquet file": _("a Parquet file"),
    "7-Zip archive": _("a 7-Zip archive"),
    "RAR archive": _("a RAR archive"),
    "program": _("a program"),
    "SQLite database": _("an SQLite database"),
    "bzip2 archive": _("a bzip2 archive"),
    "xz archive": _("an xz archive"),
    "Excel workbook": _("an Excel workbook"),
    "text": _("text"),
}

# Readable names of the types a field may declare, for type_invalid.
TYPE_NAMES: dict[str, Promise] = {
    "integer": _("an integer"),
    "number": _("a number"),
    "boolean": _("true or false"),
}


def _render(code: str, params: Mapping[str, Any]) -> str:
    template = MESSAGES.get(code, MESSAGES["internal"])
    values = dict(params)
    if code == "type_invalid" and values.get("type") in TYPE_NAMES:
        values["type"] = TYPE_NAMES[values["type"]]
    if values.get("actual") in CONTENT_LABELS:
        values["actual"] = CONTENT_LABELS[values["actual"]]
    for key in ("names", "expected"):
        if isinstance(values.get(key), (list, tuple)):
            values[key] = pgettext("list separator", ", ").join(str(v) for v in values[key])
    values.setdefault("detail", "")
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return f"{code}: {dict(params)}"


message_render = lazy(_render, str)


class IngestError(Exception):
    """A load or a validation that cannot go on. Nothing has been changed when it is raised.

    `code` is stable for machines; `params` say where (file, row, column, offset) and what;
    `message` renders them in the language active where it is shown.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: (str(v) if isinstance(v, Promise) else v) for k, v in params.items()}
        self.load_id = None  # set by load_run once the failure has been recorded
        super().__init__(code)

    @property
    def message(self) -> str:
        return message_render(self.code, self.params)

    @property
    def row(self) -> int | None:
        return self.params.get("row")

    @property
    def column(self):
        return self.params.get("column")

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"IngestError({self.code!r}, {self.params!r})"
