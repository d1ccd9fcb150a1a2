"""Calls per minute, counted in Django's cache (Redis in production, so every web process counts
together; the local-memory cache otherwise, which counts per process).

A fixed window per calendar minute: one counter per bucket and minute, incremented by each call,
expiring a minute after its window. Cheap (one cache round trip per call in the common case) and
exact within the window; a burst straddling two minutes can reach twice the limit, which is what a
per-minute quota means to the consumer anyway.
"""

import time

from django.core.cache import cache

PREFIX = "zt:share:rate"


def clock() -> float:
    """The time the windows are cut from (a function, so a test can hold it still)."""
    return time.time()


def rate_limit_hit(bucket: str, limit: int, *, prefix: str = PREFIX, now: float | None = None) -> int | None:
    """Count one call in `bucket`; None when it is within `limit` calls this minute, else the
    seconds until the next minute starts (for Retry-After). Other modules count under their own
    `prefix` and may pass their own clock's `now`."""
    now = clock() if now is None else now
    minute = int(now // 60)
    key = f"{prefix}:{bucket}:{minute}"
    try:
        count = cache.incr(key)
    except ValueError:  # the first call of the minute (or the counter was evicted)
        if cache.add(key, 1, timeout=120):
            count = 1
        else:
            count = cache.incr(key)
    if count <= limit:
        return None
    return max(1, int(60 - (now - minute * 60)))
