"""Figures counted from raw rows (no rollup yet), kept in the cache for the rollups' cadence, so a
dashboard card, its export and the KPI API pay for one period and filter once."""

from collections.abc import Callable

from django.core.cache import cache

from analytics.params import Filters, Period

FIGURES_CACHE_SECONDS = 600


def figures_cache_key(namespace: str, kind: str, period: Period, filters: Filters) -> str:
    parts = [kind, period.start.isoformat(), period.end.isoformat(), str(filters.line_id), filters.region]
    parts += [",".join(filters.segments), filters.channel, str(filters.assignee_id)]
    return f"analytics:{namespace}:" + ":".join(parts)


def cached_figures(namespace: str, kind: str, period: Period, filters: Filters, compute: Callable[[], object]):
    """``compute()`` for this period and filters, from the cache when counted in the last
    FIGURES_CACHE_SECONDS."""
    return cache.get_or_set(figures_cache_key(namespace, kind, period, filters), compute, FIGURES_CACHE_SECONDS)
