"""Reads of the competitor list and of a case's competitor quotes."""

from django.core.cache import cache

from renewals.competitors.models import Competitor, CompetitorQuote

# The active list, read by every case page a specialist can act on; competitor_save forgets it.
COMPETITORS_CACHE_KEY = "renewals:competitors"
COMPETITORS_CACHE_SECONDS = 3600


def competitors(*, active_only: bool = True) -> list[Competitor]:
    if not active_only:
        return list(Competitor.objects.all())
    return cache.get_or_set(
        COMPETITORS_CACHE_KEY, lambda: list(Competitor.objects.filter(active=True)), COMPETITORS_CACHE_SECONDS
    )


def case_competitor_quotes(*, case_id: int) -> list[CompetitorQuote]:
    """The case's competitor quotes and loss, newest first, with competitor and recorder (one query)."""
    return list(
        CompetitorQuote.objects.filter(case_id=case_id)
        .select_related("competitor", "recorded_by")
        .order_by("-created_at", "-id")
    )


def competitor_or_none(competitor_id: int | None) -> Competitor | None:
    return Competitor.objects.filter(pk=competitor_id).first() if competitor_id is not None else None
