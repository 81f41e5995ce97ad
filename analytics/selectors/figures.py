"""The KPI API's figures for one period (DESIGN §2 definitions).

Month-aligned periods read the rollups through ``RollupReader`` (the dashboard always does). A
period that starts or ends inside a month (only possible through the API) reads its whole months
from the rollups and its edge days from the fact tables (``days.py``). The raw-row counts below
keep the same definitions as the reference; the property tests check that all ways agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from customers.models import ComplaintCategory, Customer

from .. import kpis, sources
from ..params import Filters, Period, add_months, month_end, month_start
from .days import kpi_figures_by_days
from .inputs import API_KEYS, CaseInputs, in_period
from .rollups import RollupReader, complaint_category_rows

# --------------------------------------------------------------------------- raw rows


def case_inputs(period: Period, filters: Filters) -> CaseInputs:
    inputs = CaseInputs()
    rows = (
        sources.filter_rows(sources.case_rows(), filters)
        .filter(in_period("due_date", period, is_datetime=False))
        .values("stage", reason=F("lost_reason__code"))
        .annotate(**sources.CASE_METRICS)
    )
    for row in rows:
        inputs.add(row)
    return inputs


def complaints_by_category(period: Period, filters: Filters) -> dict[str, int]:
    rows = (
        sources.filter_rows(sources.complaint_rows(), filters)
        .filter(in_period("received_at", period, is_datetime=True))
        .values_list("category__code")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def resolution_inputs(period: Period, filters: Filters) -> dict:
    rows = (
        sources.filter_rows(sources.resolution_rows(), filters)
        .filter(in_period("resolved_at", period, is_datetime=True))
        .values_list("k_days", "k_within_sla", "upheld")
        .annotate(n=Count("id"))
    )
    histogram: dict[int, int] = defaultdict(int)
    resolved = within = upheld = with_verdict = 0
    for days, within_sla, was_upheld, n in rows:
        histogram[days] += n
        resolved += n
        within += n if within_sla else 0
        if was_upheld is not None:
            with_verdict += n
            upheld += n if was_upheld else 0
    return {
        "resolved": resolved,
        "median_days_to_resolve": kpis.median_days_to_resolve(histogram),
        "resolved_within_sla_share": kpis.resolved_within_sla_share(within_sla=within, resolved=resolved),
        "upheld_share": kpis.upheld_share(upheld=upheld, resolved_with_verdict=with_verdict),
    }


def survey_scores(period: Period, filters: Filters) -> dict[int, int]:
    rows = (
        sources.filter_rows(sources.survey_rows(), filters)
        .filter(in_period("responded_at", period, is_datetime=True))
        .values_list("score")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def policies_in_force(on_day: dt.date, filters: Filters) -> int:
    """Policies in force on ``on_day``: start_date ≤ day ≤ end_date (the last day of cover), not cancelled."""
    return (
        sources.filter_rows(sources.policy_rows(), filters).filter(start_date__lte=on_day, end_date__gte=on_day).count()
    )


def starting_premium(period: Period, filters: Filters) -> tuple[Decimal, Decimal]:
    """(premium of renewal policies starting in P, premium of all policies starting in P)."""
    totals = (
        sources.filter_rows(sources.policy_rows(), filters)
        .filter(start_date__gte=period.start, start_date__lte=period.end)
        .aggregate(
            renewal=Sum("premium", filter=Q(previous_policy__isnull=False)),
            all=Sum("premium"),
        )
    )
    return totals["renewal"] or Decimal("0"), totals["all"] or Decimal("0")


# --------------------------------------------------------------------------- figures


def kpi_figures(period: Period, filters: Filters, *, use_rollups: bool | None = None) -> dict:
    """Every figure of the KPI API for one period and filter set (DESIGN §2 definitions).

    By default (and with ``use_rollups=True``) whole months come from the rollups and the edge days
    of a period that starts or ends inside a month from the fact tables (``days.py``);
    ``use_rollups=False`` counts everything from the raw rows (the property tests' reference).
    """
    if use_rollups is None or use_rollups:
        if period.month_aligned:
            return RollupReader(filters, period.start, period.end).figures(period)
        return kpi_figures_by_days(period, filters)
    figures = case_inputs(period, filters).figures()
    scores = kpis.nps_counts(survey_scores(period, filters))
    figures.update(
        nps=kpis.nps(promoters=scores["promoters"], detractors=scores["detractors"], responses=scores["responses"]),
        nps_responses=scores["responses"],
        promoters=scores["promoters"],
        passives=scores["passives"],
        detractors=scores["detractors"],
    )
    complaints = sum(complaints_by_category(period, filters).values())
    in_force = policies_in_force(period.end, filters)
    figures.update(
        complaints=complaints,
        policies_in_force=in_force,
        complaint_rate_per_1000=kpis.complaint_rate_per_1000(complaints=complaints, policies_in_force=in_force),
    )
    resolution = resolution_inputs(period, filters)
    figures.update(
        {key: resolution[key] for key in ("median_days_to_resolve", "resolved_within_sla_share", "upheld_share")}
    )
    renewal_premium, all_premium = starting_premium(period, filters)
    figures["renewal_premium_share"] = kpis.renewal_premium_share(
        renewal_premium=renewal_premium, all_premium=all_premium
    )
    return {key: figures[key] for key in API_KEYS}


def last_months(period: Period, count: int = 12) -> Period:
    end = month_start(period.end)
    return Period(add_months(end, -(count - 1)), month_end(end), "custom")


def dashboard_reader(period: Period, filters: Filters) -> RollupReader:
    """One reader spanning the period, the previous period, the same period a year earlier and
    the 12 months of the series."""
    start = min(period.previous().start, period.year_on_year().start, last_months(period).start)
    return RollupReader(filters, start, period.end, high_value=True)


def dashboard_figures(period: Period, filters: Filters) -> dict:
    """The API figures plus the dashboard-only ones (first-contact median, high-value retention)."""
    if not period.month_aligned:
        return dashboard_figures_raw(period, filters)
    return dashboard_reader(period, filters).dashboard_figures(period)


def dashboard_figures_raw(period: Period, filters: Filters) -> dict:
    """``RollupReader.dashboard_figures`` counted from the raw rows, for a period that starts or ends
    inside a month (a custom range of days); same definitions, a few more queries."""
    figures = kpi_figures(period, filters, use_rollups=False)
    contact = dict(
        sources.filter_rows(sources.contact_day_rows(), filters)
        .filter(in_period("due_date", period, is_datetime=False))
        .values_list("k_days")
        .annotate(n=Count("id"))
    )
    figures["median_days_to_contact"] = kpis.median_days_to_first_contact(contact)
    figures["contacted_share"] = figures["funnel"]["contacted"]
    high_value = case_inputs(period, filters.with_segments(Customer.HIGH_VALUE_SEGMENTS))
    high_value_figures = high_value.figures()
    figures["high_value"] = kpis.high_value_retention(
        renewed=high_value_figures["renewed"],
        decided_count=high_value_figures["decided"],
        successor_premium=high_value.successor,
        decided_expiring_premium=high_value.decided_expiring,
    )
    figures["high_value_renewal_rate"] = figures["high_value"]["renewal_rate"]
    figures["high_value_decided"] = high_value_figures["decided"]
    return figures


def complaint_categories_raw(period: Period, filters: Filters, categories: list[ComplaintCategory]) -> list[dict]:
    """The dashboard's complaints-by-category rows counted from the raw rows (a range of days)."""
    return complaint_category_rows(complaints_by_category(period, filters), categories)
