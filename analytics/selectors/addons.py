"""Add-on and cross-sell figures for a period (definitions in docs/analytics.md, formulas in kpis.py).

The cohort is the one of the renewal rate: renewed cases whose policy expires in the period, with
the dashboard filters. Each figure is one aggregate query over those cases (indexed by due date).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from renewals.models import Policy, PolicyAddOn, QuoteAddOn, Stage

from .. import kpis, sources
from ..params import Filters, Period
from .cached import cached_figures
from .inputs import in_period

# The keys addon_kpi_figures adds to /api/v1/kpis/, in the answer's order.
ADDON_API_KEYS = (
    "attach_rate",
    "attach_rate_by_addon",
    "cross_sell_rate",
    "premium_per_customer",
    "premium_per_customer_addons",
    "service_satisfaction",
    "service_satisfaction_responses",
)
# A new line taken within this many days of a renewal counts as cross-sold.
CROSS_SELL_DAYS = 90


def renewed_cases(period: Period, filters: Filters):
    return (
        sources.filter_rows(sources.case_rows(), filters)
        .filter(in_period("due_date", period, is_datetime=False))
        .filter(stage=Stage.RENEWED)
    )


def attach_counts(period: Period, filters: Filters) -> dict[str, tuple[int, int]]:
    """Per add-on code: (renewed cases offered it on any quote, of those whose successor has it)."""
    taken = PolicyAddOn.objects.filter(
        policy_id=OuterRef("quote__case__successor_policy_id"), addon_id=OuterRef("addon_id")
    )
    rows = (
        QuoteAddOn.objects.filter(quote__case__in=renewed_cases(period, filters).values("id"))
        .values("addon__code")
        .annotate(
            offered=Count("quote__case_id", distinct=True),
            taken=Count("quote__case_id", distinct=True, filter=Q(Exists(taken))),
        )
        .order_by()
    )
    return {row["addon__code"]: (row["offered"], row["taken"]) for row in rows}


CROSS_SELL_SQL = """
    WITH r AS (
        SELECT c.customer_id, c.line_id, (c.closed_at AT TIME ZONE %s)::date AS day
        FROM ({cases}) AS c
    )
    SELECT COUNT(DISTINCT r.customer_id),
           COUNT(DISTINCT r.customer_id) FILTER (WHERE EXISTS (
               SELECT 1 FROM {policy} p
               WHERE p.customer_id = r.customer_id AND p.line_id <> r.line_id AND p.status <> 'cancelled'
                 AND p.start_date BETWEEN r.day AND r.day + %s
                 AND NOT EXISTS (
                     SELECT 1 FROM {policy} q
                     WHERE q.customer_id = r.customer_id AND q.line_id = p.line_id AND q.status <> 'cancelled'
                       AND q.start_date <= r.day AND q.end_date >= r.day)))
    FROM r
"""


def cross_sell_counts(period: Period, filters: Filters) -> tuple[int, int]:
    """(customers renewed, of them those who took a policy of another line they held none of on
    the renewal day, starting within CROSS_SELL_DAYS days after it). One statement; the
    customer's policies are read by the customer index."""
    if connection.vendor != "postgresql":
        return _cross_sell_counts_portable(period, filters)
    cases_sql, cases_params = (
        renewed_cases(period, filters).values("customer_id", "line_id", "closed_at").query.sql_with_params()
    )
    sql = CROSS_SELL_SQL.format(cases=cases_sql, policy=Policy._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(timezone.get_current_timezone()), *cases_params, CROSS_SELL_DAYS])
        customers, crossed = cursor.fetchone()
    return customers, crossed


def _cross_sell_counts_portable(period: Period, filters: Filters) -> tuple[int, int]:
    """``cross_sell_counts`` in Python over the ORM, for the SQLite demo (same definition)."""
    cases = list(renewed_cases(period, filters).values_list("customer_id", "line_id", "closed_at"))
    customer_ids = {customer_id for customer_id, _line, _closed in cases}
    policies: dict[int, list] = {}
    for row in (
        Policy.objects.filter(customer_id__in=customer_ids)
        .exclude(status=Policy.Status.CANCELLED)
        .values_list("customer_id", "line_id", "start_date", "end_date")
    ):
        policies.setdefault(row[0], []).append(row[1:])
    crossed = set()
    for customer_id, line_id, closed_at in cases:
        day = timezone.localdate(closed_at)
        held = {line for line, start, end in policies.get(customer_id, []) if start <= day <= end}
        for line, start, _end in policies.get(customer_id, []):
            if line != line_id and line not in held and day <= start <= day + dt.timedelta(days=CROSS_SELL_DAYS):
                crossed.add(customer_id)
    return len(customer_ids), len(crossed)


