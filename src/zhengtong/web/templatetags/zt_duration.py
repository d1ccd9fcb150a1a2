"""Template filters for durations (the lockout page says how many minutes to wait)."""

import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(value: timedelta) -> int:
    """Minutes, rounded up: "try again in 1 minute" after 30 seconds would be true; "0" would not."""
    return math.ceil(value.total_seconds() / 60)
