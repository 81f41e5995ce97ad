"""Price sensitivity: the renewal rate by premium-change band (the renewal team's elasticity curve).

The cohort is the renewal rate's (cases whose policy expires in the period, with the dashboard
filters), narrowed to decided cases with a quote: the band is the change from the expiring
premium to the case's current quote (the last price the customer was offered) without its add-ons. One aggregate
query grouped by line, segment and band, read through the due-date index; the band is computed
in SQL without dividing (definitions in docs/analytics.md, formulas in kpis.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.fields import CharField
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from renewals.models import DECIDED_STAGES, LineOfInsurance, QuoteAddOn, Stage

from .. import kpis, sources
from ..params import Filters, Period
from .cached import cached_figures
from .inputs import in_period

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
BAND_LABELS = {
    "le_m5": gettext_lazy("≤ −5%"),
    "m5_0": gettext_lazy("−5 to 0%"),
    "p0_5": gettext_lazy("0 to 5%"),
    "p5_10": gettext_lazy("5 to 10%"),
    "p10_20": gettext_lazy("10 to 20%"),
    "gt20": gettext_lazy("> 20%"),
}
BAND_CODES = tuple(code for code, _low, _high in kpis.PREMIUM_CHANGE_BANDS)
# The curve the quote reads: the last 12 months of expiries (one query for the book), recounted by
# the nightly churn-model task and kept a little over a day, so a live preview never pays for it
# (a cold cache shows no estimate and enqueues ``analytics.tasks.refresh_price_curve``).
CURVE_DAYS = 365
CURVE_CACHE_KEY = "analytics:price-curve"
CURVE_CACHE_SECONDS = 26 * 3600
# Held while a recount a cold cache asked for is queued or running (the task clears it when done;
# it expires by itself should the worker die), so a cold cache enqueues one recount, not one per page.
CURVE_LOCK_KEY = "analytics:price-curve:refreshing"
CURVE_LOCK_SECONDS = 15 * 60
# A band needs this many decided cases before the quote shows its rate (a segment falls back to its line).
CURVE_MIN_CASES = 20


def quoted_base():
    """The current quote's premium without its add-on lines: the price of the same cover, so that
    a customer who bought a rider does not count as facing a rise."""
    addons = (
        QuoteAddOn.objects.filter(quote_id=OuterRef("current_quote_id"))
        .order_by()
        .values("quote_id")
        .annotate(total=Sum("premium"))
        .values("total")
    )
    return F("current_quote__premium") - Coalesce(Subquery(addons), Value(Decimal("0")), output_field=MONEY_FIELD)


def band_expression() -> Case:
    """The SQL twin of ``kpis.premium_change_band``: quoted × 100 ≤ expiring × (100 + upper bound),
    on the quote's premium without add-ons (``quoted_base``)."""
    whens = [
        When(
            LessThanOrEqual(F("quoted_base") * 100, F("expiring_premium") * Value(100 + high)),
            then=Value(code),
        )
        for code, _low, high in kpis.PREMIUM_CHANGE_BANDS
        if high is not None
    ]
    return Case(*whens, default=Value(BAND_CODES[-1]), output_field=CharField())


def band_counts(period: Period, filters: Filters) -> dict[tuple[int, str, str], tuple[int, int]]:
    """(line id, segment, band) → (decided, renewed), one grouped query."""
    rows = (
        sources.filter_rows(sources.case_rows(), filters)
        .filter(in_period("due_date", period, is_datetime=False))
        .filter(stage__in=DECIDED_STAGES, current_quote__isnull=False, expiring_premium__gt=0)
        .annotate(quoted_base=quoted_base())
        .annotate(band=band_expression())
        .values("line_id", "d_segment", "band")
        .annotate(decided=Count("id"), renewed=Count("id", filter=Q(stage=Stage.RENEWED)))
        .order_by()
    )
    return {(r["line_id"], r["d_segment"], r["band"]): (r["decided"], r["renewed"]) for r in rows}


def _interval(renewed: int, decided: int) -> tuple[float | None, float | None]:
    if not decided:
        return None, None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(renewed, decided, alpha=0.05, method="wilson")
    return float(low), float(high)


def _sum(counts, keep) -> dict[str, tuple[int, int]]:
    totals = {code: [0, 0] for code in BAND_CODES}
    for (line_id, segment, band), (decided, renewed) in counts.items():
        if keep(line_id, segment):
            totals[band][0] += decided
            totals[band][1] += renewed
    return {code: (d, r) for code, (d, r) in totals.items()}


