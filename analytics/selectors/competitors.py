"""Competitor figures for a period (definitions in docs/analytics.md, formulas in kpis.py).

The cohort is the renewal rate's: cases whose policy expires in the period, with the dashboard
filters (indexed by due date). Competitor quotes are reached from those cases (indexed by case).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth

from customers import regions
from renewals.competitors.models import COMPETITOR_REASON_CODE, Competitor, CompetitorQuote
from renewals.models import DECIDED_STAGES, LineOfInsurance, Stage

from .. import kpis, sources
from ..params import Filters, Period
from .cached import cached_figures
from .inputs import in_period

# The keys competitor_kpi_figures adds to /api/v1/kpis/, in the answer's order.
COMPETITOR_API_KEYS = ("competitor_losses", "competitor_losses_by_competitor", "competitor_win_rate")
# Losses to a competitor nobody named.
UNKNOWN = "unknown"


class Median(Aggregate):
    """PostgreSQL's exact median (continuous percentile)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def cohort(period: Period, filters: Filters):
    return sources.filter_rows(sources.case_rows(), filters).filter(in_period("due_date", period, is_datetime=False))


def competitor_losses(period: Period, filters: Filters) -> dict[str, dict[str, int]]:
    """{month (YYYY-MM of expiry): {competitor code or "unknown": lost cases}} of the cohort's cases
    lost with the competitor reason; one grouped query."""
    named = CompetitorQuote.objects.filter(case_id=OuterRef("pk"), kind=CompetitorQuote.Kind.LOSS).values(
        "competitor__code"
    )[:1]
    rows = (
        cohort(period, filters)
        .filter(stage=Stage.LOST, lost_reason__code=COMPETITOR_REASON_CODE)
        .annotate(month=TruncMonth("due_date"), competitor_code=Subquery(named))
        .values("month", "competitor_code")
        .annotate(cases=Count("id"))
        .order_by()
    )
    answer: dict[str, dict[str, int]] = {}
    for row in rows:
        month = row["month"].strftime("%Y-%m")
        answer.setdefault(month, {})[row["competitor_code"] or UNKNOWN] = row["cases"]
    return dict(sorted(answer.items()))


def price_gaps(period: Period, filters: Filters) -> list[dict]:
    """Median price gap (competitor vs our quote, in percent) per line and region, over every
    competitor premium recorded on the cohort's cases (quotes and losses), with its count."""
    rows = CompetitorQuote.objects.filter(
        case__in=cohort(period, filters).values("id"), premium__isnull=False, our_premium__gt=0
    ).annotate(gap=(F("premium") - F("our_premium")) * 100.0 / F("our_premium"))
    if connection.vendor == "postgresql":
        grouped = (
            rows.values("case__line_id", "case__customer__region")
            .annotate(median=Median("gap"), quotes=Count("id"))
            .order_by()
        )
        found = [(r["case__line_id"], r["case__customer__region"], r["median"], r["quotes"]) for r in grouped]
    else:  # the SQLite demo: the same figure in Python
        gaps: dict[tuple, list[float]] = {}
        for line_id, region, premium, ours in rows.values_list(
            "case__line_id", "case__customer__region", "premium", "our_premium"
        ):
            gaps.setdefault((line_id, region), []).append(kpis.price_gap_percent(ours=ours, theirs=premium))
        found = [(line, region, kpis.median(values), len(values)) for (line, region), values in gaps.items()]
    lines = {line.pk: line for line in LineOfInsurance.objects.filter(pk__in={r[0] for r in found})}
    answer = [
        {
            "line": lines[line_id].display_name,
            "line_code": lines[line_id].code,
            "region": region,
            "region_label": str(regions.region_label(region)),
            "median_gap": float(median) if median is not None else None,
            "quotes": quotes,
        }
        for line_id, region, median, quotes in found
    ]
    return sorted(answer, key=lambda r: (r["line_code"], r["region"]))


def win_counts(period: Period, filters: Filters) -> tuple[int, int]:
    """(decided cases of the cohort with a re-shopping competitor quote, of them renewed)."""
    reshopped = CompetitorQuote.objects.filter(case_id=OuterRef("pk"), kind=CompetitorQuote.Kind.RESHOP)
    totals = (
        cohort(period, filters)
        .filter(stage__in=DECIDED_STAGES)
        .filter(Exists(reshopped))
        .aggregate(decided=Count("id"), renewed=Count("id", filter=Q(stage=Stage.RENEWED)))
    )
    return totals["decided"], totals["renewed"]


def competitor_kpi_figures(period: Period, filters: Filters) -> dict:
    """The competitor keys of /api/v1/kpis/."""
    by_competitor: dict[str, int] = {}
    for month in competitor_losses(period, filters).values():
        for code, cases in month.items():
            by_competitor[code] = by_competitor.get(code, 0) + cases
    decided, renewed = win_counts(period, filters)
    return {
        "competitor_losses": sum(by_competitor.values()),
        "competitor_losses_by_competitor": dict(sorted(by_competitor.items())),
        "competitor_win_rate": kpis.win_rate_against_competitor(renewed=renewed, decided_count=decided),
    }


def competitor_kpi_figures_cached(period: Period, filters: Filters) -> dict:
    return cached_figures("competitors", "kpi", period, filters, lambda: competitor_kpi_figures(period, filters))


def competitor_dashboard_figures(period: Period, filters: Filters) -> dict:
    """The dashboard's competitor card: the KPI figures, losses per competitor and month (names,
    chart series), the price gaps and the win rate's counts."""
    losses = competitor_losses(period, filters)
    figures = competitor_kpi_figures(period, filters)
    decided, renewed = win_counts(period, filters)
    codes = sorted({code for month in losses.values() for code in month})
    names = {c.code: c.display_name for c in Competitor.objects.filter(code__in=codes)}
    months = list(losses)
    return {
        **figures,
        "win_decided": decided,
        "win_renewed": renewed,
        "losses": [
            {"code": code, "name": names.get(code, code) if code != UNKNOWN else None}
            | {"months": [losses[m].get(code, 0) for m in months], "total": sum(losses[m].get(code, 0) for m in months)}
            for code in codes
        ],
        "months": months,
        "gaps": price_gaps(period, filters),
    }
