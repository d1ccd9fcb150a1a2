"""What other modules may use of the open-data portal (the cockpit's open-data KPIs, the demo).

    open_statistics().open_datasets        # datasets the public can find
    open_datasets_resync()                 # re-derive every dataset's public face (a repair)
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from .models import OpenDataset, OpenTier
from .visibility import open_dataset_sync, open_datasets_resync, open_tier

__all__ = ["OpenStatistics", "open_dataset_sync", "open_datasets_resync", "open_statistics", "open_tier"]


@dataclass(frozen=True)
class OpenStatistics:
    open_datasets: int  # datasets on the portal (both tiers)
    open_to_everyone: int
    on_application: int
    with_data: int  # datasets with a served copy to download
    open_rows: int  # rows downloadable without application


def open_statistics() -> OpenStatistics:
    totals = OpenDataset.objects.aggregate(
        all=Count("id"),
        open=Count("id", filter=Q(tier=OpenTier.OPEN)),
        application=Count("id", filter=Q(tier=OpenTier.ON_APPLICATION)),
        with_data=Count("id", filter=~Q(formats="")),
        rows=Sum("row_count", filter=Q(tier=OpenTier.OPEN) & ~Q(formats="")),
    )
    return OpenStatistics(totals["all"], totals["open"], totals["application"], totals["with_data"],
                          totals["rows"] or 0)
