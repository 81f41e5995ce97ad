"""One rate limiter for the pages that anyone may reach: signed customer links and password reset.

A rate is written like DRF's throttles, ``"30/min"``, ``"100/h"``, ``"5/day"``: so many hits per
period. Hits are counted per (bucket, key) in fixed windows of that period in the shared cache
(Redis in production), so every web process counts the same hits.
"""

import time

from django.conf import settings
from django.core.cache import cache

from core.net import client_ip

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"100/h"`` -> ``(100, 3600)``; the period's first letter counts (``min``, ``hour``, ``day``)."""
    try:
        count, period = rate.strip().split("/", 1)
        return int(count), PERIOD_SECONDS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"A rate is like '30/min' or '100/h', not {rate!r}") from None


def rate_limited(*, bucket: str, key: str, rate: str) -> bool:
    """Count one hit; True when this hit is over the rate (the caller refuses it)."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    cache_key = f"ratelimit:{bucket}:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr: this hit opens the window
        cache.set(cache_key, 1, timeout=period + 1)
        hits = 1
    return hits > limit


def public_link_limited(request, page: str) -> bool:
    """The signed customer pages (offer, survey, unsubscribe): THROTTLE_PUBLIC_LINKS per client
    address and page."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_links"]
    return rate_limited(bucket=f"public_links:{page}", key=client_ip(request), rate=rate)