def premium_totals(period: Period, filters: Filters) -> tuple[Decimal, Decimal, int]:
    """(Σ successor premium, Σ add-on premium on those successors, customers renewed)."""
    cases = renewed_cases(period, filters)
    totals = cases.aggregate(premium=Sum("successor_policy__premium"), customers=Count("customer_id", distinct=True))
    addons = PolicyAddOn.objects.filter(policy__predecessor_case__in=cases.values("id")).aggregate(s=Sum("premium"))
    return totals["premium"] or Decimal("0"), addons["s"] or Decimal("0"), totals["customers"]


def service_satisfaction_counts(period: Period, filters: Filters) -> tuple[int, int]:
    """(Σ scores, answers) of the survey's per-service question, answered in P. Region and segment
    are the customer's, the line the service's; channel and specialist filters follow the policy."""
    from renewals.models import ServiceRating

    rows = ServiceRating.objects.filter(in_period("response__responded_at", period, is_datetime=True))
    if filters.line_id is not None:
        rows = rows.filter(service_use__addon__line_id=filters.line_id)
    if filters.region:
        rows = rows.filter(service_use__policy__customer__region=filters.region)
    if filters.segments:
        rows = rows.filter(service_use__policy__customer__segment__in=filters.segments)
    if filters.channel:
        rows = rows.filter(service_use__policy__channel=filters.channel)
    if filters.assignee_id is not None:
        rows = rows.filter(service_use__policy__predecessor_case__assignee_id=filters.assignee_id)
    totals = rows.aggregate(total=Sum("score"), n=Count("id"))
    return totals["total"] or 0, totals["n"]


def addon_kpi_figures(period: Period, filters: Filters, counts: dict | None = None) -> dict:
    """The add-on keys of /api/v1/kpis/ (money as strings, like the API's other money fields)."""
    counts = attach_counts(period, filters) if counts is None else counts
    customers, crossed = cross_sell_counts(period, filters)
    premium, addon_premium, renewed_customers = premium_totals(period, filters)
    per_customer = kpis.premium_per_customer(premium=premium, customers=renewed_customers)
    from_addons = kpis.premium_per_customer(premium=addon_premium, customers=renewed_customers)
    rated_total, rated = service_satisfaction_counts(period, filters)
    return {
        "attach_rate": kpis.attach_rate(
            offered=sum(o for o, _t in counts.values()), taken=sum(t for _o, t in counts.values())
        ),
        "attach_rate_by_addon": {
            code: kpis.attach_rate(offered=offered, taken=taken) for code, (offered, taken) in sorted(counts.items())
        },
        "cross_sell_rate": kpis.cross_sell_rate(crossed=crossed, customers=customers),
        "premium_per_customer": str(per_customer) if per_customer is not None else None,
        "premium_per_customer_addons": str(from_addons) if from_addons is not None else None,
        "service_satisfaction": kpis.service_satisfaction(total=rated_total, responses=rated),
        "service_satisfaction_responses": rated,
    }


def addon_kpi_figures_cached(period: Period, filters: Filters) -> dict:
    """``addon_kpi_figures``, kept FIGURES_CACHE_SECONDS in the cache."""
    return cached_figures("addons", "kpi", period, filters, lambda: addon_kpi_figures(period, filters))


def addon_dashboard_figures(period: Period, filters: Filters) -> dict:
    """The dashboard's add-on card (the API figures with each add-on's name and counts), cached."""
    return cached_figures("addons", "card", period, filters, lambda: _addon_dashboard_figures(period, filters))


def _addon_dashboard_figures(period: Period, filters: Filters) -> dict:
    from renewals.models import AddOn

    counts = attach_counts(period, filters)
    figures = addon_kpi_figures(period, filters, counts)
    names = {a.code: a.display_name for a in AddOn.objects.filter(code__in=list(counts))}
    figures["addons"] = [
        {
            "code": code,
            "name": names.get(code, code),
            "offered": offered,
            "taken": taken,
            "rate": kpis.attach_rate(offered=offered, taken=taken),
        }
        for code, (offered, taken) in sorted(counts.items(), key=lambda item: -item[1][0])
    ]
    return figures
