"""Usage statistics of the open data (调用统计), per dataset and per developer key, from DailyUsage.

    usage_dataset_summary(resource_code="330106-SJ-00101")   calls and rows per channel, last 30 days
    usage_key_summary(key_prefix="zto_ab12cd")                calls and rows per dataset and day

Selectors only: who may see a key's usage (its owner) is the page's to check before calling.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from .models import DailyUsage, OpenDataset, UsageChannel

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class ChannelUsage:
    channel: str  # a UsageChannel value
    label: str  # its name in the active language
    calls: int
    rows: int


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    rows: int


@dataclass(frozen=True)
class DatasetUsage:
    """A dataset's use over the last `days` days (today included)."""

    resource_code: str
    since: date
    days: int
    calls: int
    rows: int
    channels: tuple[ChannelUsage, ...]  # every channel, in UsageChannel order, zeros included
    by_day: tuple[DayUsage, ...]  # only days with use, oldest first


@dataclass(frozen=True)
class KeyDatasetDay:
    day: date
    resource_code: str  # "" for calls about no one dataset (searches, listings)
    title: str  # the dataset's title, "" when it is not on the portal (any more)
    calls: int
    rows: int


@dataclass(frozen=True)
class KeyUsage:
    """A developer key's use over the last `days` days (today included)."""

    key_prefix: str
    since: date
    days: int
    calls: int
    rows: int
    rows_by_dataset_day: tuple[KeyDatasetDay, ...]  # newest day first, then by resource code


def _since(days: int) -> tuple[int, date]:
    days = min(max(int(days), 1), MAX_DAYS)
    return days, timezone.localdate() - timedelta(days=days - 1)


def usage_dataset_summary(resource_code: str, days: int = DEFAULT_DAYS) -> DatasetUsage:
    """Calls and rows of the dataset per channel (all keys and anonymous use together)."""
    days, since = _since(days)
    rows = DailyUsage.objects.filter(resource_code=resource_code, day__gte=since)
    per_channel = {r["channel"]: r for r in rows.values("channel").annotate(c=Sum("calls"), n=Sum("rows")).order_by()}
    channels = tuple(
        ChannelUsage(channel=value, label=str(label), calls=int(per_channel.get(value, {}).get("c") or 0),
                     rows=int(per_channel.get(value, {}).get("n") or 0))
        for value, label in UsageChannel.choices
    )
    by_day = tuple(DayUsage(day=r["day"], calls=int(r["c"]), rows=int(r["n"]))
                   for r in rows.values("day").annotate(c=Sum("calls"), n=Sum("rows")).order_by("day"))
    return DatasetUsage(resource_code=resource_code, since=since, days=days,
                        calls=sum(c.calls for c in channels), rows=sum(c.rows for c in channels),
                        channels=channels, by_day=by_day)


def usage_key_summary(key_prefix: str, days: int = DEFAULT_DAYS) -> KeyUsage:
    """Calls and rows of the key per dataset and day (all channels together)."""
    days, since = _since(days)
    grouped = list(DailyUsage.objects.filter(key_prefix=key_prefix, day__gte=since)
                   .values("day", "resource_code").annotate(c=Sum("calls"), n=Sum("rows"))
                   .order_by("-day", "resource_code"))
    codes = {r["resource_code"] for r in grouped if r["resource_code"]}
    titles = dict(OpenDataset.objects.filter(resource_code__in=codes).values_list("resource_code", "title"))
    lines = tuple(KeyDatasetDay(day=r["day"], resource_code=r["resource_code"],
                                title=titles.get(r["resource_code"], ""), calls=int(r["c"]), rows=int(r["n"]))
                  for r in grouped)
    return KeyUsage(key_prefix=key_prefix, since=since, days=days, calls=sum(line.calls for line in lines),
                    rows=sum(line.rows for line in lines), rows_by_dataset_day=lines)
