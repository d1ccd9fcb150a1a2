"""Who may read an open dataset's data, and the record of reads of conditionally open data.

CONTRACT (bodies to be written): every channel that delivers rows (preview, download, open API,
CKAN datastore_search) calls `data_access_check` first and `data_read_record` after.
"""

from dataclasses import dataclass

from .models import DeveloperKey, OpenDataApplication, OpenDataset


@dataclass(frozen=True)
class DataAccess:
    open_dataset_id: int
    tier: str
    user_id: int | None  # the reader (the key's owner, or the signed-in person), if known
    key_prefix: str  # "" without a key
    application: OpenDataApplication | None  # the approved application an on-application read rests on


def data_access_check(*, open_dataset: OpenDataset, user=None, key: DeveloperKey | None = None) -> DataAccess:
    """Open-to-everyone data: anyone. On-application data: only the applicant of an approved,
    unexpired application (signed in, or calling with one of their keys). Raises OpenDataError
    (application_required, application_expired) otherwise."""
    raise NotImplementedError


def data_read_record(*, access: DataAccess, channel: str, rows: int, detail: dict | None = None) -> None:
    """Meter the read (DailyUsage per dataset, key and channel) and, for on-application data, log
    it in the ledger (who, which dataset, which application, how many rows, why)."""
    raise NotImplementedError
