"""Reads of the competitor list and of a case's competitor quotes."""

from renewals.competitors.models import Competitor, CompetitorQuote


def competitors(*, active_only: bool = True) -> list[Competitor]:
    queryset = Competitor.objects.all()
    if active_only:
        queryset = queryset.filter(active=True)
    return list(queryset)


def case_competitor_quotes(*, case_id: int) -> list[CompetitorQuote]:
    """The case's competitor quotes and loss, newest first, with competitor and recorder (one query)."""
    return list(
        CompetitorQuote.objects.filter(case_id=case_id)
        .select_related("competitor", "recorded_by")
        .order_by("-created_at", "-id")
    )


def competitor_or_none(competitor_id: int | None) -> Competitor | None:
    return Competitor.objects.filter(pk=competitor_id).first() if competitor_id is not None else None
