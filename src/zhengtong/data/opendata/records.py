"""The data of open datasets: the served copy (masked, in key order, with `_id`), pages of records
by keyset or offset, estimated counts, and streamed downloads. DuckDB over the served Parquet.

CONTRACT (bodies to be written): the signatures and docstrings below are what the portal pages,
the open API and the CKAN DataStore call.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .models import OpenDataset, ServedTable

MAX_LIMIT = 1000  # records per page (open API and datastore_search)
DEFAULT_LIMIT = 100
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class RecordsPage:
    fields: list[dict[str, Any]]  # [{"id": name, "type": CKAN-ish type ("int", "text", "numeric", "date", "bool", …)}], "_id" first
    records: list[dict[str, Any]]  # each with "_id"
    next_cursor: str | None  # keyset pagination: pass as `after` for the next page
    total: int | None  # rows matching (None when not counted)
    total_was_estimated: bool  # True when `total` is an estimate


def served_table_build(open_dataset_id: int) -> ServedTable | None:
    """Make the served copy of the dataset's current ingest version (masking every field whose
    schema names a masking kind), replace the previous copy atomically, and update the dataset's
    formats and openness (visibility.open_dataset_sync). None when there is no version."""
    raise NotImplementedError


def served_files_remove(path: str) -> None:
    """Delete a served copy's files (after the row that named them is gone)."""
    raise NotImplementedError


def records_page(open_dataset: OpenDataset, *, filters: Mapping[str, Any] | None = None, fields: Sequence[str] = (),
                 limit: int = DEFAULT_LIMIT, after: str | None = None, offset: int | None = None,
                 sort: str | None = None, count: bool = True) -> RecordsPage:
    """A page of records: equality `filters` on columns, only `fields` (all by default), `limit`
    ≤ MAX_LIMIT, either keyset (`after`, a cursor from the previous page) or `offset` (CKAN
    datastore_search); `sort` a column name with optional " desc" (keyset needs the default _id
    order). Raises OpenDataError (no_data, field_unknown, filter_value_invalid, limit_too_large,
    offset_invalid, cursor_invalid, sort_invalid). Access is the caller's to check first
    (access.data_access_check)."""
    raise NotImplementedError


def records_preview(open_dataset: OpenDataset, *, rows: int = PREVIEW_ROWS) -> RecordsPage:
    """The first rows, for the dataset page."""
    raise NotImplementedError


def download_stream(open_dataset: OpenDataset, fmt: str) -> tuple[Iterator[bytes], str, int | None]:
    """The whole served copy as "csv", "json", "parquet" or "xlsx": (chunks, content type, length
    if known). Raises OpenDataError (no_data, format_unknown, format_too_large)."""
    raise NotImplementedError
