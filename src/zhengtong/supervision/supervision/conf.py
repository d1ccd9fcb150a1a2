"""The settings supervision reads, in one place (settings/base.py is not ours to edit):

- SUPERVISION_ORDINARY_RATIO_CAP: the highest sampling ratio, in percent, an ordinary (not key)
  item's plan may set per credit class; a number caps A and B, a mapping caps the classes it names.
  Default {"A": 5, "B": 5}.
- SUPERVISION_PUBLISH_DAYS: working days from the draw within which each result is to be
  published (国办发〔2015〕58号: 20).
- SUPERVISION_MIN_INSPECTORS: inspectors per inspection, at least (2).
- SUPERVISION_ITEM_REVIEW_DAYS: working days the owning department has to review an item whose
  legal basis changed (15).
"""

from decimal import Decimal

from django.conf import settings

CREDIT_CLASSES = ("A", "B", "C", "D")


def ordinary_ratio_cap() -> dict[str, Decimal]:
    value = getattr(settings, "SUPERVISION_ORDINARY_RATIO_CAP", {"A": 5, "B": 5})
    if isinstance(value, dict):
        return {k: Decimal(str(v)) for k, v in value.items() if k in CREDIT_CLASSES}
    return {"A": Decimal(str(value)), "B": Decimal(str(value))}


def publish_days() -> int:
    return int(getattr(settings, "SUPERVISION_PUBLISH_DAYS", 20))


def min_inspectors() -> int:
    return max(2, int(getattr(settings, "SUPERVISION_MIN_INSPECTORS", 2)))


def item_review_days() -> int:
    return int(getattr(settings, "SUPERVISION_ITEM_REVIEW_DAYS", 15))
