"""Who may read an open dataset's data, and the record of reads of conditionally open data.

Every channel that delivers rows (preview, download, open API, CKAN datastore_search) calls
`data_access_check` first and `data_read_record` after.

Open-to-everyone data (L1) may be read by anyone. Data open on application (L2-L3) only by the
applicant of an approved application that has not expired, signed in or calling with one of their
own developer keys; each such read is written to the ledger (可信存证) together with its usage row.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhengtong.kernel.ledger.public import ledger_append

from .errors import OpenDataError
from .models import (
    ApplicationStatus,
    DailyUsage,
    DeveloperKey,
    OpenDataApplication,
    OpenDataset,
    OpenTier,
    UsageChannel,
)

LEDGER_KIND = "opendata.read"


@dataclass(frozen=True)
class DataAccess:
    open_dataset_id: int
    tier: str
    user_id: int | None  # the reader (the key's owner, or the signed-in person), if known
    key_prefix: str  # "" without a key
    application: OpenDataApplication | None  # the approved application an on-application read rests on
    resource_code: str = ""  # the dataset's code, for the usage row and the ledger subject


def _reader_id(user, key: DeveloperKey | None) -> int | None:
    """The person reading: a key speaks for its owner, whoever sends it."""
    if key is not None:
        return key.owner_id
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def data_access_check(*, open_dataset: OpenDataset, user=None, key: DeveloperKey | None = None) -> DataAccess:
    """Open-to-everyone data: anyone. On-application data: only the applicant of an approved,
    unexpired application (signed in, or calling with one of their keys). Raises OpenDataError
    (application_required, application_expired) otherwise.

    The key's own validity (revoked, expired, quota) is the API's to check when it authenticates
    the call; here a key only names its owner."""
    reader = _reader_id(user, key)
    access = dict(open_dataset_id=open_dataset.pk, tier=open_dataset.tier, user_id=reader,
                  key_prefix=key.prefix if key is not None else "", resource_code=open_dataset.resource_code)
    if open_dataset.tier == OpenTier.OPEN:
        return DataAccess(**access, application=None)
    if reader is None:
        raise OpenDataError("application_required", dataset=open_dataset.resource_code)
    approved = OpenDataApplication.objects.filter(
        dataset_id=open_dataset.dataset_id, applicant_id=reader, status=ApplicationStatus.APPROVED,
    ).exclude(expires_at=None).order_by("-expires_at")
    now = timezone.now()
    current = approved.filter(expires_at__gt=now).first()
    if current is not None:
        return DataAccess(**access, application=current)
    ended = approved.first()
    if ended is not None:
        raise OpenDataError("application_expired", dataset=open_dataset.resource_code,
                            expired_at=_when(ended.expires_at))
    raise OpenDataError("application_required", dataset=open_dataset.resource_code)


def _usage_add(*, day, resource_code: str, key_prefix: str, channel: str, rows: int) -> None:
    """One more call (and `rows` more rows) on the day's usage row, made if missing. The increment
    is an UPDATE with F(), so concurrent calls add up; two first calls of a day racing to insert
    meet the unique constraint, and the loser (in its savepoint) updates instead."""
    match = DailyUsage.objects.filter(day=day, resource_code=resource_code, key_prefix=key_prefix, channel=channel)
    if match.update(calls=F("calls") + 1, rows=F("rows") + rows):
        return
    try:
        with transaction.atomic():
            DailyUsage.objects.create(day=day, resource_code=resource_code, key_prefix=key_prefix,
                                      channel=channel, calls=1, rows=rows)
    except IntegrityError:
        match.update(calls=F("calls") + 1, rows=F("rows") + rows)


def data_read_record(*, access: DataAccess, channel: str, rows: int, detail: dict | None = None) -> None:
    """Meter the read (DailyUsage per dataset, key and channel) and, for on-application data, log
    it in the ledger (who, which dataset, which application, how many rows, why), in the same
    transaction as the usage row.

    `detail` (JSON without floats, e.g. the filters of an API call) goes into the ledger entry."""
    if channel not in UsageChannel.values:
        raise ValueError(f"unknown usage channel {channel!r}")
    rows = max(int(rows), 0)
    resource_code = access.resource_code or (
        OpenDataset.objects.filter(id=access.open_dataset_id).values_list("resource_code", flat=True).first() or "")
    with transaction.atomic():
        _usage_add(day=timezone.localdate(), resource_code=resource_code, key_prefix=access.key_prefix,
                   channel=channel, rows=rows)
        if access.tier == OpenTier.ON_APPLICATION:
            application = access.application
            payload = {
                "application": str(application.public_id) if application is not None else None,
                "purpose": application.purpose if application is not None else "",
                "channel": channel, "rows": rows, "key_prefix": access.key_prefix,
            }
            if detail:
                payload["detail"] = detail
            ledger_append(kind=LEDGER_KIND, subject=f"dataset:{resource_code}",
                          actor=f"user:{access.user_id}" if access.user_id is not None else "anonymous",
                          payload=payload)
