"""Template filters for quality figures: ratios as percentages, scores and rates, "—" when unknown."""

from decimal import Decimal

from django import template

register = template.Library()

DASH = "—"


@register.filter
def percent(value: float | None, places: int = 2) -> str:
    """0.0011 → "0.11%". Problem-data ratios are small, so two decimals are the least that shows them."""
    if value is None:
        return DASH
    return f"{value * 100:.{int(places)}f}%"


@register.filter
def score(value: Decimal | None) -> str:
    """A 0-100 score with two decimals."""
    return DASH if value is None else f"{value:.2f}"