def price_sensitivity(period: Period, filters: Filters) -> dict:
    """The curve of the whole filtered cohort, one curve per line (the chart), and the table per
    line × segment × band; each rate with its case count and a 95 % Wilson interval."""
    counts = band_counts(period, filters)
    lines = {line.pk: line for line in LineOfInsurance.objects.filter(pk__in={k[0] for k in counts})}
    segment_labels = dict(Customer.Segment.choices)
    overall = _sum(counts, lambda _line, _segment: True)
    bands = []
    for code in BAND_CODES:
        decided, renewed = overall[code]
        low, high = _interval(renewed, decided)
        rate = kpis.renewal_rate_in_band(renewed=renewed, decided_count=decided)
        bands.append(
            {"code": code, "label": str(BAND_LABELS[code]), "decided": decided, "renewed": renewed}
            | {"rate": rate, "low": low, "high": high}
        )
    rows = []
    for line_id, segment, band in sorted(
        counts, key=lambda k: (lines[k[0]].sort_order, lines[k[0]].code, k[1], BAND_CODES.index(k[2]))
    ):
        decided, renewed = counts[(line_id, segment, band)]
        low, high = _interval(renewed, decided)
        rows.append(
            {
                "line": lines[line_id].display_name,
                "line_code": lines[line_id].code,
                "segment": segment,
                "segment_label": segment_labels.get(segment, segment),
                "band": band,
                "band_label": str(BAND_LABELS[band]),
                "decided": decided,
                "renewed": renewed,
                "rate": kpis.renewal_rate_in_band(renewed=renewed, decided_count=decided),
                "low": low,
                "high": high,
            }
        )
    datasets = [
        {"label": _("All lines"), "data": [_percent(b["rate"]) for b in bands], "cases": [b["decided"] for b in bands]}
    ]
    for line in sorted(lines.values(), key=lambda line: (line.sort_order, line.code)):
        per_line = _sum(counts, lambda line_id, _segment, pk=line.pk: line_id == pk)
        datasets.append(
            {
                "label": line.display_name,
                "data": [_percent(kpis.renewal_rate_in_band(renewed=r, decided_count=d)) for d, r in per_line.values()],
                "cases": [d for d, _r in per_line.values()],
            }
        )
    return {
        "bands": bands,
        "rows": rows,
        "cases": sum(b["decided"] for b in bands),
        "chart": {"labels": [b["label"] for b in bands], "datasets": datasets, "axis": _("Renewal rate")},
    }


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def price_sensitivity_cached(period: Period, filters: Filters) -> dict:
    """``price_sensitivity`` kept FIGURES_CACHE_SECONDS (the card and the export share it); the
    labels follow the request's language, so the key carries it."""
    from django.utils.translation import get_language

    return cached_figures(
        "price-sensitivity", get_language(), period, filters, lambda: price_sensitivity(period, filters)
    )


# --- the curve the quote preview reads (renewals.estimates) ------------------------------------


def _book_curve(today: dt.date | None = None) -> dict:
    end = today or timezone.localdate()
    counts = band_counts(Period(end - dt.timedelta(days=CURVE_DAYS - 1), end), Filters())
    curve: dict[str, list[int]] = {}
    for (line_id, segment, band), (decided, renewed) in counts.items():
        for key in (f"{line_id}:{segment}:{band}", f"{line_id}:*:{band}"):
            totals = curve.setdefault(key, [0, 0])
            totals[0] += decided
            totals[1] += renewed
    return curve


def book_curve() -> dict:
    """{"line_id:segment:band": [decided, renewed]} over the last CURVE_DAYS days of expiries, for
    every line and segment, plus "line_id:*:band" for the line as a whole, as the nightly
    churn-model task (or ``refresh_price_curve``) last counted it. A request never counts it: on a
    cold cache it answers {} (no estimate) and enqueues the recount once (``CURVE_LOCK_KEY``)."""
    curve = cache.get(CURVE_CACHE_KEY)
    if curve is None:
        _enqueue_refresh_once()
        return {}
    return curve


def _enqueue_refresh_once() -> None:
    """Enqueue ``refresh_price_curve`` unless a recount is already queued or running: ``cache.add``
    is atomic, so of the pages that find the cache cold at once only one enqueues."""
    if not cache.add(CURVE_LOCK_KEY, "1", CURVE_LOCK_SECONDS):
        return
    from django.db import transaction

    from analytics.tasks import refresh_price_curve

    transaction.on_commit(lambda: refresh_price_curve.delay())


def book_curve_refresh(*, today: dt.date | None = None) -> int:
    """Recount the 12-month curve and keep it for the quote previews; answers the keys kept."""
    curve = _book_curve(today)
    cache.set(CURVE_CACHE_KEY, curve, CURVE_CACHE_SECONDS)
    cache.delete(CURVE_LOCK_KEY)
    return len(curve)


def curve_estimate(*, line_id: int, segment: str, expiring: Decimal, quoted: Decimal) -> dict | None:
    """The renewal rate of the quoted premium's band for the case's line and segment (the whole
    line when the segment has fewer than CURVE_MIN_CASES decided cases in the band); None when
    neither has enough."""
    band = kpis.premium_change_band(expiring=expiring, quoted=quoted)
    if band is None:
        return None
    curve = book_curve()
    for scope in (segment, "*"):
        decided, renewed = curve.get(f"{line_id}:{scope}:{band}", (0, 0))
        if decided >= CURVE_MIN_CASES:
            return {"band": band, "scope": scope, "decided": decided, "renewed": renewed, "rate": renewed / decided}
    return None
